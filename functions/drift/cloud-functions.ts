// functions-framework entrypoint of the drift check (HTTP, target "drift"), called on a schedule: by Cloud
// Scheduler on Google Cloud (resyncs published to the Pub/Sub topic CAPI_FN_TOPIC) and by a PingSource on
// Knative (to the Broker at CAPI_FN_BROKER_URL). The answer is the drift report; a failed run is a 500 the
// scheduler logs and the next tick repeats.
import * as ff from '@google-cloud/functions-framework';
import type { EventBus } from '../../shared/bus/types.ts';
import { functionEnv } from '../../shared/entrypoints/deps.ts';
import { runDeployedDriftCheck } from './deployed.ts';

async function busFromEnv(env: NodeJS.ProcessEnv): Promise<Pick<EventBus, 'publish'>> {
  if (env.CAPI_FN_BROKER_URL) {
    const { KnativeBus, deployedTriggers } = await import('../../shared/bus/knative.ts');
    return new KnativeBus({
      brokerUrl: env.CAPI_FN_BROKER_URL,
      deadLetterSink: env.CAPI_FN_BROKER_URL,
      triggers: deployedTriggers,
    });
  }
  if (!env.CAPI_FN_TOPIC || !env.GOOGLE_CLOUD_PROJECT)
    throw new Error('set CAPI_FN_BROKER_URL (Knative) or CAPI_FN_TOPIC and GOOGLE_CLOUD_PROJECT (Pub/Sub)');
  const { PubSubBus } = await import('../../shared/bus/pubsub.ts');
  return new PubSubBus({ projectId: env.GOOGLE_CLOUD_PROJECT, topic: env.CAPI_FN_TOPIC });
}

ff.http('drift', async (_req, res) => {
  const env = functionEnv();
  try {
    const report = await runDeployedDriftCheck(env, await busFromEnv(process.env));
    res.status(200).json(report);
  } catch (e) {
    env.log.error({ err: String(e) }, 'drift check failed');
    res.status(500).json({ error: 'drift check failed; the function log has the details' });
  }
});
