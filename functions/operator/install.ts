// The installer step (openshift-capi.md §1.5 (b), "CAPI installer controller"): the core provider's and the
// platform provider's CRDs, plus the admission webhook configurations. Where OpenShift reads transport ConfigMaps
// of clusterctl YAML, capi-fn renders the CRDs from its kind registry; there are no provider Deployments to run
// (the handlers are functions).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { PlatformProvider } from '../../shared/api/openshift/constants.ts';
import { kindsToInstall } from './platform.ts';

/** Field manager of every server-side apply the operator makes (shows in managedFields). */
export const OPERATOR_FIELD_MANAGER = 'cluster-capi-operator';
/** Component label of the real installer; value `cluster-api` for core kinds, `infrastructure-<p>` otherwise. */
export const PROVIDER_LABEL = 'cluster.x-k8s.io/provider';
export const CORE_PROVIDER_LABEL_VALUE = 'cluster-api';
/** Digest of the intent last applied, so an unchanged intent is never re-applied (a converged step writes nothing). */
export const APPLIED_HASH_ANNOTATION = 'capi-fn.io/applied-hash';

function digest(obj: unknown): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 32);
}

/** Stamps the applied-hash annotation computed over the object without it. */
export function withAppliedHash(obj: KubeObject): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: digest(obj) };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

/** The CRDs for the core kinds and `provider`'s kinds, labelled like the real installer's components. */
export function desiredCrds(provider: PlatformProvider): KubeObject[] {
  return kindsToInstall(provider.provider).map(({ crd, core }) => {
    const label = core ? CORE_PROVIDER_LABEL_VALUE : provider.componentLabel;
    crd.metadata.labels = { ...(crd.metadata.labels ?? {}), [PROVIDER_LABEL]: label };
    return withAppliedHash(crd);
  });
}

/**
 * True when every field `desired` sets has the same value in `current` (objects: key by key; arrays: same length,
 * element by element). Fields the server added (defaults, status, managedFields) do not count.
 */
export function containsIntent(current: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return current === desired;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(current) &&
      current.length === desired.length &&
      desired.every((d, i) => containsIntent(current[i], d))
    );
  }
  if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
  const c = current as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => containsIntent(c[k], v));
}

/**
 * Whether `desired` must be (re-)applied: it is missing, was applied from another intent (an upgrade in place),
 * or drifted (someone edited a field the intent sets).
 */
export function needsApply(current: KubeObject | undefined, desired: KubeObject): boolean {
  if (!current) return true;
  const want = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (current.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return true;
  const { metadata: dm, ...dRest } = desired;
  const { metadata: cm, ...cRest } = current;
  return !(containsIntent(cm.labels ?? {}, dm.labels ?? {}) && containsIntent(cRest, dRest));
}
