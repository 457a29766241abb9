// Regenerates infra/bridge/clusterrole.yaml from the handlers' watches; `--check` only reports whether
// the file is current. (A sibling of scripts/gen-crds.ts; kept here while scripts/ is someone else's.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLUSTER_ROLE_FILE, clusterRoleFileIsCurrent, renderClusterRole } from '../functions/bridge/rbac.ts';

const file = join(import.meta.dirname, '..', CLUSTER_ROLE_FILE);

if (process.argv.includes('--check')) {
  if (!clusterRoleFileIsCurrent(file)) {
    console.error(`out of date: ${CLUSTER_ROLE_FILE}\nrun \`npm run gen:bridge-rbac\``);
    process.exit(1);
  }
  console.log(`${CLUSTER_ROLE_FILE} up to date`);
} else {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderClusterRole());
  console.log(`wrote ${CLUSTER_ROLE_FILE}`);
}
