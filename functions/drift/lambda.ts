// AWS Lambda entrypoint of the scheduled drift check: the objects that differ from converged get a resync
// event on the EventBridge bus (CAPI_FN_EVENT_BUS; CAPI_FN_DRIFT_MODE=full resyncs every watched object), and
// every deployed provider's cloud is scanned for orphans (CAPI_FN_ORPHANS, CAPI_FN_ORPHAN_GRACE: scanners.ts).

import { EventBridgePublisher } from '../../shared/bus/eventbridge-publisher.ts';
import { scheduledHandler } from '../../shared/entrypoints/lambda-schedule.ts';
import { runDeployedDriftCheck } from './deployed.ts';

// It only publishes: the publish-only client loads its SDK on the first publish, where the whole bus (EventBridge
// and SQS clients) was imported with the bundle, most of its cold start.
let publisher: EventBridgePublisher | undefined;

export const handler = scheduledHandler('drift', (env) => {
  publisher ??= new EventBridgePublisher({ busName: process.env.CAPI_FN_EVENT_BUS ?? 'capi-fn' });
  return runDeployedDriftCheck(env, publisher);
});
