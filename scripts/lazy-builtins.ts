// An esbuild plugin for every function bundle (scripts/build.ts for Azure and Google, serverless-esbuild for AWS
// through scripts/esbuild-plugins.ts), kept free of the project's imports so the packager can load it alone.
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

/**
 * ESM imports of Node's built-in modules, served from `process.getBuiltinModule` instead. Importing a built-in
 * as an ES module copies every export into the module namespace, running the lazy getters too: `node:http`'s
 * `WebSocket` getter alone loads Node's bundled undici (~15 ms of every cold start, measured by
 * `npm run bench -- cold-start`), `node:crypto`'s loads WebCrypto. The shim exports the module's plain values
 * as they are at build time (the same Node major as the hosts), and only the getters that are cheap to read.
 */
const COSTLY_GETTERS: Record<string, string[] | 'all'> = {
  'node:http': ['WebSocket', 'CloseEvent', 'MessageEvent'],
  'node:crypto': 'all', // WebCrypto, and deprecated aliases that warn when read
  'node:tls': ['rootCertificates'],
  'node:process': 'all', // stdin, stdout and stderr open streams when read
  'node:console': 'all',
  'node:module': 'all',
};

/** Costly getters that are functions: exported as a function that reads the getter when called. */
const FORWARDED: Record<string, string[]> = { 'node:crypto': ['getRandomValues'] };

/** A getter the shim must not read at load: it loads a subsystem, warns or opens a stream (a bundle importing it fails to build). */
function costlyGetter(mod: string, name: string): boolean {
  const costly = COSTLY_GETTERS[mod];
  return costly === 'all' || (costly?.includes(name) ?? false);
}

export const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (a) => {
      if (a.kind !== 'import-statement' || !isBuiltin(a.path) || a.namespace === 'lazy-builtin') return undefined;
      const name = a.path.startsWith('node:') ? a.path : `node:${a.path}`;
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => {
      const mod = process.getBuiltinModule(a.path) as Record<string, unknown>;
      const names = Object.entries(Object.getOwnPropertyDescriptors(mod))
        .filter(
          ([k, d]) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && ('value' in d || !costlyGetter(a.path, k)),
        )
        .map(([k]) => k);
      const forwarded = FORWARDED[a.path] ?? [];
      return {
        contents: [
          `const m = process.getBuiltinModule(${JSON.stringify(a.path)});`,
          // A pure read: esbuild drops the exports a bundle does not use, so their getters are never run
          // (fs.promises and fs.ReadStream load Node's stream and promise layers when read).
          'const __read = (k) => m[k];',
          'export default m;',
          ...names
            .filter((k) => !forwarded.includes(k))
            .map((k) => `export const ${k} = /* @__PURE__ */ __read("${k}");`),
          ...forwarded.map((k) => `export function ${k}(...a) { return m.${k}(...a); }`),
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};
