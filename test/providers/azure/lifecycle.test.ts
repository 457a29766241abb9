// The Azure machine lifecycle beyond the docs' sample: the recorded operation while a VM is Creating (and gone once it
// settled), a zone from the Machine's failure domain, an availability set in a location without zones (deleted with
// its last VM), throttling that only delays, and a VM whose create failed after the PUT (AllocationFailed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureProviderHandlers } from '../../../functions/providers/azure/handler.ts';
import { formatLocation } from '../../../functions/providers/azure/names.ts';
import { azurePort } from '../../../functions/providers/azure/port.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { seedInstalledCluster } from '../../emulators/arm/seed.ts';
import { type ArmEmulator, startArmEmulator } from '../../emulators/arm/server.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { AZURE, clientsFor, docsTemplateSpec, NS, TEST_TIMINGS } from './support.ts';

type AM = KubeObject & {
  spec: { providerID?: string };
  status?: {
    ready?: boolean;
    vmState?: string;
    failureReason?: string;
    failureMessage?: string;
    longRunningOperationStates?: Array<{ type: string; serviceName: string; name: string }>;
  };
};

/** A cluster of its own (resource group, vnet, image) in `location`, with the docs' template. */
function clusterObjects(arm: ArmEmulator, name: string, location: string): KubeObject[] {
  const c = seedInstalledCluster(arm.state, name, location);
  const spec = { ...docsTemplateSpec(arm.subscriptionId), image: { id: c.imageID } } as Record<string, unknown>;
  spec.networkInterfaces = [{ acceleratedNetworking: true, privateIPConfigs: 1, subnetName: c.workerSubnet }];
  spec.userAssignedIdentities = [
    {
      providerID: `azure:///subscriptions/${arm.subscriptionId}/resourcegroups/${c.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${c.identity}`,
    },
  ];
  return [
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name, namespace: NS },
      spec: {
        controlPlaneEndpoint: { host: `api-int.${name}.example.com`, port: 6443 },
        infrastructureRef: { apiVersion: AZURE, kind: 'AzureCluster', name, namespace: NS },
      },
    } as KubeObject,
    {
      apiVersion: AZURE,
      kind: 'AzureCluster',
      metadata: { name, namespace: NS },
      spec: {
        location,
        subscriptionID: arm.subscriptionId,
        resourceGroup: c.rg,
        networkSpec: { vnet: { name: c.vnet, resourceGroup: c.rg } },
        controlPlaneEndpoint: { host: `api-int.${name}.example.com`, port: 6443 },
      },
    } as KubeObject,
    {
      apiVersion: AZURE,
      kind: 'AzureMachineTemplate',
      metadata: { name: `${name}-worker`, namespace: NS },
      spec: { template: { spec } },
    } as KubeObject,
  ];
}

describe('Azure machine lifecycle on the ARM emulator', () => {
  let arm: ArmEmulator;
  let env: CapiEnv;
  let stopNodes: () => Promise<void>;
  const ams = async (cluster: string) =>
    (
      await env.kube.listAll<AM>(
        { apiVersion: AZURE, kind: 'AzureMachine' },
        { namespace: NS, labelSelector: `cluster.x-k8s.io/cluster-name=${cluster}` },
      )
    ).items;
  const machines = async (set: string) =>
    (
      await env.kube.listAll<Machine>(
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
        { namespace: NS, labelSelector: `cluster.x-k8s.io/set-name=${set}` },
      )
    ).items;
  const set = (cluster: string, name: string, replicas: number, failureDomain?: string) => {
    const ms = machineSet({
      namespace: NS,
      cluster,
      name,
      template: `${cluster}-worker`,
      replicas,
      templateKind: 'AzureMachineTemplate',
    }) as KubeObject & {
      spec: { template: { spec: Record<string, unknown> } };
    };
    if (failureDomain) ms.spec.template.spec.failureDomain = failureDomain;
    return ms;
  };
  const scale = (name: string, replicas: number) =>
    env.kube.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name },
      { spec: { replicas } },
      { type: 'merge' },
    );

  beforeAll(async () => {
    arm = await startArmEmulator({ vmCreateMs: 1_500, vmDeleteMs: 200 });
    const api = clientsFor(arm);
    env = await startCapiEnv({ providers: () => azureProviderHandlers({ client: () => api, timings: TEST_TIMINGS }) });
    const sim = clientsFor(arm);
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: async () =>
        (
          await Promise.all(
            ['zoned-rg', 'nozones-rg', 'failing-rg'].map((rg) =>
              azurePort(sim, formatLocation(arm.subscriptionId, rg))
                .listOwned({})
                .catch(() => []),
            ),
          )
        ).flat(),
      name: 'azure-node-simulator',
      intervalMs: 200,
    });
    stopNodes = () => nodes.stop();
    await createAll(env.kube, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'worker-user-data', namespace: NS },
        data: { value: Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64') },
      } as KubeObject,
    ]);
  }, 120_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await arm?.stop();
  });

  it('the VM create is recorded in status while Creating and dropped once it settled; the failure domain is the zone; throttling only delays', async () => {
    await createAll(env.kube, [...clusterObjects(arm, 'zoned', 'eastus'), set('zoned', 'zoned-a', 1, '2')]);
    const creating = await eventually('an AzureMachine with its VM operation recorded', async () => {
      const [am] = await ams('zoned');
      return am?.status?.vmState === 'Creating' && am.status.longRunningOperationStates?.length ? am : false;
    });
    expect(creating.status?.longRunningOperationStates).toContainEqual(
      expect.objectContaining({ type: 'PUT', serviceName: 'virtualmachine', name: creating.metadata.name }),
    );
    // ARM throttles the next reads: the machine only waits.
    arm.state.faults.push({
      method: 'GET',
      path: '/virtualMachines/',
      http: { status: 429, code: 'TooManyRequests', retryAfter: 1 },
      times: 2,
    });
    const done = await eventually(
      'the AzureMachine ready',
      async () => {
        const [am] = await ams('zoned');
        return am?.status?.ready ? am : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.status?.vmState).toBe('Succeeded');
    expect(done.status?.longRunningOperationStates).toBeUndefined();
    const vm = await clientsFor(arm).getVirtualMachine(arm.subscriptionId, 'zoned-rg', done.metadata.name!);
    expect(vm.zones).toEqual(['2']);
    expect(arm.state.faults).toEqual([]);
  }, 120_000);

  it('a location without zones: no failure domains, the set’s machines share an availability set that goes with the last VM', async () => {
    await createAll(env.kube, [...clusterObjects(arm, 'nozones', 'northcentralus'), set('nozones', 'nozones-a', 2)]);
    const ac = await eventually('AzureCluster ready', async () => {
      const c = await env.kube.get<
        KubeObject & { status?: { ready?: boolean; failureDomains?: Record<string, unknown> } }
      >({
        apiVersion: AZURE,
        kind: 'AzureCluster',
        namespace: NS,
        name: 'nozones',
      });
      return c.status?.ready ? c : false;
    });
    expect(ac.status?.failureDomains ?? {}).toEqual({});
    await eventually('two ready', async () => (await ams('nozones')).filter((a) => a.status?.ready).length === 2, {
      timeoutMs: 60_000,
    });
    const api = clientsFor(arm);
    const as = await api.getAvailabilitySet(arm.subscriptionId, 'nozones-rg', 'nozones_nozones-a-as');
    expect(as.sku?.name).toBe('Aligned');
    for (const a of await ams('nozones')) {
      const vm = await api.getVirtualMachine(arm.subscriptionId, 'nozones-rg', a.metadata.name!);
      expect(vm.availabilitySet?.id).toBe(as.id);
      expect(vm.zones).toBeUndefined();
    }
    await scale('nozones-a', 0);
    await eventually('no machine', async () => (await machines('nozones-a')).length === 0, { timeoutMs: 60_000 });
    expect(
      arm.state.all('Microsoft.Compute/availabilitySets').filter((s) => s.name === 'nozones_nozones-a-as'),
    ).toEqual([]);
  }, 120_000);

  it('a VM whose create failed after the PUT (AllocationFailed) fails the machine with the code; deleting it leaves nothing', async () => {
    arm.state.faults.push({
      method: 'PUT',
      path: '/resourceGroups/failing-rg/providers/Microsoft.Compute/virtualMachines/',
      asyncError: {
        code: 'AllocationFailed',
        message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
      },
    });
    await createAll(env.kube, [...clusterObjects(arm, 'failing', 'eastus'), set('failing', 'failing-a', 1)]);
    const failed = await eventually(
      'the AzureMachine failed',
      async () => {
        const [am] = await ams('failing');
        return am?.status?.failureReason ? am : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(failed.status).toMatchObject({ ready: false, vmState: 'Failed', failureReason: 'CreateError' });
    expect(failed.status?.failureMessage).toContain('AllocationFailed: Allocation failed.');
    await eventually('the Machine failed', async () => (await machines('failing-a'))[0]?.status?.phase === 'Failed');
    await env.kube.delete({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineSet',
      namespace: NS,
      name: 'failing-a',
    });
    await eventually('no machine', async () => (await machines('failing-a')).length === 0, { timeoutMs: 60_000 });
    const left = [
      ...arm.state.all('Microsoft.Compute/virtualMachines'),
      ...arm.state.all('Microsoft.Network/networkInterfaces'),
      ...arm.state.all('Microsoft.Compute/disks'),
    ].filter((r) => r.id.toLowerCase().includes('/failing-rg/'));
    expect(left).toEqual([]);
  }, 120_000);
});
