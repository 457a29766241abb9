// Finding a Machine's Node by exact providerID (capi-core-spec.md §3.5) without listing every Node on
// every reconcile: try the names a Node is usually given first, then a full scan only when asked.
import { createHash } from 'node:crypto';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import type { NodeLike } from './node-sync.ts';

export const NODE = { apiVersion: 'v1', kind: 'Node' };

export { PROVIDER_ID_HASH_LABEL } from '../../shared/api/capi/constants.ts';

export function providerIdHash(providerID: string): string {
  return createHash('sha256').update(providerID).digest('hex').slice(0, 40);
}

async function getNode(kube: KubeClient, name: string): Promise<NodeLike | undefined> {
  try {
    return (await kube.get({ ...NODE, name })) as NodeLike;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Node names to try, most likely first: the waking Node event, hostname/DNS addresses, the Machine name. */
export function candidateNodeNames(machine: Machine, event: ResourceEvent | undefined): string[] {
  const names: string[] = [];
  if (event && event.data.ref.kind === 'Node' && event.data.ref.apiVersion === 'v1') names.push(event.data.ref.name);
  for (const a of machine.status?.addresses ?? [])
    if (a.type === 'Hostname' || a.type === 'InternalDNS') names.push(a.address);
  names.push(machine.metadata.name!);
  return [...new Set(names.filter(Boolean))];
}

/**
 * The Node whose spec.providerID equals `providerID`; `scan` allows a full LIST when no candidate name
 * matched. More than one match is an error, as upstream.
 */
export async function findNodeByProviderID(
  kube: KubeClient,
  providerID: string,
  candidates: string[],
  scan: boolean,
): Promise<NodeLike | undefined> {
  for (const name of candidates) {
    const node = await getNode(kube, name);
    if (node?.spec?.providerID === providerID) return node;
  }
  if (!scan) return undefined;
  const all = await kube.listAll(NODE);
  const matches = (all.items as NodeLike[]).filter((n) => n.spec?.providerID === providerID);
  if (matches.length > 1)
    throw new Error(
      `more than one Node has spec.providerID ${providerID}: ${matches.map((n) => n.metadata.name).join(', ')}`,
    );
  return matches[0];
}

export { getNode };
