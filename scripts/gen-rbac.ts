// Regenerates infra/rbac/ (one ServiceAccount and its roles per deployed function) from the functions' declared
// watches, reads and writes; `--check` only reports whether the folder is current.
import { join } from 'node:path';
import { writeRendered } from './deploy/rendered.ts';
import { isRbacFile, RBAC_DIR, renderRbacFiles, staleRbacFiles } from './gen-rbac-rules.ts';

const root = join(import.meta.dirname, '..');

if (process.argv.includes('--check')) {
  const stale = staleRbacFiles(root);
  if (stale.length) {
    console.error(`out of date: ${stale.join(', ')}\nrun \`npm run gen:rbac\``);
    process.exit(1);
  }
  console.log(`${RBAC_DIR}/ up to date`);
} else {
  const files = renderRbacFiles();
  writeRendered(root, RBAC_DIR, files, isRbacFile);
  console.log(`wrote ${files.size} files to ${RBAC_DIR}/`);
}
