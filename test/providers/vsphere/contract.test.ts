// The provider contract for the vSphere provider against vcsim (govmomi's vCenter simulator, built from Debian's
// source). VMs are read back from vcsim through the SOAP client with their own session, never through the port.
import { describe } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { VSphereClients } from '../../../functions/providers/vsphere/credentials.ts';
import { vsphereProviderHandlers } from '../../../functions/providers/vsphere/handler.ts';
import { vsphereProvider } from '../../../functions/providers/vsphere/index.ts';
import { CLUSTER_KEY, formatProviderID, MACHINE_UID_KEY } from '../../../functions/providers/vsphere/names.ts';
import { vcsimGuestList } from '../../../functions/providers/vsphere/vcsim-guest.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { eventually } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';
import { CLUSTER, docsTemplateSpec, FOREIGN_VM, IGNITION, NS, observer, TEST_TIMINGS, VSPHERE } from './support.ts';

function fixture(): ProviderFixture {
  let sim: Vcsim | undefined;
  let obs: ReturnType<typeof observer> | undefined;
  /** The fault proxy's host:port, when the provider reaches vcsim through it (the cluster then names it too). */
  let via: string | undefined;
  const server = () => via ?? peer().sim.server;
  // vcsim forgets a destroyed VM: every capi-fn VM ever seen, so a duplicate made and deleted still counts.
  const ledger = new Map<string, ObservedInstance>();
  const peer = () => {
    if (!sim || !obs) throw new Error('vcsim is not started');
    return { sim, obs };
  };
  const start = async () => {
    sim = await startVcsim();
    obs = observer(sim);
  };

  return {
    module: vsphereProvider,
    infraMachine: { apiVersion: VSPHERE, kind: 'VSphereMachine' },
    timings: TEST_TIMINGS,
    start,
    async stop() {
      await sim?.stop();
    },
    async reset() {
      // vcsim starts in a fraction of a second: a fresh inventory for every test.
      await sim?.stop();
      ledger.clear();
      await start();
    },
    cloudFaults: {
      dialect: 'vsphere-soap',
      upstream: () => `https://${peer().sim.server}`,
      // vcsim serves Go's throwaway test certificate: the provider already runs with VSPHERE_INSECURE against it.
      tls: () => ({}),
      rate: 0.15,
      createCall: 'CloneVM_Task',
      deleteCall: 'Destroy_Task',
      via: (url) => {
        via = url ? new URL(url).host : undefined;
      },
    },
    async install({ kube, wrap, timings }) {
      const env = peer().sim.env;
      const api = new VSphereClients(via ? { ...env, VSPHERE_SERVER: via } : env);
      const simApi = new VSphereClients(env);
      const nodes = startNodeSimulator({
        kube,
        list: vcsimGuestList(simApi),
        name: 'vsphere-node-simulator',
        intervalMs: 200,
      });
      return {
        handlers: vsphereProviderHandlers({ client: () => wrap(api), timings }),
        client: api,
        async stop() {
          await nodes.stop();
          await api.logout();
          await simApi.logout();
        },
      };
    },
    async seed() {
      const objects: KubeObject[] = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'worker-user-data', namespace: NS },
          data: { value: Buffer.from(IGNITION).toString('base64'), format: Buffer.from('ignition').toString('base64') },
        } as KubeObject,
        {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          metadata: { name: CLUSTER, namespace: NS },
          spec: {
            controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
            infrastructureRef: { apiVersion: VSPHERE, kind: 'VSphereCluster', name: CLUSTER, namespace: NS },
          },
        } as KubeObject,
        {
          apiVersion: VSPHERE,
          kind: 'VSphereCluster',
          metadata: { name: CLUSTER, namespace: NS },
          spec: {
            server: server(),
            controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
          },
        } as KubeObject,
      ];
      const spec = docsTemplateSpec(server());
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects,
        template: { apiVersion: VSPHERE, kind: 'VSphereMachineTemplate', spec },
        badInput: [
          {
            what: 'image',
            spec: { template: 'rhcos-does-not-exist' },
            reason: 'TemplateNotFound',
            field: 'spec.template',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { template: spec.template } }, { type: 'merge' });
            },
          },
          {
            what: 'network',
            spec: { network: { devices: [{ dhcp4: true, networkName: 'ocp-segment-b' }] } },
            reason: 'NetworkNotFound',
            field: 'spec.network.devices[0].networkName',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { network: spec.network } }, { type: 'merge' });
            },
          },
          {
            what: 'instance type',
            spec: { numCPUs: 512 },
            reason: 'InsufficientHostCapacity',
            field: 'spec.numCPUs',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { numCPUs: 4 } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      const seen = new Set<string>();
      for (const vm of await peer().obs.vms()) {
        if (!vm.machineUid) continue;
        seen.add(vm.biosUuid);
        ledger.set(vm.biosUuid, {
          id: vm.biosUuid,
          machineUid: vm.machineUid,
          live: true,
          providerID: formatProviderID(vm.biosUuid),
        });
      }
      for (const [id, i] of ledger) if (!seen.has(id)) ledger.set(id, { ...i, live: false });
      return [...ledger.values()];
    },
    async deleteOutside(id) {
      const { obs } = peer();
      const vm = (await obs.vms()).find((v) => v.biosUuid === id);
      if (vm) await obs.destroy(vm.ref);
      await eventually(`${id} gone`, async () => !(await obs.vms()).some((v) => v.biosUuid === id));
    },
    async foreignInstance() {
      const { obs } = peer();
      const vm = (await obs.vms()).find((v) => v.name === FOREIGN_VM)!;
      return {
        id: vm.biosUuid,
        spec: { providerID: formatProviderID(vm.biosUuid) },
        live: async () => (await obs.vms()).some((v) => v.biosUuid === vm.biosUuid && v.powerState === 'poweredOn'),
      };
    },
    async orphanInstance({ clusterName, machineUid }) {
      const vm = await peer().obs.clone(
        `orphan-${machineUid.slice(-8)}`,
        { [MACHINE_UID_KEY]: machineUid, [CLUSTER_KEY]: clusterName },
        machineUid,
      );
      return vm.biosUuid;
    },
  };
}

// The longest reconcile is the clone: 12 vCenter calls (lookup, 5 inventory paths, 2 property reads, CloneVM_Task,
// its TaskInfo, the VM's properties, ReconfigVM_Task) and 13 Kubernetes calls (the VSphereVM record included),
// measured 25; 28 leaves room.
describe.skipIf(!hasPeer('vcsim'))('vSphere provider on vcsim: the provider contract', () => {
  providerContract({ crashMaxK: 28 }, fixture);
});
