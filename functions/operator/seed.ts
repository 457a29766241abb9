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
  Namespaces,
  OperatorNames,
  type PlatformType,
} from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { providerForPlatformType } from '../providers/index.ts';
import { parseEndpoint } from './core-cluster.ts';
import { DEFAULT_RELEASE_VERSION } from './handler.ts';

export const SEED_FIELD_MANAGER = 'capi-fn-seed';

export interface SeedOptions {
  platform: PlatformType;
  /** `Default` is accepted for the default feature set `""`. */
  featureSet: FeatureSet | 'Default';
  infrastructureName: string;
  /** The API server's URL; also used as the internal URI (the embedded server has one endpoint). */
  apiServerURL: string;
  releaseVersion?: string;
  /** The environment a provider's simulated installer reads (AWS_REGION for AWS). */
  env?: NodeJS.ProcessEnv;
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

async function apply(kube: KubeClient, obj: KubeObject, subresource?: 'status'): Promise<void> {
  await kube.apply(obj, { fieldManager: SEED_FIELD_MANAGER, force: true, ...(subresource ? { subresource } : {}) });
}

export async function seedOpenShiftObjects(kube: KubeClient, o: SeedOptions): Promise<void> {
  const featureSet = o.featureSet === 'Default' ? '' : o.featureSet;
  const version = o.releaseVersion ?? DEFAULT_RELEASE_VERSION;
  for (const name of [Namespaces.clusterAPI, Namespaces.machineAPI]) {
    await apply(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const module = providerForPlatformType(o.platform);
  const seed = module
    ? module.simulatedInstall({
        infrastructureName: o.infrastructureName,
        env: o.env ?? process.env,
        workerIgnition: ignitionStub(o.apiServerURL),
      })
    : { platformSpec: { type: o.platform }, platformStatus: { type: o.platform }, objects: [] };
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
