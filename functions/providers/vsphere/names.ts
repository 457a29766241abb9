// vSphere identities: the providerID (`vsphere://<BIOS UUID>`, CAPV), the VM's markers (its instance UUID is the
// Machine UID, and two extraConfig keys carry the Machine UID and the cluster), and inventory paths.
import { VSPHERE_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';

/** extraConfig keys marking a VM as capi-fn's (vSphere VMs have no labels; tags need the REST API vcsim lacks). */
export const MACHINE_UID_KEY = 'capifn.machineuid';
export const CLUSTER_KEY = 'capifn.cluster';

export function formatProviderID(biosUuid: string): string {
  return `${VSPHERE_PROVIDER_ID_PREFIX}${biosUuid.toLowerCase()}`;
}

/** The BIOS UUID of a providerID (checked case-insensitively, as CAPV does). */
export function parseProviderID(id: string | undefined): string | undefined {
  const m = /^vsphere:\/\/([0-9a-fA-F-]{36})$/.exec(id ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Whether `s` is a UUID (a `template` given by instance UUID, as CAPV accepts). */
export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

/**
 * An inventory path for SearchIndex.FindByInventoryPath. An absolute path (`/DC0/vm/ocp`) is taken as it is; a
 * relative one is under the datacenter's folder of that kind (`ocp` → `DC0/vm/ocp`), as govmomi's finder does.
 */
export function inventoryPath(
  datacenter: string,
  kind: 'vm' | 'host' | 'datastore' | 'network',
  value: string | undefined,
): string {
  if (!value) return `${datacenter}/${kind}`;
  if (value.startsWith('/')) return value.replace(/^\/+/, '');
  const rel = value.replace(/^\.?\/+/, '');
  if (rel.startsWith(`${datacenter}/${kind}/`) || rel === `${datacenter}/${kind}`) return rel;
  return `${datacenter}/${kind}/${rel}`;
}

/**
 * A resource pool path: absolute as given; a cluster name means its root pool (`DC0_C0` → `DC0/host/DC0_C0/Resources`),
 * and `cluster/Resources/...` is under the datacenter's host folder.
 */
export function resourcePoolPath(datacenter: string, value: string): string {
  if (value.startsWith('/')) return value.replace(/^\/+/, '');
  const rel = inventoryPath(datacenter, 'host', value);
  return /\/Resources(\/|$)/.test(rel) ? rel : `${rel}/Resources`;
}
