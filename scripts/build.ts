// One esbuild bundle per function and platform into dist/<platform>/<function>.mjs, with sizes printed:
// cold start is a user-facing number, so what each function carries is visible on every build.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { cloudFunctions } from '../functions/registry.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist');

export interface Entry {
  platform: 'aws' | 'azure' | 'gcp';
  name: string;
  entry: string;
}

export function entries(): Entry[] {
  const out: Entry[] = [];
  for (const { dir, def } of cloudFunctions) {
    for (const platform of ['aws', 'azure', 'gcp'] as const)
      out.push({ platform, name: def.name, entry: `functions/${dir}/${platform}.ts` });
  }
  out.push({ platform: 'aws', name: 'drift', entry: 'functions/drift/aws.ts' });
  out.push({ platform: 'aws', name: 'bridge', entry: 'functions/bridge/aws.ts' });
  return out;
}

export async function bundle(e: Entry, outDir = OUT): Promise<{ file: string; bytes: number }> {
  const file = join(outDir, e.platform, `${e.name}.mjs`);
  await build({
    entryPoints: [join(ROOT, e.entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    keepNames: true,
    logLevel: 'error',
    // The Lambda Node.js runtime ships AWS SDK v3 and the Functions host provides functions-core;
    // everything else is bundled.
    external: e.platform === 'aws' ? ['@aws-sdk/*'] : e.platform === 'azure' ? ['@azure/functions-core'] : [],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return { file, bytes: statSync(file).size };
}

if (import.meta.main) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const e of entries()) {
    const { file, bytes } = await bundle(e);
    console.log(`${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${file.slice(ROOT.length + 1)}`);
  }
}
