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
import { desiredInfraMachine, desiredMachine, type MachineTemplate } from './desired-machine.ts';
import { classifyMachines } from './machines.ts';
import { remediateUnhealthy } from './remediation.ts';
import { CREATE_INTENT_ANNOTATION, formatIntent, parseIntent, planScale } from './scale.ts';
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

  const templateRef = ms.spec.template?.spec.infrastructureRef;
  let template: MachineTemplate | undefined;
  let machinesCreated: ConditionInput | undefined;
  if (templateRef?.name && templateRef.kind && templateRef.apiVersion) {
    const key = {
      apiVersion: templateRef.apiVersion,
      kind: templateRef.kind,
      namespace: ms.metadata.namespace!,
      name: templateRef.name,
    };
    template = await kube.find<MachineTemplate>(key);
    if (!template && !isDeleting(ms)) {
      machinesCreated = falseCondition(
        ConditionTypes.machinesCreated,
        Reasons.infrastructureTemplateCloningFailed,
        'Error',
        `${templateRef.kind} ${ms.metadata.namespace}/${templateRef.name} referenced by spec.template.spec.infrastructureRef not found; create it or point the MachineSet at an existing template`,
      );
    } else if (template && cluster && templateRef.kind.endsWith('Template')) {
      const owned = clone(template);
      owned.metadata.ownerReferences = ensureOwnerRef(owned.metadata.ownerReferences, ownerRefTo(cluster));
      template = await updateIfChanged(kube, template, owned, FIELD_MANAGER);
    }
  }

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
    await reconcileDelete(kube, ms, owned, template);
    return undefined;
  }

  // The template's in-place fields reach the existing Machines first (upstream's syncMachines).
  await syncMachines(kube, ms, owned, template, FIELD_MANAGER, log);

  // MachineHealthCheck remediation before the replica sync (upstream's order): the deleted Machines are replaced
  // once they are gone, as deleting Machines still count.
  await remediateUnhealthy(kube, ms, owned, now, FIELD_MANAGER);

  let actionError: unknown;
  try {
    const result = await syncReplicas(
      ctx,
      ms,
      template,
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
  return requeueAfterMs !== undefined ? { requeueAfter: requeueAfterMs } : undefined;
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
  template: MachineTemplate | undefined,
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
    const created = template ? { machinesCreated: trueCondition(ConditionTypes.machinesCreated) } : {};
    switch (plan.action) {
      case 'none':
        return { ms, ...created };
      case 'blocked':
        return {
          ms,
          machinesCreated: falseCondition(ConditionTypes.machinesCreated, plan.reason, 'Warning', plan.message),
        };
      case 'delete': {
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
        if (!template) {
          // No template, no intent: nothing could be created, and the condition already says why.
          return { ms };
        }
        // Only the writer that wins this resourceVersion precondition goes on to create (rule 3).
        ms = await kube.update<MachineSet>(
          {
            ...ms,
            metadata: {
              ...ms.metadata,
              annotations: { ...(ms.metadata.annotations ?? {}), [CREATE_INTENT_ANNOTATION]: formatIntent(plan.names) },
            },
          },
          { fieldManager: FIELD_MANAGER },
        );
        log.info({ names: plan.names }, 'recorded scale-up intent');
        continue;
      }
      case 'complete-intent': {
        if (plan.create.length && !template) {
          return {
            ms,
            machinesCreated: falseCondition(
              ConditionTypes.machinesCreated,
              Reasons.infrastructureTemplateCloningFailed,
              'Error',
              'machine template missing; cannot create Machines',
            ),
          };
        }
        for (const name of plan.create) {
          try {
            await createMachine(kube, ms, template!, name);
          } catch (e) {
            await event(ctx, ms, 'Warning', 'FailedCreate', `Failed to create machine: ${message(e)}`);
            throw e;
          }
          existingNames.add(name);
          log.info({ machine: name }, 'created Machine');
          await event(ctx, ms, 'Normal', 'SuccessfulCreate', `Created machine "${name}"`);
        }
        for (const name of plan.drop) await deleteUnclaimedClone(kube, ms, template, name);
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

/** Infrastructure clone first, then the Machine: both named after the Machine, both idempotent. */
async function createMachine(kube: KubeClient, ms: MachineSet, template: MachineTemplate, name: string): Promise<void> {
  const infra = desiredInfraMachine(ms, template, name);
  try {
    await kube.create(infra, { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = await kube.get({
      apiVersion: infra.apiVersion!,
      kind: infra.kind!,
      namespace: infra.metadata.namespace!,
      name,
    });
    if (!isOwnedByUid(existing, ms.metadata.uid)) {
      throw new Error(
        `${infra.kind} ${infra.metadata.namespace}/${name} already exists and does not belong to MachineSet ${ms.metadata.name}`,
      );
    }
  }
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

/** An intended Machine that will not be created: remove its clone if a crash left one behind. */
async function deleteUnclaimedClone(
  kube: KubeClient,
  ms: MachineSet,
  template: MachineTemplate | undefined,
  name: string,
): Promise<void> {
  if (!template) return;
  const infra = desiredInfraMachine(ms, template, name);
  const key = { apiVersion: infra.apiVersion!, kind: infra.kind!, namespace: infra.metadata.namespace!, name };
  const existing = await kube.find(key);
  if (!existing || !isOwnedByUid(existing, ms.metadata.uid) || hasOwner(existing, 'cluster.x-k8s.io', 'Machine'))
    return;
  try {
    await kube.delete(key, { preconditions: { uid: existing.metadata.uid! } });
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}

/** Deleting MachineSet: delete every Machine, drop a pending intent, and let go once none is left. */
async function reconcileDelete(
  kube: KubeClient,
  ms: MachineSet,
  owned: Machine[],
  template: MachineTemplate | undefined,
): Promise<void> {
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
      if (!owned.some((m) => m.metadata.name === name)) await deleteUnclaimedClone(kube, ms, template, name);
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
