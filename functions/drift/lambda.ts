// AWS Lambda entrypoint of the scheduled drift check: the objects that differ from converged get a resync
// event on the EventBridge bus (CAPI_FN_EVENT_BUS; CAPI_FN_DRIFT_MODE=full resyncs every watched object), and
// every deployed provider's cloud is scanned for orphans (CAPI_FN_ORPHANS, CAPI_FN_ORPHAN_GRACE: scanners.ts).

import { EventBridgeBus } from '../../shared/bus/eventbridge.ts';
import { scheduledHandler } from '../../shared/entrypoints/lambda-schedule.ts';
import { runDeployedDriftCheck } from './deployed.ts';

export const handler = scheduledHandler('drift', (env) =>
  runDeployedDriftCheck(env, new EventBridgeBus({ busName: process.env.CAPI_FN_EVENT_BUS ?? 'capi-fn' })),
);
