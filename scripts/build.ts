// One esbuild bundle per function and platform into dist/<platform>/<function>.mjs, with sizes printed:
// cold start is a user-facing number, so what each function carries is visible on every build.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { cloudFunctions } from '../functions/registry.ts';
import { WEBHOOKS_FUNCTION_NAME } from '../functions/webhooks/serve.ts';
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
  gcp: ['@google-cloud/functions-framework'],
};

function options(e: Entry): BuildOptions {
  return {
    entryPoints: [join(ROOT, e.entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    keepNames: true,
    logLevel: 'error',
    // The Lambda Node.js runtime ships AWS SDK v3 and the Functions host provides functions-core; the
    // functions-framework that serves a Google or Knative bundle must be the very module the bundle registers
    // with (installed beside it); everything else is bundled.
    external: EXTERNAL[e.platform],
    plugins: [lazyBuiltins],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  };
}

export async function bundle(e: Entry, outDir = OUT): Promise<{ file: string; bytes: number }> {
  const file = join(outDir, e.platform, `${e.name}.mjs`);
  await build({ ...options(e), outfile: file });
  return { file, bytes: statSync(file).size };
}

/** The npm packages a bundle carries, and those it imports from the platform (external). */
export async function bundledPackages(e: Entry): Promise<{ bundled: Set<string>; external: Set<string> }> {
  const r = await build({
    ...options(e),
    outfile: join(OUT, e.platform, `${e.name}.mjs`),
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
    const { file, bytes } = await bundle(e);
    console.log(`${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${file.slice(ROOT.length + 1)}`);
  }
}
