// The local provider: the embedded default's simulated cloud (like upstream's in-memory and Docker
// providers). Never deployed; `capi-fn up` runs it.
import { join } from 'node:path';
import type { ProviderModule } from '../kit/module.ts';
import { portScanner } from '../kit/orphans.ts';
import { endpointOrMissing } from '../kit/plan.ts';
import { LocalCloud, type LocalCloudApi } from './cloud.ts';
import { localProviderHandlers } from './handler.ts';
import { localPort } from './port.ts';

export const localProvider: ProviderModule = {
  name: 'local',
  cliPlatform: 'local',
  platformType: 'Local',
  kinds: { cluster: 'LocalCluster', machine: 'LocalMachine', machineTemplate: 'LocalMachineTemplate' },
  handlers(o) {
    if (!o?.client) throw new Error('the local provider needs its simulated cloud (it runs only inside capi-fn up)');
    return localProviderHandlers(o.client as () => LocalCloudApi, o.timings);
  },
  orphans({ cluster, client }) {
    if (!client) throw new Error('the local provider scans only its own simulated cloud (inside capi-fn up)');
    return portScanner('local', localPort(client as LocalCloudApi), cluster);
  },
  credentialCheck: () => ({ name: 'provider credentials', status: 'ok', detail: 'the local provider needs none' }),
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      return { spec: { controlPlaneEndpoint: endpointOrMissing(inputs, missing) }, prerequisites: [], missing };
    },
  },
  simulatedInstall: () => ({ platformSpec: { type: 'Local' }, platformStatus: { type: 'Local' }, objects: [] }),
  async embedded(o) {
    const cloud = new LocalCloud({
      kube: o.kube,
      stateFile: join(o.dataDir, 'local-cloud.json'),
      defaultBootDelayMs: o.bootDelayMs ?? 3_000,
      log: o.log,
    });
    return {
      client: cloud,
      handlers: localProviderHandlers(() => cloud),
      stop: () => cloud.close(),
    };
  },
  quickStart: ({ k, infrastructureName, namespace }) => [
    `      ${k} scale machineset.cluster.x-k8s.io/${infrastructureName}-worker-local-a -n ${namespace} --replicas=5`,
  ],
};
