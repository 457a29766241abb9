// An esbuild plugin: a `*.data.ts` module is evaluated when the bundle is built and replaced by its result, so a
// function carries data (the operator's CRDs) instead of the code and libraries that compute it (the kind
// registry's zod schemas). Such a module exports `data()`, a pure function of the source, returning JSON; the
// bundle's `data()` returns a fresh copy each call, as the source's does.
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

export const buildTimeData: Plugin = {
  name: 'build-time-data',
  setup(b) {
    b.onLoad({ filter: /\.data\.ts$/ }, async (a) => {
      const mod = (await import(pathToFileURL(a.path).href)) as { data?: () => unknown };
      if (typeof mod.data !== 'function') return { errors: [{ text: `${a.path}: a .data.ts module exports data()` }] };
      const json = JSON.stringify(mod.data());
      return {
        contents: [
          `const text = ${JSON.stringify(json)};`,
          'let parsed;',
          '/** Built from the source at build time (scripts/build-time-data.ts). */',
          'export function data() {',
          '  parsed ??= JSON.parse(text);',
          '  return structuredClone(parsed);',
          '}',
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};
