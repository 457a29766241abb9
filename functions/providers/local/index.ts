// The local provider: the embedded default's simulated cloud (like upstream's in-memory and Docker
// providers). Never deployed; `capi-fn up` runs it (runtime.ts).
import type { ProviderModule } from '../kit/module.ts';
import { endpointOrMissing } from '../kit/plan.ts';

export const localProvider: ProviderModule = {
  name: 'local',
  cliPlatform: 'local',
  platformType: 'Local',
  kinds: { cluster: 'LocalCluster', machine: 'LocalMachine', machineTemplate: 'LocalMachineTemplate' },
  hasRuntime: true,
  credentialCheck: () => ({ name: 'provider credentials', status: 'ok', detail: 'the local provider needs none' }),
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      return { spec: { controlPlaneEndpoint: endpointOrMissing(inputs, missing) }, prerequisites: [], missing };
    },
  },
  simulatedInstall: () => ({ platformSpec: { type: 'Local' }, platformStatus: { type: 'Local' }, objects: [] }),
  quickStart: ({ k, infrastructureName, namespace }) => [
    `      ${k} scale machineset.cluster.x-k8s.io/${infrastructureName}-worker-local-a -n ${namespace} --replicas=5`,
  ],
};
