// AWS Lambda entrypoint of the scheduled drift check: every watched object gets a resync event on
// the EventBridge bus (CAPI_FN_EVENT_BUS).

import { watchedKinds } from '../../local/host/watched-kinds.ts';
import { EventBridgeBus } from '../../shared/bus/eventbridge.ts';
import { scheduledHandler } from '../../shared/entrypoints/aws-schedule.ts';
import { cloudFunctions } from '../registry.ts';
import { runDriftCheck } from './drift.ts';

export const handler = scheduledHandler('drift', async ({ kube, log }) => {
  const bus = new EventBridgeBus({ busName: process.env.CAPI_FN_EVENT_BUS ?? 'capi-fn' });
  const kinds = watchedKinds(cloudFunctions.map((f) => f.def));
  return runDriftCheck({ kube, bus, kinds, source: process.env.CAPI_FN_SOURCE ?? 'capi-fn/drift', log });
});
