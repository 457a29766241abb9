// What an OpenShift installer leaves behind for the Cluster CAPI Operator, for clusters that have no installer:
// the embedded default (`capi-fn up`) and the tests. FeatureGate/cluster, Infrastructure/cluster with its status,
// the two namespaces, the MAPI worker Ignition stub, and per platform the inputs the operator reads to build the
// infrastructure cluster (credential Secrets, a MAPI MachineSet's providerSpec) with simulated values.
// Re-running it updates everything in place (server-side apply), so a different platform or cluster ID is simply
// applied over the previous one and the operator picks it up on its next invocation.

import type { KubeObject } from '../../shared/api/meta.ts';
import {
  CLUSTER_SINGLETON_NAME,
  CONFIG_API_VERSION,
  FeatureGates,
  type FeatureSet,
  LOCAL_PLATFORM_TYPE,
  MAPI_API_VERSION,
  MAPILabels,
  Namespaces,
  OperatorNames,
  PLATFORM_PROVIDERS,
  type PlatformType,
} from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { parseEndpoint } from './core-cluster.ts';
import { DEFAULT_RELEASE_VERSION } from './handler.ts';
import { OPENSTACK_CREDENTIALS_SECRET, VSPHERE_CREDS } from './infra-cluster.ts';

export const SEED_FIELD_MANAGER = 'capi-fn-seed';

export interface SeedOptions {
  platform: PlatformType;
  /** `Default` is accepted for the default feature set `""`. */
  featureSet: FeatureSet | 'Default';
  infrastructureName: string;
  /** The API server's URL; also used as the internal URI (the embedded server has one endpoint). */
  apiServerURL: string;
  releaseVersion?: string;
  /** AWS only: the region the Infrastructure reports (default us-east-1). */
  awsRegion?: string;
}

/** A minimal worker Ignition stub of the kind the installer writes (it only points at the machine-config server). */
export function ignitionStub(apiServerURL: string): string {
  const host = parseEndpoint(apiServerURL)?.host ?? '127.0.0.1';
  return JSON.stringify({
    ignition: {
      version: '3.4.0',
      config: { merge: [{ source: `https://${host}:22623/config/worker` }] },
      security: { tls: { certificateAuthorities: [{ source: 'data:text/plain;charset=utf-8;base64,' }] } },
    },
  });
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function secret(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function mapiMachineSet(infraName: string, providerSpec: Record<string, unknown>): KubeObject {
  const name = `${infraName}-worker-0`;
  const labels = { [MAPILabels.clusterAPICluster]: infraName, [MAPILabels.clusterAPIMachineSet]: name };
  return {
    apiVersion: MAPI_API_VERSION,
    kind: 'MachineSet',
    metadata: { name, namespace: Namespaces.machineAPI, labels: { [MAPILabels.clusterAPICluster]: infraName } },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, [MAPILabels.clusterAPIMachineRole]: 'worker' } },
        spec: { providerSpec: { value: { apiVersion: MAPI_API_VERSION, ...providerSpec } } },
      },
    },
  };
}

interface PlatformSeed {
  platformSpec: Record<string, unknown>;
  platformStatus: Record<string, unknown>;
  objects: KubeObject[];
}

/** Simulated per-platform inputs, shaped like the installer's (openshift-capi.md §1.6 table). */
export function platformSeed(platform: PlatformType, infraName: string, awsRegion = 'us-east-1'): PlatformSeed {
  const vip = '10.0.0.5';
  const onPrem = {
    apiServerInternalIPs: [vip],
    ingressIPs: ['10.0.0.7'],
    loadBalancer: { type: 'OpenShiftManagedDefault' },
  };
  switch (platform) {
    case 'AWS':
      return {
        platformSpec: { type: platform, aws: {} },
        platformStatus: { type: platform, aws: { region: awsRegion } },
        objects: [],
      };
    case 'GCP':
      return {
        platformSpec: { type: platform, gcp: {} },
        platformStatus: { type: platform, gcp: { projectID: 'capi-fn-simulated', region: 'us-central1' } },
        objects: [
          mapiMachineSet(infraName, {
            kind: 'GCPMachineProviderSpec',
            projectID: 'capi-fn-simulated',
            region: 'us-central1',
            zone: 'us-central1-a',
            networkInterfaces: [{ network: `${infraName}-network`, subnetwork: `${infraName}-worker-subnet` }],
          }),
        ],
      };
    case 'Azure': {
      const rg = `${infraName}-rg`;
      return {
        platformSpec: { type: platform, azure: {} },
        platformStatus: {
          type: platform,
          azure: { cloudName: 'AzurePublicCloud', resourceGroupName: rg, networkResourceGroupName: rg },
        },
        objects: [
          secret(Namespaces.clusterAPI, PLATFORM_PROVIDERS.Azure!.credentialsSecret, {
            azure_client_id: '00000000-0000-4000-8000-00000000c11d',
            azure_tenant_id: '00000000-0000-4000-8000-0000000a7e17',
            azure_client_secret: 'simulated-client-secret',
            azure_subscription_id: '00000000-0000-4000-8000-0000005ab5c0',
            azure_region: 'eastus',
          }),
          mapiMachineSet(infraName, {
            kind: 'AzureMachineProviderSpec',
            location: 'eastus',
            resourceGroup: rg,
            networkResourceGroup: rg,
            vnet: `${infraName}-vnet`,
            subnet: `${infraName}-worker-subnet`,
          }),
        ],
      };
    }
    case 'VSphere': {
      const server = 'vcenter.capi-fn.local';
      return {
        platformSpec: {
          type: platform,
          vsphere: { ...onPrem, vcenters: [{ server, port: 443, datacenters: ['DC0'] }] },
        },
        platformStatus: { type: platform, vsphere: onPrem },
        objects: [
          secret(VSPHERE_CREDS.namespace, VSPHERE_CREDS.name, {
            [`${server}.username`]: 'administrator@vsphere.local',
            [`${server}.password`]: 'simulated-password',
          }),
        ],
      };
    }
    case 'OpenStack':
      return {
        platformSpec: { type: platform, openstack: { apiServerInternalIPs: [vip], ingressIPs: ['10.0.0.7'] } },
        platformStatus: { type: platform, openstack: { ...onPrem, cloudName: 'openstack' } },
        objects: [
          secret(Namespaces.clusterAPI, OPENSTACK_CREDENTIALS_SECRET, {
            'clouds.yaml': 'clouds:\n  openstack:\n    auth:\n      auth_url: https://keystone.capi-fn.local:5000/v3\n',
          }),
        ],
      };
    case 'BareMetal':
      return {
        platformSpec: { type: platform, baremetal: { apiServerInternalIPs: [vip], ingressIPs: ['10.0.0.7'] } },
        platformStatus: { type: platform, baremetal: onPrem },
        objects: [],
      };
    default:
      return { platformSpec: { type: platform }, platformStatus: { type: platform }, objects: [] };
  }
}

async function apply(kube: KubeClient, obj: KubeObject, subresource?: 'status'): Promise<void> {
  await kube.apply(obj, { fieldManager: SEED_FIELD_MANAGER, force: true, ...(subresource ? { subresource } : {}) });
}

export async function seedOpenShiftObjects(kube: KubeClient, o: SeedOptions): Promise<void> {
  const featureSet = o.featureSet === 'Default' ? '' : o.featureSet;
  const version = o.releaseVersion ?? DEFAULT_RELEASE_VERSION;
  for (const name of [Namespaces.clusterAPI, Namespaces.machineAPI]) {
    await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const seed = platformSeed(o.platform, o.infrastructureName, o.awsRegion);
  const infra: KubeObject = {
    apiVersion: CONFIG_API_VERSION,
    kind: 'Infrastructure',
    metadata: { name: CLUSTER_SINGLETON_NAME },
    spec: { platformSpec: seed.platformSpec },
  };
  await apply(kube, infra);
  const single = o.platform === LOCAL_PLATFORM_TYPE ? 'SingleReplica' : 'HighlyAvailable';
  await apply(
    kube,
    {
      ...infra,
      spec: undefined,
      status: {
        infrastructureName: o.infrastructureName,
        platform: o.platform,
        platformStatus: seed.platformStatus,
        apiServerURL: o.apiServerURL,
        apiServerInternalURI: o.apiServerURL,
        etcdDiscoveryDomain: '',
        controlPlaneTopology: single,
        infrastructureTopology: single,
      },
    },
    'status',
  );

  await apply(
    kube,
    secret(Namespaces.machineAPI, OperatorNames.userDataSecret, { userData: ignitionStub(o.apiServerURL) }),
  );
  if (o.platform === 'BareMetal') {
    // The docs have the user copy this one into openshift-cluster-api by hand; the operator does not sync it.
    await apply(
      kube,
      secret(Namespaces.machineAPI, OperatorNames.bareMetalUserDataSecret, { userData: ignitionStub(o.apiServerURL) }),
    );
  }
  for (const obj of seed.objects) await apply(kube, obj);
  // The feature set last: the operator turns on only once the platform and its inputs are in place (otherwise
  // a re-seed onto another platform could briefly install the previous platform's provider).
  const capiGates = Object.values(FeatureGates).filter((g) => g.startsWith('ClusterAPIMachineManagement'));
  const enabled = featureSet === 'TechPreviewNoUpgrade' ? capiGates : [];
  const fg: KubeObject = {
    apiVersion: CONFIG_API_VERSION,
    kind: 'FeatureGate',
    metadata: { name: CLUSTER_SINGLETON_NAME },
    spec: { featureSet },
  };
  await apply(kube, fg);
  await apply(
    kube,
    {
      ...fg,
      spec: undefined,
      status: {
        featureGates: [
          {
            version,
            enabled: enabled.map((name) => ({ name })),
            disabled: capiGates.filter((g) => !enabled.includes(g)).map((name) => ({ name })),
          },
        ],
      },
    },
    'status',
  );
}
