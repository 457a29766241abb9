// The drift check's view of one cluster's instances in one cloud: everything carrying capi-fn's identity
// marker for that cluster, with the Machine UID it was created for. Built from the port, so every provider
// has an orphan scan without writing one.
import type { Cluster } from '../../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION } from '../../../shared/api/capi/constants.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isNotFound } from '../../../shared/kube/errors.ts';
import type { InfraClusterObject } from './definition.ts';
import type { CloudPort } from './port.ts';

export interface OwnedInstance {
  id: string;
  machineUid: string;
  createdAt?: string | undefined;
  description: string;
  /** The provider-neutral state (the drift check compares it with the infrastructure machine's). */
  state?: string | undefined;
}

export interface OrphanScanner {
  provider: string;
  /** The cluster whose instances `listOwned` returns (every one carries its ownership marker). */
  clusterName: string;
  /** The Cluster object, when known: the drift check records an Event on it for each orphan. */
  cluster?: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string | undefined };
  listOwned(): Promise<OwnedInstance[]>;
  terminate?(id: string): Promise<void>;
}

export function portScanner(provider: string, port: CloudPort<unknown>, clusterName: string): OrphanScanner {
  const seen = new Map<string, Awaited<ReturnType<typeof port.listOwned>>[number]>();
  return {
    provider,
    clusterName,
    async listOwned() {
      const owned = await port.listOwned({ clusterName });
      seen.clear();
      const out: OwnedInstance[] = [];
      for (const i of owned) {
        // Only instances with both markers: the cluster's, and the Machine UID that makes one an orphan or not.
        if (i.owner.cluster !== clusterName || !i.owner.machineUid) continue;
        seen.set(i.id, i);
        out.push({
          id: i.id,
          machineUid: i.owner.machineUid,
          createdAt: i.createdAt,
          description: `${i.id} (${i.providerID}, ${i.nativeState})`,
          state: i.state,
        });
      }
      return out;
    },
    async terminate(id) {
      const inst = seen.get(id);
      // Never delete what this scan did not list as carrying the cluster's marker.
      if (!inst) throw new Error(`instance ${id} was not listed as owned by cluster ${clusterName}; not deleting it`);
      await port.delete(inst);
    },
  };
}

/**
 * One scanner per Cluster whose infrastructure is of kind `infraKind`: the ownership marker names the Cluster,
 * and the infrastructure cluster says where to look (region, project).
 */
export async function scannersFor(
  kube: KubeClient,
  infraKind: string,
  make: (o: {
    cluster: string;
    infraCluster: InfraClusterObject | undefined;
    kube: KubeClient;
  }) => OrphanScanner | undefined | Promise<OrphanScanner | undefined>,
): Promise<OrphanScanner[]> {
  const out: OrphanScanner[] = [];
  let clusters: Cluster[];
  try {
    clusters = (await kube.listAll<Cluster>({ apiVersion: CAPI_API_VERSION, kind: 'Cluster' })).items;
  } catch (e) {
    if (isNotFound(e)) return out; // Cluster API not installed (yet)
    throw e;
  }
  for (const c of clusters) {
    const ref = c.spec?.infrastructureRef;
    if (ref?.kind !== infraKind || !ref.name || !ref.apiVersion) continue;
    const infraCluster = await kube.find<InfraClusterObject>({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      namespace: ref.namespace ?? c.metadata.namespace!,
      name: ref.name,
    });
    const scanner = await make({ cluster: c.metadata.name!, infraCluster, kube });
    if (!scanner) continue;
    out.push({
      ...scanner,
      cluster: {
        apiVersion: CAPI_API_VERSION,
        kind: 'Cluster',
        namespace: c.metadata.namespace!,
        name: c.metadata.name!,
        uid: c.metadata.uid,
      },
    });
  }
  return out;
}
