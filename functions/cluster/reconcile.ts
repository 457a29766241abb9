// One Cluster reconcile step (capi-core-spec.md §1.4–1.5): finalizer, pause, infrastructure cluster
// (ownership, readiness, endpoint, failure domains), control plane (a controlPlaneRef's readiness and
// initialisation, else the control-plane Machines' Nodes), phase and conditions; deletion removes workers
// first, then the control plane, then the infrastructure cluster, then the finalizer.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION, ConditionTypes, Finalizers, Labels, Reasons } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { Condition } from '../../shared/api/conditions.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import {
  falseCondition,
  isTrue,
  mirror,
  setCondition,
  summary,
  trueCondition,
} from '../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent, regardingOf } from '../../shared/kube/events.ts';
import { controllerOf, ensureOwnerRef, isOwnedByUid, ownerRefTo } from '../../shared/reconcile/owner-refs.ts';
import { pausedState, setPausedCondition } from '../../shared/reconcile/paused.ts';
import {
  clone,
  hasFinalizer,
  isDeleting,
  updateIfChanged,
  updateStatusIfChanged,
  withFinalizer,
  withoutFinalizer,
} from '../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../shared/runtime/handler.ts';
import { clusterPhase, endpointValid } from './phase.ts';

export const FIELD_MANAGER = 'capi-cluster';
const REQUEUE_MISSING_REF_MS = 30_000;
export const DELETE_POLL_MS = 5_000;

interface ControlPlane extends KubeObject {
  spec?: { controlPlaneEndpoint?: { host: string; port: number } };
  status?: {
    ready?: boolean;
    initialized?: boolean;
    failureReason?: string;
    failureMessage?: string;
    conditions?: Condition[];
  };
}

interface InfraCluster extends KubeObject {
  spec?: { controlPlaneEndpoint?: { host: string; port: number } };
  status?: {
    ready?: boolean;
    failureDomains?: Record<string, { controlPlane?: boolean; attributes?: Record<string, string> }>;
    failureReason?: string;
    failureMessage?: string;
    conditions?: Condition[];
  };
}

type ClusterStatus = NonNullable<Cluster['status']>;

export async function reconcileCluster(ref: ObjectRef, ctx: HandlerContext): Promise<ReconcileResult | undefined> {
  const { kube, clock } = ctx;
  let c = await kube.find<Cluster>(ref);
  if (!c) return undefined;
  const now = clock.now();

  if (!isDeleting(c) && !hasFinalizer(c, Finalizers.cluster)) {
    c = await kube.update(withFinalizer(c, Finalizers.cluster), { fieldManager: FIELD_MANAGER });
  }

  const paused = pausedState(c, c);
  const v1beta2 = {
    ...(c.status?.v1beta2 ?? {}),
    conditions: setPausedCondition(c.status?.v1beta2?.conditions, paused, c.metadata.generation, now),
  };
  if (paused.paused) {
    await updateStatusIfChanged(kube, c, { ...(c.status ?? {}), v1beta2 }, FIELD_MANAGER);
    return undefined;
  }

  const status: ClusterStatus = clone(c.status ?? {});
  status.v1beta2 = v1beta2;

  if (isDeleting(c)) return reconcileDelete(ctx, c, status);

  let requeueAfter: number | undefined;
  let specWant = clone(c);
  const infraRef = c.spec?.infrastructureRef;
  if (!infraRef?.name) {
    status.infrastructureReady = true;
    status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.infrastructureReady), now);
  } else {
    const key = {
      apiVersion: infraRef.apiVersion!,
      kind: infraRef.kind!,
      namespace: infraRef.namespace ?? c.metadata.namespace!,
      name: infraRef.name,
    };
    let infra = await kube.find<InfraCluster>(key);
    if (!infra) {
      if (status.infrastructureReady) {
        throw new Error(
          `${key.kind} ${key.namespace}/${key.name} (spec.infrastructureRef) was deleted after being ready`,
        );
      }
      status.conditions = setCondition(
        status.conditions,
        falseCondition(
          ConditionTypes.infrastructureReady,
          Reasons.waitingForInfrastructure,
          'Info',
          `${key.kind} ${key.namespace}/${key.name} not found yet`,
        ),
        now,
      );
      requeueAfter = REQUEUE_MISSING_REF_MS;
    } else {
      infra = await ownReferenced(kube, c, infra);
      if (infra.status?.failureReason) status.failureReason = infra.status.failureReason;
      if (infra.status?.failureMessage)
        status.failureMessage = `Failure detected from referenced resource ${key.kind} ${key.name}: ${infra.status.failureMessage}`;
      status.conditions = setCondition(
        status.conditions,
        mirror(
          ConditionTypes.infrastructureReady,
          infra.status?.conditions,
          infra.status?.ready
            ? trueCondition(ConditionTypes.infrastructureReady)
            : falseCondition(ConditionTypes.infrastructureReady, Reasons.waitingForInfrastructure, 'Info'),
        ),
        now,
      );
      if (infra.status?.ready || status.infrastructureReady) {
        if (!endpointValid(c.spec?.controlPlaneEndpoint) && endpointValid(infra.spec?.controlPlaneEndpoint)) {
          specWant.spec = { ...(specWant.spec ?? {}), controlPlaneEndpoint: infra.spec!.controlPlaneEndpoint! };
        }
        if (infra.status?.failureDomains) status.failureDomains = infra.status.failureDomains;
        status.infrastructureReady = true;
      }
    }
  }
  const cp = await reconcileControlPlane(kube, c, status, specWant, now);
  if (cp.requeueAfter) requeueAfter = cp.requeueAfter;
  c = await updateIfChanged(kube, c, specWant, FIELD_MANAGER);
  specWant = c;

  // No control-plane provider (OpenShift): initialised once a control-plane Machine has a Node, or as
  // the operator declares it; the condition is sticky once True, as upstream.
  if (!c.spec?.controlPlaneRef && !isTrue(status.conditions, ConditionTypes.controlPlaneInitialized)) {
    const cp = await kube.listAll<Machine>(
      { apiVersion: CAPI_API_VERSION, kind: 'Machine' },
      {
        namespace: c.metadata.namespace!,
        labelSelector: `${Labels.clusterName}=${c.metadata.name},${Labels.controlPlane}`,
      },
    );
    const initialized = cp.items.some((m) => !m.metadata.deletionTimestamp && m.status?.nodeRef);
    status.conditions = setCondition(
      status.conditions,
      initialized
        ? trueCondition(ConditionTypes.controlPlaneInitialized)
        : falseCondition(
            ConditionTypes.controlPlaneInitialized,
            Reasons.missingNodeRef,
            'Info',
            'Waiting for the first control plane machine to have its status.nodeRef set',
          ),
      now,
    );
  }

  status.phase = clusterPhase({ ...c, status });
  status.conditions = setCondition(
    status.conditions,
    summary(status.conditions, [ConditionTypes.controlPlaneReady, ConditionTypes.infrastructureReady]),
    now,
  );
  status.observedGeneration = c.metadata.generation;
  const before = c.status;
  c = await updateStatusIfChanged(kube, c, status, FIELD_MANAGER);
  // Upstream's Events (cluster_controller_phases.go), once per transition: the status write above is the record.
  if (status.infrastructureReady && !before?.infrastructureReady)
    await event(ctx, c, 'InfrastructureReady', `Cluster ${c.metadata.name} InfrastructureReady is now True`);
  if (status.phase !== before?.phase)
    await event(
      ctx,
      c,
      status.phase!,
      status.phase === 'Failed'
        ? `Cluster ${c.metadata.name} is ${status.phase}: ${status.failureMessage ?? 'unknown'}`
        : `Cluster ${c.metadata.name} is ${status.phase}`,
      status.phase === 'Failed' ? 'Warning' : 'Normal',
    );
  return requeueAfter !== undefined ? { requeueAfter } : undefined;
}

/** The Cluster becomes the controller of its infrastructure cluster and control plane, which carry its name label. */
async function ownReferenced<T extends KubeObject>(kube: KubeClient, c: Cluster, obj: T): Promise<T> {
  const want = clone(obj);
  want.metadata.ownerReferences = ensureOwnerRef(want.metadata.ownerReferences, ownerRefTo(c, { controller: true }));
  want.metadata.labels = { ...(want.metadata.labels ?? {}), [Labels.clusterName]: c.metadata.name! };
  return updateIfChanged(kube, obj, want, FIELD_MANAGER);
}

function refKey(c: Cluster, ref: { apiVersion?: string; kind?: string; namespace?: string; name?: string }) {
  return {
    apiVersion: ref.apiVersion!,
    kind: ref.kind!,
    namespace: ref.namespace ?? c.metadata.namespace!,
    name: ref.name!,
  };
}

/**
 * spec.controlPlaneRef (capi-core-spec.md §1.4, outside OpenShift's mode): the control plane provider's readiness
 * becomes ControlPlaneReady (sticky controlPlaneReady), its status.initialized ControlPlaneInitialized (sticky once
 * True), and its endpoint the Cluster's while the Cluster has none.
 */
async function reconcileControlPlane(
  kube: KubeClient,
  c: Cluster,
  status: ClusterStatus,
  specWant: Cluster,
  now: Date,
): Promise<{ requeueAfter?: number }> {
  const ref = c.spec?.controlPlaneRef;
  if (!ref?.name) return {};
  const key = refKey(c, ref);
  let cp = await kube.find<ControlPlane>(key);
  if (!cp) {
    if (status.controlPlaneReady) {
      throw new Error(`${key.kind} ${key.namespace}/${key.name} (spec.controlPlaneRef) was deleted after being ready`);
    }
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.controlPlaneReady,
        Reasons.waitingForControlPlane,
        'Info',
        `${key.kind} ${key.namespace}/${key.name} not found yet`,
      ),
      now,
    );
    return { requeueAfter: REQUEUE_MISSING_REF_MS };
  }
  cp = await ownReferenced(kube, c, cp);
  if (cp.status?.failureReason) status.failureReason = cp.status.failureReason;
  if (cp.status?.failureMessage)
    status.failureMessage = `Failure detected from referenced resource ${key.kind} ${key.name}: ${cp.status.failureMessage}`;
  status.conditions = setCondition(
    status.conditions,
    mirror(
      ConditionTypes.controlPlaneReady,
      cp.status?.conditions,
      cp.status?.ready
        ? trueCondition(ConditionTypes.controlPlaneReady)
        : falseCondition(ConditionTypes.controlPlaneReady, Reasons.waitingForControlPlane, 'Info'),
    ),
    now,
  );
  if (!isTrue(status.conditions, ConditionTypes.controlPlaneInitialized)) {
    status.conditions = setCondition(
      status.conditions,
      cp.status?.initialized
        ? trueCondition(ConditionTypes.controlPlaneInitialized)
        : falseCondition(
            ConditionTypes.controlPlaneInitialized,
            Reasons.waitingForControlPlaneProviderInitialized,
            'Info',
            `Waiting for ${key.kind} ${key.name} to report status.initialized`,
          ),
      now,
    );
  }
  if (cp.status?.ready || status.controlPlaneReady) {
    if (!endpointValid(specWant.spec?.controlPlaneEndpoint) && endpointValid(cp.spec?.controlPlaneEndpoint)) {
      specWant.spec = { ...(specWant.spec ?? {}), controlPlaneEndpoint: cp.spec!.controlPlaneEndpoint! };
    }
    status.controlPlaneReady = true;
  }
  return {};
}

const DESCENDANT_KINDS = ['MachineDeployment', 'MachineSet', 'Machine'] as const;

/** Workers first (MachineDeployments, MachineSets, Machines), then the control plane, the infrastructure cluster, the finalizer. */
async function reconcileDelete(
  ctx: HandlerContext,
  c: Cluster,
  status: ClusterStatus,
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  const now = clock.now();
  status.phase = 'Deleting';
  if (c.status?.phase !== 'Deleting') {
    // The phase first, on its own: upstream records the transition as an Event once it is written.
    c = await updateStatusIfChanged(kube, c, { ...clone(c.status ?? {}), phase: 'Deleting' }, FIELD_MANAGER);
    await event(ctx, c, 'Deleting', `Cluster ${c.metadata.name} is Deleting`);
  }
  let remaining = 0;
  for (const kind of DESCENDANT_KINDS) {
    const list = await kube.listAll(
      { apiVersion: CAPI_API_VERSION, kind },
      { namespace: c.metadata.namespace!, labelSelector: `${Labels.clusterName}=${c.metadata.name}` },
    );
    for (const obj of list.items) {
      // Control-plane Machines are the control plane provider's to remove (it goes next), not waited on here.
      if (
        kind === 'Machine' &&
        c.spec?.controlPlaneRef?.name &&
        obj.metadata.labels?.[Labels.controlPlane] !== undefined
      )
        continue;
      remaining++;
      if (obj.metadata.deletionTimestamp || !descendantToDelete(kind, obj, c)) continue;
      await deleteQuietly(
        kube,
        { apiVersion: CAPI_API_VERSION, kind, namespace: obj.metadata.namespace!, name: obj.metadata.name! },
        obj.metadata.uid!,
      );
    }
  }
  if (remaining > 0) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.ready,
        Reasons.deleting,
        'Info',
        `waiting for ${remaining} worker object(s) to be deleted`,
      ),
      now,
    );
    await updateStatusIfChanged(kube, c, status, FIELD_MANAGER);
    log.info({ remaining }, 'waiting for descendants to be deleted');
    return { requeueAfter: DELETE_POLL_MS };
  }
  // The control plane, then the infrastructure cluster: each deleted and waited for (their deletion wakes us).
  for (const [ref, condition] of [
    [c.spec?.controlPlaneRef, ConditionTypes.controlPlaneReady],
    [c.spec?.infrastructureRef, ConditionTypes.infrastructureReady],
  ] as const) {
    if (!ref?.name) continue;
    const key = refKey(c, ref);
    const obj = await kube.find(key);
    if (!obj) continue;
    if (!obj.metadata.deletionTimestamp) await deleteQuietly(kube, key, obj.metadata.uid!);
    status.conditions = setCondition(
      status.conditions,
      falseCondition(condition, Reasons.deleting, 'Info', `waiting for ${key.kind} ${key.name} to be deleted`),
      now,
    );
    await updateStatusIfChanged(kube, c, status, FIELD_MANAGER);
    return undefined;
  }
  const fresh = await kube.find<Cluster>({
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    namespace: c.metadata.namespace!,
    name: c.metadata.name!,
  });
  if (fresh && fresh.metadata.uid === c.metadata.uid) {
    await kube.update(withoutFinalizer(fresh, Finalizers.cluster), { fieldManager: FIELD_MANAGER });
    await event(ctx, c, 'Deleted', `Cluster ${c.metadata.name} has been deleted`);
  }
  return undefined;
}

function event(ctx: HandlerContext, c: Cluster, reason: string, note: string, type: 'Normal' | 'Warning' = 'Normal') {
  return recordEvent(
    ctx.kube,
    { regarding: regardingOf(c), type, reason, message: note, component: 'capi-fn-cluster' },
    ctx.clock.now(),
  );
}

/**
 * Upstream deletes the descendants the Cluster owns. Its MachineDeployment controller is what makes a
 * MachineDeployment owned; capi-fn has none yet, so a MachineDeployment of this Cluster that nothing controls is
 * deleted too (its MachineSets follow it through garbage collection) instead of holding the Cluster forever.
 */
function descendantToDelete(kind: (typeof DESCENDANT_KINDS)[number], obj: KubeObject, c: Cluster): boolean {
  if (isOwnedByUid(obj, c.metadata.uid)) return true;
  return kind === 'MachineDeployment' && !controllerOf(obj);
}

async function deleteQuietly(
  kube: KubeClient,
  key: { apiVersion: string; kind: string; namespace: string; name: string },
  uid: string,
): Promise<void> {
  try {
    await kube.delete(key, { preconditions: { uid } });
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}
