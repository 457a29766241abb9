// GCP identities: the providerID (`gce://<project>/<zone>/<name>`), the location a port is bound to
// (`<project>/<zone>`), the labels that mark an instance as capi-fn's, and the deterministic requestId.
import { createHash } from 'node:crypto';
import { GCP_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';

/** capi-fn's identity label: the Machine UID (a UID is a valid label value: lowercase hex and dashes). */
export const IDENTITY_LABEL = 'capi-fn-machine-uid';
/** CAPG's ownership label, `capg-cluster-<cluster>: owned`. */
export const CLUSTER_LABEL_PREFIX = 'capg-cluster-';
export const ROLE_LABEL = 'capg-role';

export function formatProviderID(project: string, zone: string, name: string): string {
  return `${GCP_PROVIDER_ID_PREFIX}${project}/${zone}/${name}`;
}

export function parseProviderID(id: string | undefined): { project: string; zone: string; name: string } | undefined {
  const m = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(id ?? '');
  return m ? { project: m[1]!, zone: m[2]!, name: m[3]! } : undefined;
}

export function formatLocation(project: string, zone: string | undefined): string {
  return zone ? `${project}/${zone}` : project;
}

export function parseLocation(location: string | undefined): { project?: string; zone?: string } {
  if (!location) return {};
  const [project, zone] = location.split('/');
  return { ...(project ? { project } : {}), ...(zone ? { zone } : {}) };
}

/** The region a zone belongs to (`us-central1-a` → `us-central1`). */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/**
 * A UUID derived from the idempotency key and the operation: GCE deduplicates a repeated mutation with the same
 * requestId (a UUID) for a while, so a create retried after a crash returns the first operation.
 */
export function requestIdFor(key: string, operation: 'insert' | 'delete'): string {
  const h = createHash('sha256').update(`${operation}:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** GCE label values: lowercase letters, digits, `_` and `-`, at most 63 (CAPG lower-cases user labels too). */
export function labelValue(v: string): string {
  return v.toLowerCase();
}

/** The last path segment of a URL or partial URL (`.../zones/us-central1-a` → `us-central1-a`). */
export function lastSegment(url: string | undefined): string | undefined {
  return url?.split('/').filter(Boolean).pop();
}
