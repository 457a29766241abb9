// Regenerates infra/crds/ from the zod schemas. `--check` only reports whether the files are current.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, renderCrdFiles } from '../shared/api/crd-files.ts';

const check = process.argv.includes('--check');
const dir = join(import.meta.dirname, '..', CRD_DIR);
const want = renderCrdFiles();
const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
const stale = have.filter((f) => !want.has(f));
const changed = [...want].filter(
  ([f, text]) => !existsSync(join(dir, f)) || readFileSync(join(dir, f), 'utf8') !== text,
);

if (check) {
  if (stale.length || changed.length) {
    for (const f of stale) console.error(`stale: ${CRD_DIR}/${f}`);
    for (const [f] of changed) console.error(`out of date: ${CRD_DIR}/${f}`);
    console.error('run `npm run gen:crds`');
    process.exit(1);
  }
  console.log(`${want.size} CRDs up to date`);
} else {
  mkdirSync(dir, { recursive: true });
  for (const f of stale) rmSync(join(dir, f));
  for (const [f, text] of changed) writeFileSync(join(dir, f), text);
  console.log(`${want.size} CRDs in ${CRD_DIR} (${changed.length} written, ${stale.length} removed)`);
}
