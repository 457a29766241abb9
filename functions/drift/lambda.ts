// AWS Lambda entrypoint of the scheduled drift check: the objects that differ from converged get a resync
// event on the EventBridge bus (CAPI_FN_EVENT_BUS; CAPI_FN_DRIFT_MODE=full resyncs every watched object), and
// every deployed provider's cloud is scanned for orphans (CAPI_FN_ORPHANS, CAPI_FN_ORPHAN_GRACE: scanners.ts).

import { EventBridgeBus } from '../../shared/bus/eventbridge.ts';
import { scheduledHandler } from '../../shared/entrypoints/lambda-schedule.ts';
import { watchedKinds } from '../../shared/runtime/watched-kinds.ts';
import { driftCheckedHandlers } from '../registry.ts';
import { driftModeFromEnv, runDriftCheck } from './drift.ts';
import { deployedOrphanScanners, orphanOptionsFromEnv } from './scanners.ts';

export const handler = scheduledHandler('drift', async ({ kube, log }) => {
  const bus = new EventBridgeBus({ busName: process.env.CAPI_FN_EVENT_BUS ?? 'capi-fn' });
  // The operator has its own schedule; its watches (every Secret, CRD…) are not resynced here.
  const kinds = watchedKinds(driftCheckedHandlers());
  return runDriftCheck({
    kube,
    bus,
    kinds,
    mode: driftModeFromEnv(process.env),
    source: process.env.CAPI_FN_SOURCE ?? 'capi-fn/drift',
    log,
    scanners: await deployedOrphanScanners(kube),
    ...orphanOptionsFromEnv(process.env),
  });
});
