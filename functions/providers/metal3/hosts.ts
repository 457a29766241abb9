// BareMetalHosts as the Metal3 provider sees them (reference §3): which hosts a Metal3Machine may claim, what
// a claimed host's state means for the machine, and its addresses. Pure.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import { BMHAnnotations, METAL3_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import type { CloudInstance, InstanceState } from '../kit/port.ts';

export const BMH = { apiVersion: 'metal3.io/v1alpha1', kind: 'BareMetalHost' };
export const M3M_KIND = 'Metal3Machine';
/** capi-fn's identity label on a claimed host: the Machine UID (CAPM3 uses the consumerRef alone). */
export const IDENTITY_LABEL = 'capi-fn.io/machine-uid';
export const CLUSTER_LABEL = 'cluster.x-k8s.io/cluster-name';
/**
 * On a host claimed for a Metal3Machine with a dataTemplate, until its metaData/networkData are rendered and it
 * is asked to provision: the template's name. Without it a claimed, unprovisioned host reads as stopped.
 */
export const RENDERING_ANNOTATION = 'capi-fn.io/rendering-data';

export type HostSelector = {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: Array<{ key: string; operator: string; values: string[] }> | undefined;
};

/** CAPM3 lower-cases each expression's operator and uses it as a label-selection operator. */
export function matchesHostSelector(
  labels: Record<string, string> | undefined,
  sel: HostSelector | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const v = l[e.key];
    switch (e.operator.toLowerCase()) {
      case 'in':
      case '=':
      case '==':
        if (!has || !e.values.includes(v!)) return false;
        break;
      case 'notin':
      case '!=':
        if (has && e.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
      case 'doesnotexist':
        if (has) return false;
        break;
      case 'gt':
        if (!has || !(Number(v) > Number(e.values[0]))) return false;
        break;
      case 'lt':
        if (!has || !(Number(v) < Number(e.values[0]))) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function stateOf(h: BareMetalHost): string {
  return h.status?.provisioning?.state ?? '';
}

/** A host another Metal3Machine may not take: claimed, going, broken, paused or marked unhealthy. */
export function claimable(h: BareMetalHost): boolean {
  const a = h.metadata.annotations ?? {};
  return (
    !h.spec?.consumerRef &&
    !h.metadata.deletionTimestamp &&
    !h.status?.errorMessage &&
    !(BMHAnnotations.paused in a) &&
    !(BMHAnnotations.unhealthy in a) &&
    (stateOf(h) === 'available' || stateOf(h) === 'ready')
  );
}

export function claimedBy(h: BareMetalHost, name: string): boolean {
  const c = h.spec?.consumerRef;
  return c?.kind === M3M_KIND && c.name === name;
}

export function formatProviderID(namespace: string, host: string, m3m: string): string {
  return `${METAL3_PROVIDER_ID_PREFIX}${namespace}/${host}/${m3m}`;
}

export function parseProviderID(id: string | undefined): { namespace: string; host: string; m3m: string } | undefined {
  const m = /^metal3:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(id ?? '');
  return m ? { namespace: m[1]!, host: m[2]!, m3m: m[3]! } : undefined;
}

interface Hardware {
  hostname?: string;
  nics?: Array<{ ip?: string; name?: string; mac?: string }>;
}

export function hardwareOf(h: BareMetalHost): Hardware {
  return (h.status?.hardware ?? {}) as Hardware;
}

/** Every NIC's IP as InternalIP, the host name as Hostname and InternalDNS (CAPM3). */
export function hostAddresses(h: BareMetalHost): MachineAddress[] {
  const hw = hardwareOf(h);
  const out: MachineAddress[] = [];
  for (const nic of hw.nics ?? []) if (nic.ip) out.push({ type: 'InternalIP', address: nic.ip });
  if (hw.hostname) out.push({ type: 'Hostname', address: hw.hostname }, { type: 'InternalDNS', address: hw.hostname });
  return out;
}

/**
 * A claimed host in the kit's words. Asked to provision (image or customDeploy in the spec): `provisioned` is
 * running, deprovisioning is terminating, anything before is pending. Once capi-fn cleared the spec the host
 * deprovisions (terminating) and then stands `available` but still claimed: `stopped`, which the kit answers
 * with one more delete — the release. A host being deleted is gone for the machine; a BMO error is a failure.
 */
export function toCloudInstance(h: BareMetalHost): CloudInstance {
  const ns = h.metadata.namespace!;
  const name = h.metadata.name!;
  const native = stateOf(h);
  const asked = Boolean(h.spec?.image?.url || h.spec?.customDeploy?.method);
  let state: InstanceState;
  let failureMessage: string | undefined;
  if (h.metadata.deletionTimestamp) {
    state = 'gone';
    failureMessage = `BareMetalHost ${ns}/${name} is being deleted`;
  } else if (h.status?.errorType && h.status.operationalStatus === 'error' && asked) {
    state = 'failed';
    failureMessage = `BareMetalHost ${ns}/${name}: ${h.status.errorType}: ${h.status.errorMessage}`;
  } else if (asked) {
    state = native === 'provisioned' ? 'running' : native === 'deprovisioning' ? 'terminating' : 'pending';
  } else if (h.metadata.annotations?.[RENDERING_ANNOTATION] && (native === 'available' || native === 'ready')) {
    state = 'pending';
  } else {
    state = ['provisioning', 'provisioned', 'deprovisioning', 'preparing'].includes(native) ? 'terminating' : 'stopped';
  }
  const m3m = h.spec?.consumerRef?.name ?? '';
  return {
    id: name,
    providerID: formatProviderID(ns, name, m3m),
    state,
    nativeState:
      state === 'pending' && !asked
        ? `${native}, claimed; rendering its metaData and networkData from Metal3DataTemplate ${h.metadata.annotations?.[RENDERING_ANNOTATION]}`
        : native || 'registering',
    ...(state === 'pending' ? { transitioning: true } : {}),
    addresses: hostAddresses(h),
    owner: { cluster: h.metadata.labels?.[CLUSTER_LABEL], machineUid: h.metadata.labels?.[IDENTITY_LABEL] },
    ...(h.metadata.creationTimestamp ? { createdAt: h.metadata.creationTimestamp } : {}),
    ...(hardwareOf(h).hostname ? { hostname: hardwareOf(h).hostname } : {}),
    ...(failureMessage ? { failureMessage } : {}),
    raw: h,
  };
}
