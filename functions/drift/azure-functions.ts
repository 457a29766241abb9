// Azure Functions v4 registration of the drift check: a timer every 5 minutes. Resyncs go straight into the
// handlers' storage queues (the Azure queue bus, routed by the handler declarations), through the app's own
// identity-based connection; a failed run is logged and the next tick repeats.
import { app } from '@azure/functions';
import { AzureQueueBus } from '../../shared/bus/azure-queue.ts';
import { hostsFunction, STORAGE_CONNECTION } from '../../shared/entrypoints/azure-functions.ts';
import { queueServiceFromEnv } from '../../shared/entrypoints/azure-storage.ts';
import { functionEnv } from '../../shared/entrypoints/deps.ts';
import { runDeployedDriftCheck } from './deployed.ts';
import { data as subscriptions } from './subscriptions.data.ts';

export const DRIFT_NCRONTAB = '0 */5 * * * *';

if (hostsFunction('drift')) {
  app.timer('drift', {
    schedule: DRIFT_NCRONTAB,
    handler: async (_timer, context) => {
      const bus = new AzureQueueBus({
        service: await queueServiceFromEnv(STORAGE_CONNECTION),
        subscriptions: subscriptions(),
      });
      const report = await runDeployedDriftCheck(functionEnv(), bus);
      context.log(JSON.stringify({ msg: 'drift check done', report }));
    },
  });
}
