// One MachineSet reconcile step (capi-core-spec.md §2.3): finalizer, Cluster and pause, ownership and
// labels, template, adoption, deletion or replica sync, then status. Decisions live in the pure
// modules beside this one; this file only reads, calls them and writes.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import {
  Annotations,
  CAPI_API_VERSION,
  ConditionTypes,
  Finalizers,
  Labels,
  Reasons,
} from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import {
  type ConditionInput,
  falseCondition,
  setMetaCondition,
  trueCondition,
} from '../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent, regardingOf } from '../../shared/kube/events.ts';
import { machineNameFromTemplate } from '../../shared/reconcile/names.ts';
import { ensureOwnerRef, hasOwner, isOwnedByUid, ownerRefTo } from '../../shared/reconcile/owner-refs.ts';
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
import { cloneKeys, desiredClone, desiredMachine, type MachineTemplate, type Templates } from './desired-machine.ts';
import { classifyMachines } from './machines.ts';
import { remediateUnhealthy } from './remediation.ts';
import {
  CREATE_INTENT_ANNOTATION,
  claimedIntent,
  formatIntent,
  parseIntent,
  planScale,
  SCALE_DOWN_ANNOTATION,
} from './scale.ts';
import { computeStatus, deletingCondition } from './status.ts';
import { syncMachines } from './sync-machines.ts';

export const FIELD_MANAGER = 'capi-machineset';
const COMPONENT = 'capi-fn-machineset';
const MACHINE = { apiVersion: CAPI_API_VERSION, kind: 'Machine' };

export async function reconcileMachineSet(ref: ObjectRef, ctx: HandlerContext): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  let ms = await kube.find<MachineSet>(ref);
  if (!ms) return undefined;
  const now = clock.now();

  if (!isDeleting(ms) && !hasFinalizer(ms, Finalizers.machineSet)) {
    ms = await kube.update(withFinalizer(ms, Finalizers.machineSet), { fieldManager: FIELD_MANAGER });
  }

  const cluster = await kube.find<Cluster>({
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    namespace: ms.metadata.namespace!,
    name: ms.spec.clusterName,
  });
  if (!cluster && !isDeleting(ms)) {
    throw new Error(
      `Cluster ${ms.metadata.namespace}/${ms.spec.clusterName} (spec.clusterName) not found; create it or fix spec.clusterName`,
    );
  }

  const paused = pausedState(cluster, ms);
  const v1beta2Conditions = setPausedCondition(ms.status?.v1beta2?.conditions, paused, ms.metadata.generation, now);
  if (paused.paused) {
    await updateStatusIfChanged(
      kube,
      ms,
      { ...(ms.status ?? {}), v1beta2: { ...(ms.status?.v1beta2 ?? {}), conditions: v1beta2Conditions } },
      FIELD_MANAGER,
    );
    return undefined;
  }

  if (cluster) ms = await ensureOwnershipAndLabels(kube, ms, cluster);

  // The templates each new Machine is cloned from: infrastructure, and bootstrap when the template has a configRef.
  let machinesCreated: ConditionInput | undefined;
  const infraTemplate = await loadTemplate(
    kube,
    ms,
    cluster,
    ms.spec.template?.spec.infrastructureRef,
    'spec.template.spec.infrastructureRef',
  );
  const bootstrapTemplate = await loadTemplate(
    kube,
    ms,
    cluster,
    ms.spec.template?.spec.bootstrap?.configRef,
    'spec.template.spec.bootstrap.configRef',
  );
  for (const [t, reason] of [
    [infraTemplate, Reasons.infrastructureTemplateCloningFailed],
    [bootstrapTemplate, Reasons.bootstrapTemplateCloningFailed],
  ] as const) {
    if (t.missing && !isDeleting(ms))
      machinesCreated ??= falseCondition(ConditionTypes.machinesCreated, reason, 'Error', t.missing);
  }
  const template = infraTemplate.template;
  const templates: Templates | undefined =
    template && !bootstrapTemplate.missing
      ? { infra: template, ...(bootstrapTemplate.template ? { bootstrap: bootstrapTemplate.template } : {}) }
      : undefined;

  // Quorum LIST (DESIGN.md rule 5): every Machine of the cluster in the namespace, classified in memory.
  const listed = await kube.listAll<Machine>(MACHINE, {
    namespace: ms.metadata.namespace!,
    labelSelector: `${Labels.clusterName}=${ms.spec.clusterName}`,
  });
  let { counted, owned, orphans } = classifyMachines(ms, listed.items);
  for (const orphan of orphans) {
    if (isDeleting(ms)) break;
    try {
      const adopted = await kube.update<Machine>(
        {
          ...orphan,
          metadata: {
            ...orphan.metadata,
            ownerReferences: ensureOwnerRef(orphan.metadata.ownerReferences, ownerRefTo(ms, { controller: true })),
          },
        },
        { fieldManager: FIELD_MANAGER },
      );
      counted = [...counted, adopted];
      owned = [...owned, adopted];
      log.info({ machine: orphan.metadata.name }, 'adopted orphan Machine');
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) throw e;
      log.info({ machine: orphan.metadata.name }, 'orphan changed while adopting; next reconcile retries');
    }
  }

  if (isDeleting(ms)) {
    // Status keeps following the Machines while they go, as upstream's deferred status update does; written
    // before the finalizer can be released, as the object may be gone after that.
    const { status } = computeStatus({ ms, counted, now });
    status.v1beta2 = {
      ...(status.v1beta2 ?? {}),
      conditions: setMetaCondition(v1beta2Conditions, deletingCondition(ms, owned, now)),
    };
    ms = await updateStatusIfChanged(kube, ms, status, FIELD_MANAGER);
    await reconcileDelete(kube, ms, owned);
    return undefined;
  }

  // The template's in-place fields reach the existing Machines first (upstream's syncMachines).
  await syncMachines(kube, ms, owned, templates, FIELD_MANAGER, log);

  // MachineHealthCheck remediation before the replica sync (upstream's order): the deleted Machines are replaced
  // once they are gone, as deleting Machines still count.
  await remediateUnhealthy(kube, ms, owned, now, FIELD_MANAGER);

  let actionError: unknown;
  try {
    const result = await syncReplicas(
      ctx,
      ms,
      templates,
      counted,
      owned,
      new Set(listed.items.map((m) => m.metadata.name!)),
    );
    ms = result.ms;
    machinesCreated ??= result.machinesCreated;
  } catch (e) {
    actionError = e;
    machinesCreated = falseCondition(
      ConditionTypes.machinesCreated,
      Reasons.machineCreationFailed,
      'Error',
      `creating Machines failed: ${(e as Error).message}; retrying`,
    );
  }

  const { status, requeueAfterMs } = computeStatus({
    ms,
    counted,
    now,
    ...(machinesCreated ? { machinesCreated } : {}),
  });
  status.v1beta2 = {
    ...(status.v1beta2 ?? {}),
    conditions: setMetaCondition(v1beta2Conditions, deletingCondition(ms, owned, now)),
  };
  try {
    await updateStatusIfChanged(kube, ms, status, FIELD_MANAGER);
  } catch (e) {
    if (!actionError) throw e;
  }
  if (actionError) throw actionError;
  return { ...(requeueAfterMs !== undefined ? { requeueAfter: requeueAfterMs } : {}), listed: listed.items.length };
}

/** Cluster-name label, a Cluster owner for stand-alone sets, cluster-name in selector and template labels. */
async function ensureOwnershipAndLabels(kube: KubeClient, ms: MachineSet, cluster: Cluster): Promise<MachineSet> {
  const want = clone(ms);
  const clusterName = ms.spec.clusterName;
  want.metadata.labels = { ...(want.metadata.labels ?? {}), [Labels.clusterName]: clusterName };
  const mdLabelled = Boolean(ms.metadata.labels?.[Labels.deploymentName]);
  const hasParent =
    hasOwner(ms, 'cluster.x-k8s.io', 'MachineDeployment') || hasOwner(ms, 'cluster.x-k8s.io', 'Cluster');
  if (!hasParent && !mdLabelled) {
    want.metadata.ownerReferences = ensureOwnerRef(want.metadata.ownerReferences, ownerRefTo(cluster));
  }
  want.spec.selector = {
    ...want.spec.selector,
    matchLabels: { ...(want.spec.selector.matchLabels ?? {}), [Labels.clusterName]: clusterName },
  };
  if (want.spec.template) {
    want.spec.template.metadata = {
      ...(want.spec.template.metadata ?? {}),
      labels: { ...(want.spec.template.metadata?.labels ?? {}), [Labels.clusterName]: clusterName },
    };
  }
  return updateIfChanged(kube, ms, want, FIELD_MANAGER);
}

interface SyncResult {
  ms: MachineSet;
  machinesCreated?: ConditionInput;
}

async function syncReplicas(
  ctx: HandlerContext,
  start: MachineSet,
  templates: Templates | undefined,
  counted: Machine[],
  owned: Machine[],
  existingNames: Set<string>,
): Promise<SyncResult> {
  const { kube, clock, log } = ctx;
  let ms = start;
  // At most: record an intent, then complete it. A third round would mean the intent vanished under us.
  for (let round = 0; round < 3; round++) {
    const intent = parseIntent(ms.metadata.annotations?.[CREATE_INTENT_ANNOTATION]);
    const naming = ms.spec.machineNamingStrategy?.template;
    try {
      machineNameFromTemplate(naming, { cluster: ms.spec.clusterName, machineSet: ms.metadata.name! });
    } catch (e) {
      // Admitted before the webhook knew the rule: say so instead of failing every reconcile.
      return {
        ms,
        machinesCreated: falseCondition(
          ConditionTypes.machinesCreated,
          'InvalidMachineNamingStrategy',
          'Warning',
          (e as Error).message,
        ),
      };
    }
    const plan = planScale({
      replicas: ms.spec.replicas ?? 1,
      counted,
      owned,
      intent,
      existingNames,
      deletePolicy: ms.spec.deletePolicy,
      createDisabled: Boolean(
        ms.metadata.annotations && Object.hasOwn(ms.metadata.annotations, Annotations.disableMachineCreate),
      ),
      machineNameBase: ms.metadata.name!,
      newName: () =>
        machineNameFromTemplate(ms.spec.machineNamingStrategy?.template, {
          cluster: ms.spec.clusterName,
          machineSet: ms.metadata.name!,
        }),
      now: clock.now(),
    });
    const created = templates ? { machinesCreated: trueCondition(ConditionTypes.machinesCreated) } : {};
    switch (plan.action) {
      case 'none':
        return { ms, ...created };
      case 'blocked':
        return {
          ms,
          machinesCreated: falseCondition(ConditionTypes.machinesCreated, plan.reason, 'Warning', plan.message),
        };
      case 'delete': {
        const toDelete = plan.machines.filter((m) => !m.metadata.deletionTimestamp);
        if (toDelete.length) {
          // The decision came from this MachineSet as read and the Machines as listed after it: a scale-up (and its
          // intent) written in between would have its new Machines deleted for the old replica count (the chaos
          // suite found that). A write with the resourceVersion read makes sure the MachineSet is still as decided.
          ms = await annotate(
            kube,
            ms,
            SCALE_DOWN_ANNOTATION,
            JSON.stringify({ names: toDelete.map((m) => m.metadata.name) }),
          );
        }
        for (const m of plan.machines) {
          if (m.metadata.deletionTimestamp) continue;
          try {
            await kube.delete(
              { ...MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name! },
              { preconditions: { uid: m.metadata.uid! } },
            );
            log.info({ machine: m.metadata.name }, 'deleted Machine to scale down');
            await event(ctx, ms, 'Normal', 'SuccessfulDelete', `Deleted machine "${m.metadata.name}"`);
          } catch (e) {
            if (isNotFound(e) || isConflict(e)) continue;
            await event(
              ctx,
              ms,
              'Warning',
              'FailedDelete',
              `Failed to delete machine "${m.metadata.name}": ${message(e)}`,
            );
            throw e;
          }
        }
        return { ms, ...created };
      }
      case 'record-intent': {
        if (!templates) {
          // No template, no intent: nothing could be created, and the condition already says why.
          return { ms };
        }
        // Only the writer that wins this resourceVersion precondition goes on to create (rule 3).
        ms = await annotate(kube, ms, CREATE_INTENT_ANNOTATION, formatIntent(plan.names));
        log.info({ names: plan.names }, 'recorded scale-up intent');
        continue;
      }
      case 'complete-intent': {
        if (plan.create.length && !templates) {
          // The missing template's condition is already set by the reconcile.
          return { ms };
        }
        if (plan.create.length) {
          // Claim the intent before creating from it: a write with the resourceVersion this invocation read. One
          // that read the intent before another completed and cleared it gets a 409 here and starts over, instead
          // of bringing back a Machine that was created and, once the intent was gone, deleted by a scale-down
          // (the chaos suite found that).
          ms = await annotate(
            kube,
            ms,
            CREATE_INTENT_ANNOTATION,
            claimedIntent(ms.metadata.annotations?.[CREATE_INTENT_ANNOTATION]),
          );
        }
        for (const name of plan.create) {
          try {
            await createMachine(kube, ms, templates!, name);
          } catch (e) {
            await event(ctx, ms, 'Warning', 'FailedCreate', `Failed to create machine: ${message(e)}`);
            throw e;
          }
          existingNames.add(name);
          log.info({ machine: name }, 'created Machine');
          await event(ctx, ms, 'Normal', 'SuccessfulCreate', `Created machine "${name}"`);
        }
        for (const name of plan.drop) await deleteUnclaimedClone(kube, ms, name);
        const annotations = { ...(ms.metadata.annotations ?? {}) };
        delete annotations[CREATE_INTENT_ANNOTATION];
        ms = await kube.update<MachineSet>(
          { ...ms, metadata: { ...ms.metadata, annotations } },
          { fieldManager: FIELD_MANAGER },
        );
        return { ms, machinesCreated: trueCondition(ConditionTypes.machinesCreated) };
      }
    }
  }
  return { ms };
}

/** Upstream's MachineSet Events (reasons and messages as machineset_controller.go records them). */
function event(ctx: HandlerContext, ms: MachineSet, type: 'Normal' | 'Warning', reason: string, note: string) {
  return recordEvent(
    ctx.kube,
    { regarding: regardingOf(ms), type, reason, message: note, component: COMPONENT },
    ctx.clock.now(),
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A template reference's object, given its Cluster as (non-controller) owner as upstream does so it goes with the
 * Cluster. `missing` says what is wrong when a reference is set but its template cannot be read.
 */
async function loadTemplate(
  kube: KubeClient,
  ms: MachineSet,
  cluster: Cluster | undefined,
  ref: { apiVersion?: string; kind?: string; name?: string } | undefined,
  field: string,
): Promise<{ template?: MachineTemplate; missing?: string }> {
  if (!ref) return {};
  if (!ref.name || !ref.kind || !ref.apiVersion)
    return {
      missing: `${field} needs apiVersion, kind and name; set them to a template in namespace ${ms.metadata.namespace}`,
    };
  const key = { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ms.metadata.namespace!, name: ref.name };
  let template = await kube.find<MachineTemplate>(key);
  if (!template)
    return {
      missing: `${ref.kind} ${ms.metadata.namespace}/${ref.name} referenced by ${field} not found; create it or point the MachineSet at an existing template`,
    };
  if (cluster && ref.kind.endsWith('Template')) {
    const owned = clone(template);
    owned.metadata.ownerReferences = ensureOwnerRef(owned.metadata.ownerReferences, ownerRefTo(cluster));
    template = await updateIfChanged(kube, template, owned, FIELD_MANAGER);
  }
  return { template };
}

/** A clone named after its Machine; one that exists already must be this MachineSet's (a retried create). */
async function createClone(kube: KubeClient, ms: MachineSet, obj: KubeObject): Promise<void> {
  try {
    await kube.create(obj, { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const key = {
      apiVersion: obj.apiVersion!,
      kind: obj.kind!,
      namespace: obj.metadata.namespace!,
      name: obj.metadata.name!,
    };
    const existing = await kube.get(key);
    if (!isOwnedByUid(existing, ms.metadata.uid)) {
      throw new Error(
        `${key.kind} ${key.namespace}/${key.name} already exists and does not belong to MachineSet ${ms.metadata.name}`,
      );
    }
  }
}

/**
 * Upstream's order: bootstrap config, infrastructure machine, then the Machine — all named after the Machine, all
 * idempotent. A crash part-way leaves clones that the intent names; the next reconcile completes or removes them.
 */
async function createMachine(kube: KubeClient, ms: MachineSet, templates: Templates, name: string): Promise<void> {
  if (templates.bootstrap) await createClone(kube, ms, desiredClone(ms, templates.bootstrap, name));
  await createClone(kube, ms, desiredClone(ms, templates.infra, name));
  try {
    await kube.create(desiredMachine(ms, name), { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = await kube.get({ ...MACHINE, namespace: ms.metadata.namespace!, name });
    if (!isOwnedByUid(existing, ms.metadata.uid)) {
      throw new Error(
        `Machine ${ms.metadata.namespace}/${name} already exists and does not belong to MachineSet ${ms.metadata.name}`,
      );
    }
  }
}

/** An intended Machine that will not be created: remove the clones a crash left behind (never a Machine's own). */
async function deleteUnclaimedClone(kube: KubeClient, ms: MachineSet, name: string): Promise<void> {
  for (const { role: _, ...key } of cloneKeys(ms, name)) {
    const existing = await kube.find(key);
    if (!existing || !isOwnedByUid(existing, ms.metadata.uid) || hasOwner(existing, 'cluster.x-k8s.io', 'Machine'))
      continue;
    try {
      await kube.delete(key, { preconditions: { uid: existing.metadata.uid! } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

/**
 * One annotation set on the MachineSet, written with the resourceVersion read: the write that makes a decision taken
 * on that read safe (a 409 means the MachineSet changed, and the next attempt decides again).
 */
function annotate(kube: KubeClient, ms: MachineSet, key: string, value: string): Promise<MachineSet> {
  return kube.update<MachineSet>(
    { ...ms, metadata: { ...ms.metadata, annotations: { ...(ms.metadata.annotations ?? {}), [key]: value } } },
    { fieldManager: FIELD_MANAGER },
  );
}

/** Deleting MachineSet: delete every Machine, drop a pending intent, and let go once none is left. */
async function reconcileDelete(kube: KubeClient, ms: MachineSet, owned: Machine[]): Promise<void> {
  for (const m of owned) {
    if (m.metadata.deletionTimestamp) continue;
    try {
      await kube.delete(
        { ...MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name! },
        { preconditions: { uid: m.metadata.uid! } },
      );
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
  let current: MachineSet = ms;
  const intent = parseIntent(ms.metadata.annotations?.[CREATE_INTENT_ANNOTATION]);
  if (intent.length) {
    for (const name of intent)
      if (!owned.some((m) => m.metadata.name === name)) await deleteUnclaimedClone(kube, ms, name);
    const annotations = { ...(ms.metadata.annotations ?? {}) };
    delete annotations[CREATE_INTENT_ANNOTATION];
    current = await kube.update<MachineSet>(
      { ...ms, metadata: { ...ms.metadata, annotations } },
      { fieldManager: FIELD_MANAGER },
    );
  }
  if (owned.length === 0 && hasFinalizer(current, Finalizers.machineSet)) {
    await kube.update(withoutFinalizer(current, Finalizers.machineSet), { fieldManager: FIELD_MANAGER });
  }
}
