// OpenStack identities (DESIGN.md rule 4, reference §1.3–§1.5): the server is named after the OpenStackMachine and
// carries the Machine UID and the cluster in its metadata; ports are `<machine>-<index>` (or `-<nameSuffix>`) and
// volumes `<machine>-root` / `<machine>-<device>`, each tagged or labelled with the Machine UID; the providerID is
// `openstack://<region>/<server id>` (usually `openstack:///<id>`).
import { OPENSTACK_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';

/** Server and volume metadata key holding the Machine UID (capi-fn's identity marker). */
export const UID_METADATA = 'capi-fn-machine-uid';
/** Server metadata key holding the Cluster's name (the ownership marker). */
export const CLUSTER_METADATA = 'capi-fn-cluster';
/** Neutron tag prefix on every port capi-fn makes for a Machine (`capi-fn-machine-uid=<uid>`, 56 characters). */
export const UID_TAG_PREFIX = `${UID_METADATA}=`;

export function uidTag(machineUid: string): string {
  return `${UID_TAG_PREFIX}${machineUid}`;
}

export function portName(machine: string, index: number, nameSuffix?: string): string {
  return `${machine}-${nameSuffix ?? index}`;
}

export function rootVolumeName(machine: string): string {
  return `${machine}-root`;
}

export function deviceVolumeName(machine: string, device: string): string {
  return `${machine}-${device}`;
}

export function portDescription(namespace: string, clusterName: string): string {
  // CAPO's default description (reference §1.3).
  return `Created by cluster-api-provider-openstack cluster ${namespace}-${clusterName}`;
}

export function formatProviderID(serverId: string, region?: string): string {
  return region ? `openstack://${region}/${serverId}` : `${OPENSTACK_PROVIDER_ID_PREFIX}${serverId}`;
}

export function parseProviderID(id: string | undefined): { region: string; serverId: string } | undefined {
  const m = /^openstack:\/\/([^/]*)\/([^/]+)$/.exec(id ?? '');
  return m ? { region: m[1]!, serverId: m[2]! } : undefined;
}
