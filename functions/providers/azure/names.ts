// Azure identities: the providerID (`azure:///subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/
// virtualMachines/<vm>`, resource group lower-cased as CAPZ writes it), the location a port is bound to
// (`<subscription>/<resource group>`), the names CAPZ derives from the VM name, and the tags that mark a VM as
// capi-fn's.
import { AZURE_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';

/** CAPZ's ownership tag, `sigs.k8s.io_cluster-api-provider-azure_cluster_<cluster>: owned`. */
export const CLUSTER_TAG_PREFIX = 'sigs.k8s.io_cluster-api-provider-azure_cluster_';
export const ROLE_TAG = 'sigs.k8s.io_cluster-api-provider-azure_role';
/** The cloud provider's tag (`kubernetes.io_cluster_<cluster>: owned`). */
export const KUBERNETES_CLUSTER_TAG_PREFIX = 'kubernetes.io_cluster_';
/** capi-fn's identity tag: the Machine UID. */
export const IDENTITY_TAG = 'capi-fn-machine-uid';

export function vmID(sub: string, rg: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function formatProviderID(sub: string, rg: string, name: string): string {
  return `${AZURE_PROVIDER_ID_PREFIX}${vmID(sub, rg.toLowerCase(), name)}`;
}

export function parseProviderID(id: string | undefined): { sub: string; rg: string; name: string } | undefined {
  const m =
    /^azure:\/\/\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(
      id ?? '',
    );
  return m ? { sub: m[1]!, rg: m[2]!, name: m[3]! } : undefined;
}

export function formatLocation(sub: string, rg: string): string {
  return `${sub}/${rg}`;
}

export function parseLocation(location: string | undefined): { sub?: string; rg?: string } {
  const [sub, rg] = (location ?? '').split('/');
  return { ...(sub ? { sub } : {}), ...(rg ? { rg } : {}) };
}

/** CAPZ: `<vm>-nic`, or `<vm>-nic-<i>` when the machine has several. */
export function nicName(vm: string, index: number, count: number): string {
  return count > 1 ? `${vm}-nic-${index}` : `${vm}-nic`;
}

export const osDiskName = (vm: string) => `${vm}_OSDisk`;
export const dataDiskName = (vm: string, suffix: string) => `${vm}_${suffix}`;

/** An ARM resource ID's parts (`/subscriptions/s/resourceGroups/rg/providers/NS/type/name/...`). */
export function parseResourceID(
  id: string,
): { sub: string; rg: string; namespace: string; segments: string[] } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(id);
  return m ? { sub: m[1]!, rg: m[2]!, namespace: m[3]!, segments: m[4]!.split('/') } : undefined;
}
