// What "converged" means per kind, for the drift check that detects instead of resyncing everything: an object
// differs when its status lags its spec (observedGeneration), a finalizer that guards an external resource is
// missing, a Machine of a MachineSet lost its controller, a deletion is stuck, a create intent outlived its lease,
// a not-Ready state has made no progress for a whole period, or its cloud instance went away or stopped behind our
// back. Each difference is a reason in words. Pure: objects and the time in, reasons out.
import { Annotations, Finalizers, Labels } from '../../shared/api/capi/constants.ts';
import type { Condition } from '../../shared/api/conditions.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { getCondition } from '../../shared/conditions/conditions.ts';
import { parseIntent as parseMachineSetIntent } from '../machineset/scale.ts';
import { parseIntent as parseLaunchIntent } from '../providers/kit/intent.ts';

export interface DriftLimits {
  /** A not-Ready object whose Ready condition has not moved for this long is looked at again (a lost requeue). */
  stallMs: number;
  /** A deletion older than this is looked at again. */
  stuckDeletionMs: number;
  /** A launch intent whose lease started longer ago than this is looked at again. */
  intentLeaseMs: number;
}

export const DEFAULT_LIMITS: DriftLimits = { stallMs: 5 * 60_000, stuckDeletionMs: 15 * 60_000, intentLeaseMs: 60_000 };

/** The core kinds and the finalizer each must carry while not being deleted. */
const CORE_FINALIZER: Record<string, string | undefined> = {
  Cluster: Finalizers.cluster,
  MachineSet: Finalizers.machineSet,
  Machine: Finalizers.machine,
  MachineHealthCheck: undefined,
};

export type ObjectRole = 'core' | 'infraMachine' | 'infraCluster';

interface Obj extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    phase?: string;
    ready?: boolean;
    lastUpdated?: string;
  } & Record<string, unknown>;
}

const age = (now: Date, t: string | undefined) => (t ? now.getTime() - Date.parse(t) : Number.NaN);
const minutes = (ms: number) => `${Math.round(ms / 60_000)}m`;

function paused(o: Obj): boolean {
  return Annotations.paused in (o.metadata.annotations ?? {});
}

/** Why `o` (of `kind`, playing `role`) is not converged, or undefined when it is. */
export function driftReason(o: Obj, kind: string, role: ObjectRole, now: Date, l: DriftLimits): string | undefined {
  if (paused(o)) return undefined;
  const deleting = o.metadata.deletionTimestamp;
  if (deleting) {
    const a = age(now, deleting);
    return a > l.stuckDeletionMs
      ? `deletion stuck for ${minutes(a)} (finalizers: ${(o.metadata.finalizers ?? []).join(', ') || 'none'})`
      : undefined;
  }
  if (role === 'core') {
    if (!o.status) return 'never reconciled (no status)';
    const fin = CORE_FINALIZER[kind];
    if (fin && !(o.metadata.finalizers ?? []).includes(fin)) return `finalizer ${fin} missing`;
    if (o.status.observedGeneration !== undefined && o.status.observedGeneration !== o.metadata.generation)
      return `status.observedGeneration ${o.status.observedGeneration} is behind metadata.generation ${o.metadata.generation}`;
    if (
      kind === 'Machine' &&
      o.metadata.labels?.[Labels.setName] &&
      !o.metadata.ownerReferences?.some((r) => r.controller)
    )
      return `labelled for MachineSet ${o.metadata.labels[Labels.setName]} but has no controller`;
    if (kind === 'MachineSet') {
      const intent = parseMachineSetIntent(o.metadata.annotations?.['machineset.capi-fn.io/create-intent']);
      if (intent.length) return `create intent for ${intent.length} Machines not completed`;
    }
  } else {
    const machineOwner = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Machine');
    if (role === 'infraMachine' && machineOwner && !(o.metadata.finalizers ?? []).length)
      return 'finalizer missing (its instance is unguarded)';
    // The intent stays after the create; the recorded identity (providerID) is what says it completed.
    const intent = parseLaunchIntent(o.metadata.annotations);
    if (intent?.startedAt && !o.spec?.providerID && age(now, intent.startedAt) > l.intentLeaseMs)
      return `create intent ${intent.key} started ${minutes(age(now, intent.startedAt))} ago and was not completed`;
  }
  if (o.status?.failureReason) return undefined;
  const ready = getCondition(o.status?.conditions, 'Ready');
  if (ready && ready.status !== 'True') {
    const a = age(now, ready.lastTransitionTime);
    if (a > l.stallMs) return `Ready=${ready.status} (${ready.reason ?? 'no reason'}) for ${minutes(a)}`;
  } else if (!ready && role !== 'core' && o.status?.ready !== true) {
    const a = age(now, o.metadata.creationTimestamp);
    if (a > l.stallMs) return `not ready ${minutes(a)} after its creation`;
  }
  return undefined;
}

/** The instance states that contradict a running Machine. */
const BEHIND_OUR_BACK = new Set(['stopped', 'terminating', 'gone', 'failed']);

/**
 * Why an infrastructure machine whose instance the provider listed (or did not) differs from its cloud: the
 * instance is missing or stopped while the infrastructure machine still says ready.
 */
export function instanceDrift(
  im: Obj,
  instance: { state?: string | undefined; description: string } | undefined,
  provider: string,
): string | undefined {
  if (im.metadata.deletionTimestamp || paused(im) || im.status?.failureReason) return undefined;
  if (im.status?.ready !== true) return undefined;
  if (!instance) return `its ${provider} instance is missing`;
  if (instance.state && BEHIND_OUR_BACK.has(instance.state))
    return `its ${provider} instance ${instance.description} is ${instance.state}`;
  return undefined;
}
