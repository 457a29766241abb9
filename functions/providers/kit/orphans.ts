// The drift check's view of one cluster's instances in one cloud: everything carrying capi-fn's identity
// marker for that cluster, with the Machine UID it was created for. Built from the port, so every provider
// has an orphan scan without writing one.
import type { CloudPort } from './port.ts';

export interface OwnedInstance {
  id: string;
  machineUid: string;
  createdAt?: string | undefined;
  description: string;
}

export interface OrphanScanner {
  provider: string;
  /** The cluster whose instances `listOwned` returns (every one carries its ownership marker). */
  clusterName: string;
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
