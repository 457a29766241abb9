// AWS Lambda entrypoint of the bridge as a bounded scheduled function: it watches until shortly
// before the invocation's deadline, saves its checkpoint in the cluster and returns; the next tick
// resumes from that checkpoint, so no change is lost between invocations.

import { EventBridgePublisher } from '../../shared/bus/eventbridge-publisher.ts';
import { scheduledHandler } from '../../shared/entrypoints/lambda-schedule.ts';
import { Bridge } from './bridge.ts';
import { defaultCheckpoint, defaultSource, deployedWatchedKinds } from './deployed.ts';

/** Time kept back from the deadline to flush the last batch and write the checkpoint. */
const MARGIN_MS = 20_000;
/** Of that margin, what the checkpoint write keeps for itself however long the last flushes take. */
const SAVE_MS = 5_000;

/** One per warm container: its SDK client (loaded on the first publish) serves every later run. */
let publisher: EventBridgePublisher | undefined;

export const handler = scheduledHandler('bridge', async ({ kube, log }, { remainingMs }) => {
  publisher ??= new EventBridgePublisher({ busName: process.env.CAPI_FN_EVENT_BUS ?? 'capi-fn' });
  const bus = publisher;
  const bridge = new Bridge({
    kube,
    bus,
    kinds: deployedWatchedKinds(),
    source: defaultSource(),
    checkpoint: defaultCheckpoint(),
    log,
    watchTimeoutSeconds: Math.max(10, Math.floor((remainingMs() - MARGIN_MS) / 1000)),
  });
  await bridge.start();
  await new Promise((r) => setTimeout(r, Math.max(1_000, remainingMs() - MARGIN_MS)));
  await bridge.stop({ waitMs: Math.max(1_000, remainingMs() - SAVE_MS) });
  return bridge.stats;
});
