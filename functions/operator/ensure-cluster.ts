// Core cluster step I/O: create the Cluster once its infrastructure cluster exists (4.19+ order), accept a
// hand-made one as it is, and declare its control plane initialised.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import { Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import type { Clock } from '../../shared/runtime/handler.ts';
import { desiredCluster, parseEndpoint, withControlPlaneInitialized } from './core-cluster.ts';
import { SERVED_SOON_MS } from './ensure-infra-cluster.ts';
import { createIfAbsent, updateStatusFresh } from './io.ts';
import type { StepOutcome } from './status.ts';

export async function ensureCluster(
  kube: KubeClient,
  clock: Clock,
  provider: PlatformProvider,
  infrastructure: Infrastructure,
  infrastructureName: string,
  infraClusterExists: boolean,
): Promise<StepOutcome> {
  if (!infrastructureName) return { state: 'pending', message: 'waiting for Infrastructure status.infrastructureName' };
  const key = {
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    namespace: Namespaces.clusterAPI,
    name: infrastructureName,
  };
  let cluster = await kube.find<Cluster>(key);
  if (!cluster) {
    if (!infraClusterExists) {
      return {
        state: 'pending',
        message: `waiting for ${provider.infraClusterKind} ${Namespaces.clusterAPI}/${infrastructureName} before creating the Cluster`,
      };
    }
    const uri = infrastructure.status?.apiServerInternalURI;
    const endpoint = parseEndpoint(uri);
    if (!endpoint) {
      return {
        state: 'failed',
        message: `cannot create Cluster ${Namespaces.clusterAPI}/${infrastructureName}: Infrastructure status.apiServerInternalURI ${JSON.stringify(uri ?? '')} is not a URL with a host`,
      };
    }
    try {
      cluster = (await createIfAbsent(kube, desiredCluster({ infrastructureName, provider, endpoint }))).obj;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return {
        state: 'pending',
        message: 'waiting for the Cluster resource to be served',
        retryAfterMs: SERVED_SOON_MS,
      };
    }
  }
  await updateStatusFresh<Cluster>(kube, key, (c) => {
    const conditions = withControlPlaneInitialized(c.status?.conditions, clock.now());
    return conditions ? { ...(c.status ?? {}), conditions } : undefined;
  });
  return { state: 'done', message: `Cluster ${Namespaces.clusterAPI}/${infrastructureName} exists` };
}
