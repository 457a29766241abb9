// Regenerates infra/rbac/ (one ServiceAccount and its roles per deployed function) from the functions' declared
// watches, reads and writes; `--check` only reports whether the folder is current.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RBAC_DIR, renderRbacFiles, staleRbacFiles } from './gen-rbac-rules.ts';

const root = join(import.meta.dirname, '..');
const dir = join(root, RBAC_DIR);

if (process.argv.includes('--check')) {
  const stale = staleRbacFiles(root);
  if (stale.length) {
    console.error(`out of date: ${stale.join(', ')}\nrun \`npm run gen:rbac\``);
    process.exit(1);
  }
  console.log(`${RBAC_DIR}/ up to date`);
} else {
  const files = renderRbacFiles();
  mkdirSync(dir, { recursive: true });
  // A function no longer deployed must not keep an identity.
  for (const f of readdirSync(dir)) if (f.endsWith('.yaml') && !files.has(f)) rmSync(join(dir, f));
  for (const [f, text] of files) writeFileSync(join(dir, f), text);
  console.log(`wrote ${files.size} files to ${RBAC_DIR}/`);
}
