// The drift check as every host deploys it: the handlers' watched kinds (the operator has its own schedule,
// so its watches — every Secret, CRD… — are not resynced here), the mode and orphan options from the
// environment, and each deployed provider's orphan scanner. Hosts differ only in the bus they pass.
import type { EventBus } from '../../shared/bus/types.ts';
import type { FunctionEnv } from '../../shared/entrypoints/deps.ts';
import { driftModeFromEnv, runDriftCheck } from './drift.ts';
import { deployedOrphanScanners, orphanOptionsFromEnv } from './scanners.ts';
// Generated from the handlers' watches (`npm run gen:bridge-rbac`), so the bundle carries a table, not every handler.
import { DRIFT_WATCHED_KINDS } from './watched-kinds.generated.ts';

export async function runDeployedDriftCheck({ kube, log }: FunctionEnv, bus: Pick<EventBus, 'publish'>) {
  return runDriftCheck({
    kube,
    bus,
    kinds: DRIFT_WATCHED_KINDS,
    mode: driftModeFromEnv(process.env),
    source: process.env.CAPI_FN_SOURCE ?? 'capi-fn/drift',
    log,
    scanners: await deployedOrphanScanners(kube),
    ...orphanOptionsFromEnv(process.env),
  });
}
