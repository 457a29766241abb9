// The Cluster an object belongs to, as every handler needs it (paused state, infrastructure readiness).
import type { Cluster } from '../api/capi/cluster.ts';
import { CAPI_API_VERSION, CAPI_GROUP, Labels } from '../api/capi/constants.ts';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../kube/client.ts';

/** The Cluster `name` in `namespace`, or undefined when the name is unknown or the Cluster is gone. */
export async function findCluster(
  kube: KubeClient,
  namespace: string,
  name: string | undefined,
): Promise<Cluster | undefined> {
  if (!name) return undefined;
  return kube.find<Cluster>({ apiVersion: CAPI_API_VERSION, kind: 'Cluster', namespace, name });
}

/**
 * The name of the Cluster an infrastructure object belongs to: its Cluster owner reference (infrastructure
 * clusters), else the cluster-name label every object of a Cluster carries (it outlives the Machine owner during
 * deletion).
 */
export function clusterNameOf(obj: KubeObject): string | undefined {
  const owner = obj.metadata.ownerReferences?.find(
    (o) => o.kind === 'Cluster' && o.apiVersion.startsWith(`${CAPI_GROUP}/`),
  );
  return owner?.name ?? obj.metadata.labels?.[Labels.clusterName];
}
