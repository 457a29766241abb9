// The OpenShift docs' vSphere sample (Cluster, VSphereCluster with its identity Secret, VSphereMachineTemplate,
// MachineSet) with vcsim's inventory names converges to Running Machines whose VMs vcsim holds as the template
// says; it scales, and deleting it leaves no VM in vcsim's inventory. vcsim is read through the SOAP client with its
// own session, never through the provider's port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { scannersFor } from '../../../functions/providers/kit/orphans.ts';
import { VSphereClients } from '../../../functions/providers/vsphere/credentials.ts';
import { vsphereProviderHandlers } from '../../../functions/providers/vsphere/handler.ts';
import { runtime as vsphereRuntime } from '../../../functions/providers/vsphere/runtime.ts';
import { httpTransport, type Transport } from '../../../functions/providers/vsphere/soap.ts';
import { vcsimGuestList } from '../../../functions/providers/vsphere/vcsim-guest.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import { CLUSTER, DATACENTER, IGNITION, NETWORK, NS, observer, TEMPLATE, VSPHERE } from './support.ts';

const SET = `${CLUSTER}-worker`;
const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: SET };

describe.skipIf(!hasPeer('vcsim'))('vSphere: the OpenShift docs’ sample against vcsim', () => {
  let sim: Vcsim;
  let env: CapiEnv;
  let obs: ReturnType<typeof observer>;
  let stopNodes: () => Promise<void>;
  let clients: VSphereClients;
  const requests: string[] = [];
  const ours = async () => (await obs.vms()).filter((v) => v.name.startsWith(`${SET}-`));

  beforeAll(async () => {
    sim = await startVcsim();
    obs = observer(sim);
    const https = httpTransport({ insecure: true });
    const counting: Transport = (url, headers, body) => {
      requests.push(/<soapenv:Body><(\w+)/.exec(body)?.[1] ?? '?');
      return https(url, headers, body);
    };
    // No VSPHERE_SERVER/USERNAME/PASSWORD: the credentials come from the VSphereCluster's identity Secret.
    clients = new VSphereClients({ VSPHERE_INSECURE: 'true' }, { transport: counting });
    env = await startCapiEnv({
      providers: () =>
        vsphereProviderHandlers({
          client: () => clients,
          timings: { transitionPollMs: 200, terminatePollMs: 200, badInputRetryMs: 500, clusterRetryMs: 500 },
        }),
    });
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: vcsimGuestList(new VSphereClients(sim.env)),
      name: 'vsphere-node-simulator',
      intervalMs: 200,
    });
    stopNodes = () => nodes.stop();
    await createAll(env.kube, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'worker-user-data', namespace: NS },
        data: { value: Buffer.from(IGNITION).toString('base64'), format: Buffer.from('ignition').toString('base64') },
      } as KubeObject,
      // What the operator writes from kube-system/vsphere-creds: the identity Secret named after the cluster.
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: CLUSTER, namespace: NS },
        data: {
          username: Buffer.from(sim.env.VSPHERE_USERNAME!).toString('base64'),
          password: Buffer.from(sim.env.VSPHERE_PASSWORD!).toString('base64'),
        },
      } as KubeObject,
      // The docs' Cluster and VSphereCluster.
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
          controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
          identityRef: { kind: 'Secret', name: CLUSTER },
          server: sim.server,
        },
      } as KubeObject,
      // The docs' VSphereMachineTemplate, field for field, with vcsim's names (its VM stands in for the RHCOS
      // template; it has no snapshot, so linkedClone falls back to a full clone, as CAPV does).
      {
        apiVersion: VSPHERE,
        kind: 'VSphereMachineTemplate',
        metadata: { name: `${CLUSTER}-worker-4x16`, namespace: NS },
        spec: {
          template: {
            spec: {
              template: TEMPLATE,
              server: sim.server,
              diskGiB: 128,
              cloneMode: 'linkedClone',
              datacenter: DATACENTER,
              datastore: `/${DATACENTER}/datastore/LocalDS_0`,
              folder: `/${DATACENTER}/vm`,
              resourcePool: `/${DATACENTER}/host/DC0_C0/Resources`,
              numCPUs: 4,
              memoryMiB: 16384,
              network: { devices: [{ dhcp4: true, networkName: NETWORK }] },
            },
          },
        },
      } as KubeObject,
      machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: SET,
        template: `${CLUSTER}-worker-4x16`,
        replicas: 2,
        templateKind: 'VSphereMachineTemplate',
      }),
    ]);
  }, 300_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await clients?.logout();
    await sim?.stop();
  });

  const machines = async () =>
    (await env.kube.listAll<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: NS }))
      .items;
  const running = (n: number) =>
    eventually(
      `${n} Running Machines`,
      async () => {
        const ms = await machines();
        return ms.length === n && ms.every((m) => m.status?.phase === 'Running') ? ms : false;
      },
      { timeoutMs: 90_000 },
    );

  it('the VSphereCluster is ready, logged in with its identity Secret', async () => {
    const vc = await eventually(
      'VSphereCluster ready',
      async () => {
        const o = await env.kube.get<
          KubeObject & { status?: { ready?: boolean; conditions?: Array<{ type: string; status: string }> } }
        >({ apiVersion: VSPHERE, kind: 'VSphereCluster', namespace: NS, name: CLUSTER });
        return o.status?.ready ? o : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(vc.status?.conditions?.find((c) => c.type === 'VCenterAvailable')?.status).toBe('True');
  }, 90_000);

  it('two Running Machines; their VMs in vcsim are what the template says, powered on, with Ignition', async () => {
    const ms = await running(2);
    const vms = await ours();
    expect(vms.map((v) => v.name).sort()).toEqual(ms.map((m) => m.spec.infrastructureRef.name!).sort());
    for (const m of ms) {
      const vm = vms.find((v) => v.name === m.spec.infrastructureRef.name)!;
      expect(m.spec.providerID).toBe(`vsphere://${vm.biosUuid}`);
      // capi-fn's identity: the Machine UID as instance UUID, and its markers.
      expect(vm.instanceUuid).toBe(m.metadata.uid);
      expect(vm.machineUid).toBe(m.metadata.uid);
      expect(vm.cluster).toBe(CLUSTER);
      expect(vm.powerState).toBe('poweredOn');
      // vcsim's clone ignores CPU and memory: these are the reconfigure's.
      expect([vm.numCPUs, vm.memoryMB]).toEqual([4, 16384]);
      // A full clone grows the first disk to diskGiB.
      expect(vm.diskGiB).toBe(128);
      expect(vm.extraConfig('guestinfo.ignition.config.data')).toBe(Buffer.from(IGNITION).toString('base64'));
      expect(vm.extraConfig('guestinfo.ignition.config.data.encoding')).toBe('base64');
      const vsm = await env.kube.get<KubeObject & { status?: Record<string, unknown> }>({
        apiVersion: VSPHERE,
        kind: 'VSphereMachine',
        namespace: NS,
        name: vm.name,
      });
      expect(vsm.status).toMatchObject({ ready: true, vmstate: 'poweredOn', cloneMode: 'fullClone' });
      expect(vsm.status?.taskRef).toBeUndefined();
      // Its VSphereVM, as CAPV keeps one: same name, owned by the VSphereMachine, the bootstrap data reference.
      const vsvm = await env.kube.get<KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> }>(
        { apiVersion: VSPHERE, kind: 'VSphereVM', namespace: NS, name: vm.name },
      );
      expect(vsvm.metadata.ownerReferences).toMatchObject([
        { kind: 'VSphereMachine', name: vm.name, uid: vsm.metadata.uid, controller: true },
      ]);
      expect(vsvm.spec).toMatchObject({
        template: TEMPLATE,
        biosUUID: vm.biosUuid,
        bootstrapRef: { kind: 'Secret', name: 'worker-user-data', namespace: NS },
      });
      expect(vsvm.status).toMatchObject({
        ready: true,
        vmstate: 'poweredOn',
        addresses: [expect.stringMatching(/^10\./)],
      });
      expect(vsm.status?.addresses).toEqual([
        { type: 'ExternalIP', address: expect.stringMatching(/^10\./) },
        { type: 'InternalDNS', address: vm.name },
      ]);
    }
    const perMachine = requests.filter((r) => r !== 'RetrieveServiceContent' && r !== 'Login');
    const by = new Map<string, number>();
    for (const r of perMachine) by.set(r, (by.get(r) ?? 0) + 1);
    process.stdout.write(
      `vsphere: ${perMachine.length} SOAP calls for 2 machines to Running (${[...by].map(([k, n]) => `${k} ${n}`).join(', ')})\n`,
    );
  }, 120_000);

  it('the drift check’s orphan scan reaches vCenter with the cluster’s identity Secret (no VSPHERE_* here)', async () => {
    const ms = await running(2);
    const [scanner, ...more] = await scannersFor(env.kube, 'VSphereCluster', (c) =>
      vsphereRuntime.orphans!({ ...c, client: new VSphereClients({ VSPHERE_INSECURE: 'true' }) }),
    );
    expect(more).toEqual([]);
    const owned = await scanner!.listOwned();
    expect(owned.map((o) => o.machineUid).sort()).toEqual(ms.map((m) => m.metadata.uid).sort());
  }, 120_000);

  it('scales to 3 and back to 1; vcsim follows', async () => {
    await env.kube.patch(MACHINESET, { spec: { replicas: 3 } }, { type: 'merge' });
    await running(3);
    expect(await ours()).toHaveLength(3);
    await env.kube.patch(MACHINESET, { spec: { replicas: 1 } }, { type: 'merge' });
    await running(1);
    await eventually('vcsim holds one VM of the set', async () => (await ours()).length === 1, { timeoutMs: 60_000 });
  }, 180_000);

  it('deleting the MachineSet leaves no VM in vcsim’s inventory', async () => {
    await env.kube.delete(MACHINESET);
    await eventually('no Machine', async () => (await machines()).length === 0, { timeoutMs: 90_000 });
    expect(await ours()).toEqual([]);
    await eventually(
      'no VSphereVM left (deleted with their VSphereMachines)',
      async () =>
        (await env.kube.listAll({ apiVersion: VSPHERE, kind: 'VSphereVM' }, { namespace: NS })).items.length === 0,
      { timeoutMs: 30_000 },
    );
    // vcsim's own four VMs are untouched.
    expect((await obs.vms()).map((v) => v.name).sort()).toEqual([
      'DC0_C0_RP0_VM0',
      'DC0_C0_RP0_VM1',
      'DC0_H0_VM0',
      'DC0_H0_VM1',
    ]);
  }, 120_000);
});
