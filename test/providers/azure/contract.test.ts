// The provider contract for the Azure provider, against the ARM emulator (test/emulators/arm, which the Azure
// CLI accepts), through the official SDKs. VMs are read back from the emulator's own state, never through the
// provider's port.
import { describe } from 'vitest';
import { azureProviderHandlers } from '../../../functions/providers/azure/handler.ts';
import { azureProvider } from '../../../functions/providers/azure/index.ts';
import {
  CLUSTER_TAG_PREFIX,
  formatLocation,
  formatProviderID,
  IDENTITY_TAG,
} from '../../../functions/providers/azure/names.ts';
import { azurePort } from '../../../functions/providers/azure/port.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type ArmEmulator, startArmEmulator } from '../../emulators/arm/server.ts';
import { eventually } from '../../support/env.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';
import {
  AZURE,
  CLUSTER,
  clientsFor,
  docsTemplateSpec,
  imageID,
  LOCATION,
  NS,
  RG,
  SUBNET,
  seedInstalledCluster,
  TEST_TIMINGS,
  VNET,
} from './support.ts';

const IGNITION = '{"ignition":{"version":"3.4.0"}}';
const VM = 'Microsoft.Compute/virtualMachines';

function fixture(): ProviderFixture {
  let arm: ArmEmulator | undefined;
  let via: { url: string; caPem?: string } | undefined;
  const emu = () => {
    if (!arm) throw new Error('the emulator is not started');
    return arm;
  };
  const sub = () => emu().subscriptionId;
  /** A VM made straight through the emulator, as another tool would (with its own NIC). */
  const putVm = (name: string, tags: Record<string, string>) => {
    const s = emu().state;
    const subnet = `/subscriptions/${sub()}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/${VNET}/subnets/${SUBNET}`;
    s.put(
      sub(),
      RG,
      'Microsoft.Network',
      ['networkInterfaces', `${name}-nic`],
      {
        location: LOCATION,
        tags,
        properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnet } } }] },
      },
      '',
      'test',
    );
    s.put(
      sub(),
      RG,
      'Microsoft.Compute',
      ['virtualMachines', name],
      {
        location: LOCATION,
        tags,
        properties: {
          hardwareProfile: { vmSize: 'Standard_D2s_v3' },
          storageProfile: {
            imageReference: { id: imageID(sub()) },
            osDisk: { createOption: 'FromImage', deleteOption: 'Delete' },
          },
          osProfile: { computerName: name, adminUsername: 'core' },
          networkProfile: {
            networkInterfaces: [
              {
                id: `/subscriptions/${sub()}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/${name}-nic`,
              },
            ],
          },
        },
      },
      '',
      'test',
    );
  };
  const vmState = (name: string) =>
    emu()
      .state.all(VM)
      .find((v) => v.name === name)?.state ?? 'GONE';

  return {
    module: azureProvider,
    infraMachine: { apiVersion: AZURE, kind: 'AzureMachine' },
    timings: TEST_TIMINGS,
    async start() {
      arm = await startArmEmulator({ vmCreateMs: 150, vmDeleteMs: 150 });
    },
    cloudFaults: {
      dialect: 'arm',
      upstream: () => new URL(emu().endpoint).origin,
      tls: () => ({ upstreamCa: emu().caPem }),
      // The emulator's Location and Azure-AsyncOperation links are built from the Host the proxy forwards.
      createCall: `PUT /subscriptions/<id>/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/`,
      deleteCall: `DELETE /subscriptions/<id>/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/`,
      via: (url, caPem) => {
        via = url ? { url, ...(caPem ? { caPem } : {}) } : undefined;
      },
    },
    async stop() {
      await arm?.stop();
    },
    async reset() {
      emu().state.reset();
    },
    async install({ kube, wrap, timings }) {
      const api = clientsFor(emu(), via);
      const simApi = clientsFor(emu());
      const nodes = startNodeSimulator({
        kube,
        list: () => azurePort(simApi, formatLocation(sub(), RG)).listOwned({}),
        name: 'azure-node-simulator',
        intervalMs: 200,
      });
      return {
        handlers: azureProviderHandlers({ client: () => wrap(api), timings }),
        client: api,
        async stop() {
          await nodes.stop();
        },
      };
    },
    async seed() {
      seedInstalledCluster(emu());
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
            infrastructureRef: { apiVersion: AZURE, kind: 'AzureCluster', name: CLUSTER, namespace: NS },
          },
        } as KubeObject,
        {
          apiVersion: AZURE,
          kind: 'AzureCluster',
          metadata: { name: CLUSTER, namespace: NS },
          spec: {
            location: LOCATION,
            subscriptionID: sub(),
            resourceGroup: RG,
            azureEnvironment: 'AzurePublicCloud',
            networkSpec: {
              vnet: { name: VNET, resourceGroup: RG },
              nodeOutboundLB: { name: CLUSTER, backendPool: { name: CLUSTER } },
            },
            controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
          },
        } as KubeObject,
      ];
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects,
        template: { apiVersion: AZURE, kind: 'AzureMachineTemplate', spec: docsTemplateSpec(sub()) },
        badInput: [
          {
            what: 'image',
            spec: { image: { id: imageID(sub(), '9.9.9') } },
            reason: 'ImageNotFound',
            field: 'spec.image.id',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { image: { id: imageID(sub()) } } }, { type: 'merge' });
            },
          },
          {
            what: 'network',
            spec: {
              networkInterfaces: [{ acceleratedNetworking: true, privateIPConfigs: 1, subnetName: `${SUBNET}-b` }],
            },
            reason: 'SubnetNotFound',
            field: 'spec.networkInterfaces[0].subnetName',
            fix: async () => {
              emu().state.put(
                sub(),
                RG,
                'Microsoft.Network',
                ['virtualNetworks', VNET, 'subnets', `${SUBNET}-b`],
                { properties: { addressPrefix: '10.0.64.0/18' } },
                '',
                'test',
              );
            },
          },
          {
            what: 'instance type',
            spec: { vmSize: 'Standard_Q64s_v9' },
            reason: 'VMSizeNotFound',
            field: 'spec.vmSize',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { vmSize: 'Standard_D4s_v3' } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      // The emulator's ledger: every VM ever created, as ARM forgets deleted ones.
      emu().state.settle();
      return emu()
        .state.ledger.filter((e) => e.tags[IDENTITY_TAG] !== undefined)
        .map((e) => ({
          id: e.name,
          machineUid: e.tags[IDENTITY_TAG],
          live: !e.gone,
          providerID: formatProviderID(sub(), e.rg, e.name),
        }));
    },
    async deleteOutside(id) {
      emu().state.delete(sub(), RG, 'Microsoft.Compute', ['virtualMachines', id], '', 'test');
      await eventually(`${id} gone`, async () => vmState(id) === 'GONE');
    },
    async foreignInstance() {
      putVm('production-database', { env: 'prod' });
      return {
        id: 'production-database',
        spec: { providerID: formatProviderID(sub(), RG, 'production-database') },
        live: async () => vmState('production-database') !== 'GONE' && vmState('production-database') !== 'Deleting',
      };
    },
    async orphanInstance({ clusterName, machineUid }) {
      const name = `orphan-${machineUid.slice(-12)}`;
      putVm(name, { [IDENTITY_TAG]: machineUid, [`${CLUSTER_TAG_PREFIX}${clusterName}`]: 'owned' });
      return name;
    },
  };
}

describe('Azure provider on the ARM emulator: the provider contract', () => {
  providerContract({ crashMaxK: 16 }, fixture);
});
