// The OpenShift docs' Azure sample (Cluster, AzureCluster as the operator makes it with its AzureClusterIdentity and
// credential Secret, the docs' AzureMachineTemplate and a MachineSet without a failure domain), unmodified apart
// from the names the emulator was seeded with, converges to Running Machines whose VMs the emulator holds with the
// docs' fields; it scales, a quota refusal is a condition, and deleting it leaves no VM, NIC or disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureSdkClients } from '../../../functions/providers/azure/client.ts';
import { azureProviderHandlers } from '../../../functions/providers/azure/handler.ts';
import { formatLocation } from '../../../functions/providers/azure/names.ts';
import { azurePort } from '../../../functions/providers/azure/port.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type ArmEmulator, startArmEmulator } from '../../emulators/arm/server.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import {
  AZURE,
  CLUSTER,
  clientsFor,
  docsTemplateSpec,
  LOCATION,
  NS,
  RG,
  SUBNET,
  seedInstalledCluster,
  VNET,
} from './support.ts';

const SET = `${CLUSTER}-worker-eastus`;
const MS = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: SET };

describe('Azure: the OpenShift docs’ sample against the ARM emulator', () => {
  let arm: ArmEmulator;
  let env: CapiEnv;
  let stopNodes: () => Promise<void>;
  const vms = () => arm.state.all('Microsoft.Compute/virtualMachines');
  const nics = () => arm.state.all('Microsoft.Network/networkInterfaces');
  const disks = () => arm.state.all('Microsoft.Compute/disks');

  beforeAll(async () => {
    arm = await startArmEmulator({ vmCreateMs: 300, vmDeleteMs: 300 });
    seedInstalledCluster(arm);
    // The provider's client has no credentials of its own: it uses the AzureClusterIdentity the operator made.
    const api = new AzureSdkClients({
      endpoint: arm.endpoint,
      authorityHost: arm.authorityHost,
      ca: arm.caPem,
      env: {},
    });
    env = await startCapiEnv({
      providers: () =>
        azureProviderHandlers({ client: () => api, timings: { transitionPollMs: 200, terminatePollMs: 200 } }),
    });
    const sim = clientsFor(arm);
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: () => azurePort(sim, formatLocation(arm.subscriptionId, RG)).listOwned({}),
      name: 'azure-node-simulator',
      intervalMs: 200,
    });
    stopNodes = () => nodes.stop();
    const ignition = Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64');
    await createAll(env.kube, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'worker-user-data', namespace: NS },
        data: { value: ignition, format: Buffer.from('ignition').toString('base64') },
      } as KubeObject,
      // What OpenShift's operator creates (openshift-capi.md §1.6): the credential Secret, the identity, the AzureCluster.
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'capz-manager-cluster-credential', namespace: NS },
        data: { clientSecret: Buffer.from(arm.clientSecret).toString('base64') },
      } as KubeObject,
      {
        apiVersion: AZURE,
        kind: 'AzureClusterIdentity',
        metadata: { name: CLUSTER, namespace: NS },
        spec: {
          type: 'ServicePrincipal',
          allowedNamespaces: { list: [NS] },
          clientID: arm.clientId,
          tenantID: arm.tenantId,
          clientSecret: { name: 'capz-manager-cluster-credential', namespace: NS },
        },
      } as KubeObject,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name: CLUSTER, namespace: NS },
        spec: {
          controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
          infrastructureRef: { apiVersion: AZURE, kind: 'AzureCluster', name: CLUSTER, namespace: NS },
        },
      } as KubeObject,
      {
        apiVersion: AZURE,
        kind: 'AzureCluster',
        metadata: { name: CLUSTER, namespace: NS },
        spec: {
          location: LOCATION,
          subscriptionID: arm.subscriptionId,
          azureEnvironment: 'AzurePublicCloud',
          identityRef: { kind: 'AzureClusterIdentity', name: CLUSTER, namespace: NS },
          resourceGroup: RG,
          networkSpec: {
            vnet: { name: VNET, resourceGroup: RG },
            nodeOutboundLB: { name: CLUSTER, backendPool: { name: CLUSTER } },
          },
          controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
        },
      } as KubeObject,
      // The docs' AzureMachineTemplate and MachineSet.
      {
        apiVersion: AZURE,
        kind: 'AzureMachineTemplate',
        metadata: { name: `${CLUSTER}-worker`, namespace: NS },
        spec: { template: { spec: docsTemplateSpec(arm.subscriptionId) } },
      } as KubeObject,
      machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: SET,
        template: `${CLUSTER}-worker`,
        replicas: 2,
        templateKind: 'AzureMachineTemplate',
      }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await arm?.stop();
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

  it('the AzureCluster is ready with the location’s zones as failure domains', async () => {
    const ac = await eventually('AzureCluster ready', async () => {
      const c = await env.kube.get<
        KubeObject & { status?: { ready?: boolean; failureDomains?: Record<string, unknown> } }
      >({
        apiVersion: AZURE,
        kind: 'AzureCluster',
        namespace: NS,
        name: CLUSTER,
      });
      return c.status?.ready ? c : false;
    });
    expect(Object.keys(ac.status!.failureDomains!).sort()).toEqual(['1', '2', '3']);
  }, 60_000);

  it('two Running Machines; each VM carries the docs’ template: size, gallery image, identity, disk, NIC with accelerated networking', async () => {
    const ms = await running(2);
    expect(
      vms()
        .map((v) => [v.name, v.state])
        .sort(),
    ).toEqual(ms.map((m) => [m.spec.infrastructureRef.name!, 'Succeeded']).sort());
    const name = ms[0]!.spec.infrastructureRef.name!;
    const sub = arm.subscriptionId;
    const api = clientsFor(arm);
    const vm = await api.getVirtualMachine(sub, RG, name);
    expect(vm.hardwareProfile?.vmSize).toBe('Standard_D4s_v3');
    expect(vm.storageProfile?.imageReference?.id).toMatch(
      /\/galleries\/gallery_ocp_az_7xk2p\/images\/ocp-az-7xk2p-gen2\/versions\/latest$/,
    );
    expect(vm.storageProfile?.osDisk).toMatchObject({
      name: `${name}_OSDisk`,
      diskSizeGB: 128,
      managedDisk: { storageAccountType: 'Premium_LRS' },
    });
    expect(vm.osProfile).toMatchObject({ adminUsername: 'capi', allowExtensionOperations: false });
    expect(vm.osProfile?.linuxConfiguration?.ssh?.publicKeys?.[0]?.keyData).toMatch(/^ssh-rsa /);
    expect(vm.identity?.type).toBe('UserAssigned');
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})[0]).toMatch(
      /\/userAssignedIdentities\/ocp-az-7xk2p-identity$/,
    );
    expect(vm.tags).toMatchObject({
      [`sigs.k8s.io_cluster-api-provider-azure_cluster_${CLUSTER}`]: 'owned',
      'sigs.k8s.io_cluster-api-provider-azure_role': 'node',
      [`kubernetes.io_cluster_${CLUSTER}`]: 'owned',
      Name: name,
    });
    const nic = await api.getNetworkInterface(sub, RG, `${name}-nic`);
    expect(nic.enableAcceleratedNetworking).toBe(true);
    expect(nic.ipConfigurations?.[0]?.subnet?.id).toMatch(new RegExp(`/virtualNetworks/${VNET}/subnets/${SUBNET}$`));
    for (const m of ms) {
      expect(m.spec.providerID).toBe(
        `azure:///subscriptions/${sub}/resourceGroups/${RG.toLowerCase()}/providers/Microsoft.Compute/virtualMachines/${m.spec.infrastructureRef.name}`,
      );
    }
    const am = await env.kube.get<
      KubeObject & {
        status?: { vmState?: string; ready?: boolean; addresses?: Array<{ type: string; address: string }> };
      }
    >({
      apiVersion: AZURE,
      kind: 'AzureMachine',
      namespace: NS,
      name,
    });
    expect(am.status).toMatchObject({ vmState: 'Succeeded', ready: true });
    expect(am.status?.addresses).toEqual([
      { type: 'InternalIP', address: nic.ipConfigurations![0]!.privateIPAddress! },
      { type: 'InternalDNS', address: name },
    ]);
    // For the record: what the provider (not the simulated kubelet's listing) asked of ARM for two machines.
    const calls = arm.state.requests.filter(
      (r) => !r.path.endsWith('/virtualMachines') && !r.path.includes('oauth2') && !r.path.includes('.well-known'),
    );
    const shapes = new Map<string, number>();
    for (const c of calls) {
      const k = `${c.method} ${c.path
        .replace(/^\/subscriptions\/[^/]+/, '')
        .replace(/ocp-az-7xk2p-worker-eastus-[a-z0-9]+/g, '<m>')
        .replace(/operations\/[^/]+/, 'operations/<op>')}`;
      shapes.set(k, (shapes.get(k) ?? 0) + 1);
    }
    process.stdout.write(
      `azure: ${calls.length} ARM calls for 2 machines to Running:\n${[...shapes].map(([k, n]) => `  ${n} × ${k}`).join('\n')}\n`,
    );
  }, 120_000);

  it('scales to 3 and back to 1', async () => {
    await env.kube.patch(MS, { spec: { replicas: 3 } }, { type: 'merge' });
    await running(3);
    expect(vms()).toHaveLength(3);
    await env.kube.patch(MS, { spec: { replicas: 1 } }, { type: 'merge' });
    await running(1);
    await eventually(
      'one VM, one NIC, one disk',
      async () => vms().length === 1 && nics().length === 1 && disks().length === 1,
      {
        timeoutMs: 60_000,
      },
    );
  }, 180_000);

  it('a quota refusal is a condition naming the quota; the machine proceeds once the quota is raised', async () => {
    arm.state.coreQuota = 4; // the one Standard_D4s_v3 left uses it all
    await env.kube.patch(MS, { spec: { replicas: 2 } }, { type: 'merge' });
    const refused = await eventually(
      'an AzureMachine refused for quota',
      async () => {
        const ams = (
          await env.kube.listAll<
            KubeObject & { status?: { conditions?: Array<{ type: string; reason?: string; message?: string }> } }
          >({ apiVersion: AZURE, kind: 'AzureMachine' }, { namespace: NS })
        ).items;
        for (const a of ams) {
          const c = a.status?.conditions?.find((x) => x.type === 'InstanceReady');
          if (c?.message?.includes('OperationNotAllowed')) return { ...c, name: a.metadata.name! };
        }
        return false;
      },
      { timeoutMs: 60_000 },
    );
    expect(refused.reason).toBe('InstanceProvisionFailed');
    expect(refused.message).toContain('exceeding approved standardDSv3Family Cores quota');
    expect(refused.message).toMatch(/raise the quota or free capacity\); retrying in \d+s$/);
    expect(vms()).toHaveLength(1);
    arm.state.coreQuota = 1000;
    await env.kube.patch(
      { apiVersion: AZURE, kind: 'AzureMachine', namespace: NS, name: refused.name },
      { metadata: { annotations: { 'example.com/quota-raised': 'true' } } },
      { type: 'merge' },
    );
    await running(2);
  }, 180_000);

  it('deleting the MachineSet leaves no VM, NIC or disk', async () => {
    await env.kube.delete(MS);
    await eventually('no Machine', async () => (await machines()).length === 0, { timeoutMs: 90_000 });
    expect(vms()).toEqual([]);
    expect(nics()).toEqual([]);
    expect(disks()).toEqual([]);
  }, 120_000);
});
