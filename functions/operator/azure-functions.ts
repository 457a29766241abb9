// Azure Functions v4 registration (queue and Event Grid triggers, and a timer that enqueues the resync).
// One instance at a time needs the app's host.json queue batchSize 1 and a scale-out limit of 1.
import { registerAzure } from '../../shared/entrypoints/azure-functions.ts';
import { operatorHandler, operatorResyncEvent, webhookFromEnv } from './index.ts';

const webhook = webhookFromEnv();

registerAzure(operatorHandler(webhook ? { webhook } : {}), {
  schedule: { ncrontab: '0 */5 * * * *', event: () => operatorResyncEvent() },
});
