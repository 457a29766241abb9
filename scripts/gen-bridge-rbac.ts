// Regenerates infra/bridge/clusterrole.yaml and namespaced-roles.yaml from the handlers' watches; `--check` only
// reports whether they are current.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLUSTER_ROLE_FILE,
  NAMESPACED_ROLES_FILE,
  rbacFilesAreCurrent,
  renderClusterRole,
  renderNamespacedRoles,
} from '../functions/bridge/rbac.ts';
import {
  DRIFT_WATCH_LIST_FILE,
  renderDriftWatchList,
  renderWatchList,
  WATCH_LIST_FILE,
} from '../functions/bridge/watch-list.ts';

const root = join(import.meta.dirname, '..');

if (process.argv.includes('--check')) {
  if (!rbacFilesAreCurrent(root)) {
    console.error(
      `out of date: ${CLUSTER_ROLE_FILE}, ${NAMESPACED_ROLES_FILE}, ${WATCH_LIST_FILE} or ${DRIFT_WATCH_LIST_FILE}\nrun \`npm run gen:bridge-rbac\``,
    );
    process.exit(1);
  }
  console.log(`${CLUSTER_ROLE_FILE}, ${NAMESPACED_ROLES_FILE} and ${WATCH_LIST_FILE} up to date`);
} else {
  writeFileSync(join(root, CLUSTER_ROLE_FILE), renderClusterRole());
  writeFileSync(join(root, NAMESPACED_ROLES_FILE), renderNamespacedRoles());
  writeFileSync(join(root, WATCH_LIST_FILE), renderWatchList());
  writeFileSync(join(root, DRIFT_WATCH_LIST_FILE), renderDriftWatchList());
  console.log(`wrote ${CLUSTER_ROLE_FILE}, ${NAMESPACED_ROLES_FILE}, ${WATCH_LIST_FILE} and ${DRIFT_WATCH_LIST_FILE}`);
}
