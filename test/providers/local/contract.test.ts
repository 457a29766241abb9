// The provider contract for the local provider, against its simulated cloud.
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { LocalCloud } from '../../../functions/providers/local/cloud.ts';
import { localProviderHandlers } from '../../../functions/providers/local/handler.ts';
import { localProvider } from '../../../functions/providers/local/index.ts';
import { CLUSTER, NS, sampleObjects } from '../../support/sample.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';

function fixture(): ProviderFixture {
  let cloud: LocalCloud | undefined;
  const current = () => {
    if (!cloud) throw new Error('no installation');
    return cloud;
  };
  return {
    module: localProvider,
    infraMachine: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' },
    timings: { badInputRetryMs: 300 },
    start: async () => {},
    stop: async () => {},
    reset: async () => {},
    async install({ kube, wrap, timings }) {
      const c = new LocalCloud({ kube, defaultBootDelayMs: 0 });
      cloud = c;
      return {
        handlers: localProviderHandlers(() => wrap(c), timings),
        client: c,
        stop: async () => c.close(),
      };
    },
    async seed() {
      const objects = sampleObjects({ replicas: 0 }).filter(
        (o) => o.kind !== 'LocalMachineTemplate' && o.kind !== 'MachineSet',
      );
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects,
        template: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'LocalMachineTemplate',
          spec: { cpus: 4, memoryMiB: 16384, image: 'rhcos-4.20-local' },
        },
        badInput: [
          {
            what: 'image',
            spec: { image: 'rhcos-9.99-local' },
            reason: 'ImageNotFound',
            field: 'spec.image',
            fix: async () => current().addImage('rhcos-9.99-local'),
          },
          {
            what: 'network',
            spec: { failureDomain: 'local-z' },
            reason: 'ZoneNotFound',
            field: 'spec.failureDomain',
            fix: async () => current().addZone('local-z'),
          },
          {
            what: 'instance type',
            spec: { cpus: 512 },
            reason: 'InstanceTypeNotFound',
            field: 'spec.cpus',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { cpus: 4 } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      return current()
        .all()
        .map((i) => ({ id: i.id, machineUid: i.key, live: i.state !== 'terminated', providerID: i.providerID }));
    },
    async deleteOutside(id) {
      current().terminateNow(id);
    },
    async foreignInstance() {
      const c = current();
      const i = await c.run({ key: randomUUID(), name: 'someone-elses-instance' });
      return {
        id: i.id,
        spec: { providerID: i.providerID },
        live: async () => (await c.get(i.id))?.state !== 'terminated',
      };
    },
    async orphanInstance({ clusterName, machineUid }) {
      return (await current().run({ key: machineUid, name: `orphan-${machineUid.slice(-4)}`, cluster: clusterName }))
        .id;
    },
  };
}

describe('local provider: the provider contract', () => {
  providerContract({ crashMaxK: 12 }, fixture);
});
