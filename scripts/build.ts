// One esbuild bundle per function and platform into dist/<platform>/<function>.mjs (and the chunks it loads on
// use in dist/<platform>/<function>/), with sizes printed:
// cold start is a user-facing number, so what each function carries is visible on every build.
import { mkdirSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { cloudFunctions } from '../functions/registry.ts';
import { WEBHOOKS_FUNCTION_NAME } from '../functions/webhooks/serve.ts';
import { buildTimeData } from './build-time-data.ts';
import { lazyBuiltins } from './lazy-builtins.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist');

export interface Entry {
  platform: 'aws' | 'azure' | 'gcp';
  name: string;
  entry: string;
}

/**
 * One Lambda bundle per function (a folder exposing several handlers is bundled once per function, as
 * serverless.yml packages it); one Azure and one Google bundle per folder, since its azure-functions.ts / cloud-functions.ts
 * registers all its handlers at once (named after the folder when it holds several).
 */
/** Each function folder's entrypoint file per host, named after the host (not after a cloud provider). */
export const HOST_FILE = { aws: 'lambda.ts', azure: 'azure-functions.ts', gcp: 'cloud-functions.ts' } as const;

/** The Azure / functions-framework bundle of a function folder: its handler's name, or the folder's when it holds several. */
export function hostBundleName(dir: string): string {
  const names = cloudFunctions.filter((f) => f.dir === dir).map((f) => f.def.name);
  return names.length === 1 ? names[0]! : dir.replace(/\//g, '-');
}

export function entries(): Entry[] {
  const out: Entry[] = [];
  for (const { dir, def } of cloudFunctions)
    out.push({ platform: 'aws', name: def.name, entry: `functions/${dir}/lambda.ts` });
  for (const dir of new Set(cloudFunctions.map((f) => f.dir))) {
    for (const platform of ['azure', 'gcp'] as const)
      out.push({ platform, name: hostBundleName(dir), entry: `functions/${dir}/${HOST_FILE[platform]}` });
  }
  for (const platform of ['aws', 'azure', 'gcp'] as const)
    out.push({ platform, name: WEBHOOKS_FUNCTION_NAME, entry: `functions/webhooks/${HOST_FILE[platform]}` });
  out.push({ platform: 'aws', name: 'drift', entry: 'functions/drift/lambda.ts' });
  // Scheduled over HTTP on Google Cloud and Knative, by a timer on Azure; the dead-letter sink only on Knative.
  out.push({ platform: 'gcp', name: 'drift', entry: 'functions/drift/cloud-functions.ts' });
  out.push({ platform: 'azure', name: 'drift', entry: 'functions/drift/azure-functions.ts' });
  out.push({ platform: 'gcp', name: 'dead-letters', entry: 'functions/dead-letters/cloud-functions.ts' });
  out.push({ platform: 'aws', name: 'bridge', entry: 'functions/bridge/lambda.ts' });
  return out;
}

const EXTERNAL: Record<Entry['platform'], string[]> = {
  aws: ['@aws-sdk/*'],
  azure: ['@azure/functions-core'],
  // The Pub/Sub client (google-gax) reads its .proto files from beside its own code (__dirname), which a bundle has
  // neither: installed from the function's package.json (infra/gcp/package.json) and loaded on first publish.
  gcp: ['@google-cloud/functions-framework', '@google-cloud/pubsub'],
};

function options(e: Entry): BuildOptions {
  return {
    entryPoints: { [e.name]: join(ROOT, e.entry) },
    // What a function loads only when it needs it (a cloud SDK behind `import()`) goes into chunks of its own, in
    // a folder named after the bundle (dist/<platform>/<name>/), so its import at cold start does not parse it.
    splitting: true,
    chunkNames: `${e.name}/[name]-[hash]`,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Minified: a bundle's import parses all of it, and parsing goes with its size. The aws/machine bundle (456 → 223
    // KiB) imported in 153 ms against 179 ms unminified, interleaved runs against an empty Node's 101 ms: 26 ms off
    // every cold start. keepNames keeps functions' and classes' `name` (stack frames name plain functions, errors keep
    // their names); a method's frame loses its class (`e.run`), and the bundle's line and column mean nothing.
    minify: true,
    keepNames: true,
    logLevel: 'error',
    // The Lambda Node.js runtime ships AWS SDK v3 and the Functions host provides functions-core; the
    // functions-framework that serves a Google or Knative bundle must be the very module the bundle registers
    // with (installed beside it, as the Pub/Sub client is); everything else is bundled.
    external: EXTERNAL[e.platform],
    plugins: [lazyBuiltins, buildTimeData],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  };
}

export interface Bundle {
  /** The entry: dist/<platform>/<name>.mjs. */
  file: string;
  /** What its import loads: the entry and the chunks it imports statically. */
  bytes: number;
  /** Its chunks, in dist/<platform>/<name>/ (paths relative to dist/<platform>). */
  chunks: string[];
  /** What loads only on use (behind `import()`). */
  lazyBytes: number;
  /** The source files its import runs (relative to the repository; packages as node_modules/…). */
  eagerInputs: string[];
}

export async function bundle(e: Entry, outDir = OUT): Promise<Bundle> {
  const dir = join(outDir, e.platform);
  rmSync(join(dir, e.name), { recursive: true, force: true });
  const r = await build({ ...options(e), outdir: dir, metafile: true });
  const file = join(dir, `${e.name}.mjs`);
  const outputs = new Map(Object.entries(r.metafile.outputs).map(([o, m]) => [resolve(process.cwd(), o), m]));
  const eager = new Set<string>();
  const visit = (o: string) => {
    if (eager.has(o)) return;
    eager.add(o);
    for (const i of outputs.get(o)?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external) visit(resolve(process.cwd(), i.path));
  };
  visit(file);
  let bytes = 0;
  let lazyBytes = 0;
  const eagerInputs = new Set<string>();
  for (const [o, m] of outputs) {
    if (eager.has(o)) {
      bytes += m.bytes;
      for (const i of Object.keys(m.inputs)) eagerInputs.add(relative(ROOT, resolve(process.cwd(), i)));
    } else lazyBytes += m.bytes;
  }
  const chunks = [...outputs.keys()].filter((o) => o !== file).map((o) => relative(dir, o));
  return { file, bytes, chunks: chunks.sort(), lazyBytes, eagerInputs: [...eagerInputs].sort() };
}

/** The npm packages a bundle carries, and those it imports from the platform (external). */
export async function bundledPackages(e: Entry): Promise<{ bundled: Set<string>; external: Set<string> }> {
  const r = await build({
    ...options(e),
    outdir: join(OUT, e.platform),
    write: false,
    metafile: true,
  });
  const pkg = (path: string) => {
    const i = path.lastIndexOf('node_modules/');
    if (i < 0) return undefined;
    const [scope, name] = path.slice(i + 'node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : scope;
  };
  const bundled = new Set<string>();
  for (const input of Object.keys(r.metafile.inputs)) {
    const name = pkg(input);
    if (name) bundled.add(name);
  }
  const external = new Set<string>();
  for (const out of Object.values(r.metafile.outputs))
    for (const i of out.imports) if (i.external && !isBuiltin(i.path)) external.add(i.path);
  return { bundled, external };
}

if (import.meta.main) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const e of entries()) {
    const { file, bytes, chunks, lazyBytes } = await bundle(e);
    const lazy = chunks.length
      ? `  (${chunks.length} chunks; + ${(lazyBytes / 1024).toFixed(0)} KiB loaded on use)`
      : '';
    console.log(`${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${file.slice(ROOT.length + 1)}${lazy}`);
  }
}
