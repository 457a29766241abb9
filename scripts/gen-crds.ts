// Regenerates infra/crds/ from the zod schemas. `--check` only reports whether the files are current;
// `--dir <path>` works on another directory (tests).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CRD_DIR, diffCrdFiles } from '../shared/api/crd-files.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const dirArg = args.indexOf('--dir');
if (dirArg >= 0 && !args[dirArg + 1]) {
  console.error('--dir needs a path');
  process.exit(2);
}
const dir = dirArg >= 0 ? resolve(args[dirArg + 1]!) : join(import.meta.dirname, '..', CRD_DIR);
const shown = dirArg >= 0 ? dir : CRD_DIR;
const { want, stale, changed } = diffCrdFiles(dir);

if (check) {
  if (stale.length || changed.length) {
    for (const f of stale) console.error(`stale: ${shown}/${f}`);
    for (const f of changed) console.error(`out of date: ${shown}/${f}`);
    console.error('run `npm run gen:crds`');
    process.exit(1);
  }
  console.log(`${want.size} CRDs up to date`);
} else {
  mkdirSync(dir, { recursive: true });
  for (const f of stale) rmSync(join(dir, f));
  for (const f of changed) writeFileSync(join(dir, f), want.get(f)!);
  console.log(`${want.size} CRDs in ${shown} (${changed.length} written, ${stale.length} removed)`);
}
