// The Machine deletion sequence (capi-core-spec.md §3.6): pre-drain hooks, cordon and drain through
// the eviction API, volume-detach wait, pre-terminate hooks, infrastructure (and bootstrap) deletion,
// Node deletion, finalizer removal. Every step is idempotent and resumable; each stop writes status.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import {
  Annotations,
  CAPI_API_VERSION,
  ConditionTypes,
  Finalizers,
  Labels,
  Reasons,
} from '../../shared/api/capi/constants.ts';
import type { Machine, MachineStatus } from '../../shared/api/capi/machine.ts';
import type { MachineDrainRule } from '../../shared/api/capi/machinedrainrule.ts';
import type { MetaCondition } from '../../shared/api/conditions.ts';
import { falseCondition, nowTime, setCondition, trueCondition } from '../../shared/conditions/conditions.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict, isNotFound, isTooManyRequests, KubeError } from '../../shared/kube/errors.ts';
import { recordEvent, regardingOf } from '../../shared/kube/events.ts';
import { parseDuration } from '../../shared/reconcile/duration.ts';
import { nodeReadyStatus } from '../../shared/reconcile/node-health.ts';
import { clone, updateStatusIfChanged, withoutFinalizer } from '../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../shared/runtime/handler.ts';
import {
  type DrainOutcome,
  drainCompleted,
  drainConditionMessage,
  evictionFor,
  type Pod,
  planDrain,
  podKey,
  type RuleLookup,
} from './drain-plan.ts';
import { podDrainBehavior, rulesForMachine } from './drain-rules.ts';
import { candidateNodeNames, findNodeByProviderID, getNode, NODE } from './node-lookup.ts';
import type { NodeLike } from './node-sync.ts';
import { controlledElsewhere } from './ownership.ts';
import { machinePhase } from './phase.ts';
import {
  attachedPVNames,
  claimsOfPods,
  nothingToWaitFor,
  type PersistentVolume,
  type VolumeAttachment,
  type VolumeWait,
  volumesWaitingForDetach,
  volumeWaitMessage,
} from './volume-detach.ts';

const FIELD_MANAGER = 'capi-machine';
export const DRAIN_RETRY_MS = 20_000;
const POD = { apiVersion: 'v1', kind: 'Pod' };
const PERSISTENT_VOLUME = { apiVersion: 'v1', kind: 'PersistentVolume' };
const VOLUME_ATTACHMENT = { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment' };
const MACHINE_DRAIN_RULE = { apiVersion: CAPI_API_VERSION, kind: 'MachineDrainRule' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };

function hasAnnotationPrefix(m: Machine, prefix: string): string[] {
  return Object.keys(m.metadata.annotations ?? {}).filter((k) => k.startsWith(prefix));
}

function hasAnnotation(m: Machine, key: string): boolean {
  return Boolean(m.metadata.annotations && Object.hasOwn(m.metadata.annotations, key));
}

function expired(start: string | undefined, timeout: string | undefined, now: Date): boolean {
  const ms = parseDuration(timeout);
  if (!start || !ms) return false; // 0 or unset: no limit
  return now.getTime() - Date.parse(start) > ms;
}

export async function reconcileMachineDelete(
  ctx: HandlerContext,
  machine: Machine,
  cluster: Cluster | undefined,
  v1beta2: NonNullable<MachineStatus['v1beta2']> & { conditions: MetaCondition[] },
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  const now = clock.now();
  let m = machine;
  const status: MachineStatus = clone(m.status ?? {});
  status.v1beta2 = v1beta2;
  status.phase = machinePhase(m);
  if (machine.status?.phase !== status.phase) status.lastUpdated = nowTime(now);

  // One status write per run where the steps allow (upstream's deferred patch): a step that completes within the run
  // leaves its conditions to the write that ends it, and its Event waits for that write, so a run that fails before it
  // tells nothing the status does not say (its retry does the step again, and tells it then).
  const told: Array<() => Promise<unknown>> = [];
  const tell = async () => {
    for (const e of told.splice(0)) await e();
  };
  const write = async () => {
    m = await updateStatusIfChanged(kube, m, status, FIELD_MANAGER);
    await tell();
  };
  // Listed once per run: the drain and the volume wait both need them.
  let rules: Promise<RuleLookup | undefined> | undefined;
  const rulesOnce = () => {
    rules ??= drainRules(kube, m, cluster);
    return rules;
  };

  // Node-level steps are skipped while the Cluster itself is going away (workers are torn down fast),
  // and when there is no Node.
  const clusterDeleting = !cluster || Boolean(cluster.metadata.deletionTimestamp);
  let node: NodeLike | undefined;
  if (!clusterDeleting) {
    if (m.status?.nodeRef?.name) node = await getNode(kube, m.status.nodeRef.name);
    else if (m.spec.providerID)
      node = await findNodeByProviderID(kube, m.spec.providerID, candidateNodeNames(m, ctx.event), true);
  }
  const isControlPlane = Boolean(m.metadata.labels && Labels.controlPlane in m.metadata.labels);
  // Upstream's isDeleteNodeAllowed: not while the Cluster goes, not without a Node (nodeRef, or one found by
  // providerID), not for the last control-plane Machine. Upstream also refuses when no control-plane Machine
  // remains; on OpenShift the control plane is not made of Cluster API Machines, so only the last control-plane
  // Machine's own Node is protected. Pre-drain hooks, drain and the volume wait all depend on it.
  const deleteNodeAllowed =
    !clusterDeleting &&
    Boolean(m.status?.nodeRef?.name || node) &&
    !(isControlPlane && (await lastControlPlaneMachine(kube, m)));
  const nodeStepsAllowed = deleteNodeAllowed && Boolean(node);

  // 1. pre-drain hooks
  const preDrain = deleteNodeAllowed ? hasAnnotationPrefix(m, Annotations.preDrainHookPrefix) : [];
  if (preDrain.length) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.preDrainDeleteHookSucceeded,
        Reasons.waitingExternalHook,
        'Info',
        `waiting for pre-drain hooks: ${preDrain.join(', ')}`,
      ),
      now,
    );
    await write();
    return undefined;
  }
  status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.preDrainDeleteHookSucceeded), now);

  // 2. drain
  if (
    nodeStepsAllowed &&
    node &&
    !hasAnnotation(m, Annotations.excludeNodeDraining) &&
    !expired(status.deletion?.nodeDrainStartTime, m.spec.nodeDrainTimeout, now)
  ) {
    if (!status.deletion?.nodeDrainStartTime) {
      status.deletion = { ...(status.deletion ?? {}), nodeDrainStartTime: nowTime(now) };
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.drainingSucceeded, Reasons.draining, 'Info', 'Draining the node before deletion'),
        now,
      );
    }
    const nodeName = node.metadata.name!;
    let outcome: DrainOutcome;
    try {
      // The drain's start is saved before the first eviction, which may hang (an eviction webhook) past the function's
      // timeout: otherwise every retry would start the clock again and nodeDrainTimeout would never expire. A drain
      // with nothing to evict leaves it to the run's one write.
      const startSaved = Boolean(m.status?.deletion?.nodeDrainStartTime);
      outcome = await drainNode(kube, node, now, await rulesOnce(), startSaved ? async () => {} : write);
    } catch (e) {
      // Not a refused eviction (those are in the outcome) but the drain itself failing: cordon, listing.
      const msg = e instanceof Error ? e.message : String(e);
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.drainingSucceeded, Reasons.drainingFailed, 'Warning', msg),
        now,
      );
      await write();
      await machineEvent(ctx, m, 'Warning', 'FailedDrainNode', `error draining Machine's node "${nodeName}": ${msg}`);
      throw e;
    }
    if (!drainCompleted(outcome)) {
      const message = drainConditionMessage(outcome, status.deletion!.nodeDrainStartTime!);
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.drainingSucceeded, Reasons.draining, 'Info', message),
        now,
      );
      await write();
      log.info({ node: nodeName, message }, 'drain in progress');
      return { requeueAfter: DRAIN_RETRY_MS };
    }
    const wasDrained = m.status?.conditions?.some(
      (c) => c.type === ConditionTypes.drainingSucceeded && c.status === 'True',
    );
    status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.drainingSucceeded), now);
    if (!wasDrained)
      told.push(() =>
        machineEvent(ctx, m, 'Normal', 'SuccessfulDrainNode', `success draining Machine's node "${nodeName}"`),
      );
  } else if (
    status.deletion?.nodeDrainStartTime &&
    expired(status.deletion.nodeDrainStartTime, m.spec.nodeDrainTimeout, now)
  ) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.drainingSucceeded,
        'DrainingTimedOut',
        'Warning',
        `nodeDrainTimeout ${m.spec.nodeDrainTimeout} expired; continuing deletion without a complete drain`,
      ),
      now,
    );
  }

  // 3. wait for volumes to detach
  if (
    nodeStepsAllowed &&
    node &&
    !hasAnnotation(m, Annotations.excludeWaitForNodeVolumeDetach) &&
    nodeReadyStatus(node.status?.conditions) !== 'Unknown'
  ) {
    const start = status.deletion?.waitForNodeVolumeDetachStartTime;
    if (!expired(start, m.spec.nodeVolumeDetachTimeout, now)) {
      const wait = await volumesToWaitFor(kube, node, now, await rulesOnce());
      if (wait) {
        const startedAt = start ?? nowTime(now);
        if (!start) status.deletion = { ...(status.deletion ?? {}), waitForNodeVolumeDetachStartTime: startedAt };
        status.conditions = setCondition(
          status.conditions,
          falseCondition(
            ConditionTypes.volumeDetachSucceeded,
            Reasons.waitingForVolumeDetach,
            'Info',
            volumeWaitMessage(wait, startedAt),
          ),
          now,
        );
        await write();
        return { requeueAfter: DRAIN_RETRY_MS };
      }
      if (
        start &&
        !status.conditions?.some((c) => c.type === ConditionTypes.volumeDetachSucceeded && c.status === 'True')
      ) {
        status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.volumeDetachSucceeded), now);
        const nodeName = node.metadata.name;
        told.push(() =>
          machineEvent(
            ctx,
            m,
            'Normal',
            'NodeVolumesDetached',
            `success waiting for node volumes detaching Machine's node "${nodeName}"`,
          ),
        );
      }
    }
  }

  // 4. pre-terminate hooks
  const preTerminate = hasAnnotationPrefix(m, Annotations.preTerminateHookPrefix);
  if (preTerminate.length) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.preTerminateDeleteHookSucceeded,
        Reasons.waitingExternalHook,
        'Info',
        `waiting for pre-terminate hooks: ${preTerminate.join(', ')}`,
      ),
      now,
    );
    await write();
    return undefined;
  }
  status.conditions = setCondition(
    status.conditions,
    trueCondition(ConditionTypes.preTerminateDeleteHookSucceeded),
    now,
  );

  // 5. infrastructure, 6. bootstrap config: delete and wait until gone (their deletion events wake us).
  const refs = [
    { ref: m.spec.infrastructureRef, what: 'infrastructure' as const },
    ...(m.spec.bootstrap.configRef ? [{ ref: m.spec.bootstrap.configRef, what: 'bootstrap' as const }] : []),
  ];
  for (const { ref, what } of refs) {
    const key = {
      apiVersion: ref.apiVersion!,
      kind: ref.kind!,
      namespace: ref.namespace ?? m.metadata.namespace!,
      name: ref.name!,
    };
    const found = await kube.find(key);
    // Another Machine's object (a copied reference) is not this Machine's to delete: it is left to its controller.
    const obj = found && !controlledElsewhere(found, m) ? found : undefined;
    if (obj) {
      if (!obj.metadata.deletionTimestamp) {
        try {
          await kube.delete(key, { preconditions: { uid: obj.metadata.uid! } });
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) throw e;
        }
      }
      if (what === 'infrastructure') {
        status.conditions = setCondition(
          status.conditions,
          falseCondition(
            ConditionTypes.infrastructureReady,
            Reasons.deleting,
            'Info',
            `waiting for ${key.kind} ${key.name} to be deleted`,
          ),
          now,
        );
      }
      await write();
      return undefined;
    }
    if (what === 'infrastructure') {
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.infrastructureReady, Reasons.deleted, 'Info'),
        now,
      );
    }
  }

  // 8. the Node
  if (nodeStepsAllowed && node) {
    try {
      await kube.delete({ ...NODE, name: node.metadata.name! });
      log.info({ node: node.metadata.name }, 'deleted Node');
    } catch (e) {
      if (!isNotFound(e)) {
        const timeout = parseDuration(m.spec.nodeDeletionTimeout ?? '10s');
        const since = Date.parse(m.metadata.deletionTimestamp!);
        if (!timeout || now.getTime() - since <= timeout) {
          status.conditions = setCondition(
            status.conditions,
            falseCondition(
              ConditionTypes.nodeHealthy,
              Reasons.deletionFailed,
              'Warning',
              `deleting Node ${node.metadata.name} failed: ${(e as Error).message}`,
            ),
            now,
          );
          await write();
          throw e;
        }
        log.warn({ node: node.metadata.name, err: String(e) }, 'nodeDeletionTimeout passed; giving up on the Node');
      }
    }
  }

  // 9. finalizer. A Machine that nothing else holds is gone once released, so its last status would be seen by no
  // one but its MachineSet, woken for nothing: written only while another finalizer keeps the Machine. The release
  // carries the resourceVersion (and UID) it was decided from: a change meanwhile (another finalizer added) is a
  // conflict, and the retry decides again.
  if ((m.metadata.finalizers ?? []).some((f) => f !== Finalizers.machine)) await write();
  else await tell();
  try {
    await kube.update(withoutFinalizer(m, Finalizers.machine), { fieldManager: FIELD_MANAGER });
  } catch (e) {
    // Already gone: released by an earlier run whose answer was lost.
    if (!isNotFound(e)) throw e;
  }
  return undefined;
}

/**
 * The attached volumes still to wait for, or undefined when none: the Node's volumesAttached and the VolumeAttachments
 * on it, matched to PersistentVolumes, without the claims of pods the drain leaves on the Node.
 */
async function volumesToWaitFor(
  kube: KubeClient,
  node: NodeLike,
  now: Date,
  rules: RuleLookup | undefined,
): Promise<VolumeWait | undefined> {
  const name = node.metadata.name!;
  const nodeVolumeNames = (node.status?.volumesAttached ?? []).map((v) => v.name);
  const attachments = (await kube.listAll<VolumeAttachment>(VOLUME_ATTACHMENT)).items;
  const pvNames = attachedPVNames(attachments, name);
  if (nodeVolumeNames.length === 0 && pvNames.length === 0) return undefined;
  const pods = (await kube.listAll<Pod>(POD, { fieldSelector: `spec.nodeName=${name}` })).items;
  const skipped = planDrain(pods, {
    nodeUnreachable: false,
    existingDaemonSets: await existingDaemonSets(kube, pods),
    now,
    ...(rules ? { rules } : {}),
  }).skip.map((s) => s.pod);
  const wait = volumesWaitingForDetach({
    nodeVolumeNames,
    attachedPVNames: pvNames,
    pvs: (await kube.listAll<PersistentVolume>(PERSISTENT_VOLUME)).items,
    claimsToIgnore: claimsOfPods(skipped),
  });
  return nothingToWaitFor(wait) ? undefined : wait;
}

/** Upstream's Machine Events during deletion (machine_controller.go reconcileDelete). */
function machineEvent(ctx: HandlerContext, m: Machine, type: 'Normal' | 'Warning', reason: string, note: string) {
  return recordEvent(
    ctx.kube,
    { regarding: regardingOf(m), type, reason, message: note, component: 'capi-fn-machine' },
    ctx.clock.now(),
  );
}

async function lastControlPlaneMachine(kube: KubeClient, m: Machine): Promise<boolean> {
  const list = await kube.listAll<Machine>(
    { apiVersion: CAPI_API_VERSION, kind: 'Machine' },
    {
      namespace: m.metadata.namespace!,
      labelSelector: `${Labels.clusterName}=${m.spec.clusterName},${Labels.controlPlane}`,
    },
  );
  return !list.items.some((x) => x.metadata.uid !== m.metadata.uid && !x.metadata.deletionTimestamp);
}

/**
 * Cordons the Node and evicts what must go; reports what is still in the way. An eviction the API server refuses
 * (a PodDisruptionBudget, a terminating namespace, more than one budget, …) is recorded for that pod and the pass
 * goes on, as upstream's EvictPods does. On an unreachable Node (Ready Unknown) evictions carry a 1-second grace
 * period: the kubelet will never confirm the deletion, and the pods are skipped 1 s after it.
 */
async function drainNode(
  kube: KubeClient,
  node: NodeLike,
  now: Date,
  rules: RuleLookup | undefined,
  beforeEvicting: () => Promise<void>,
): Promise<DrainOutcome> {
  const name = node.metadata.name!;
  if (!node.spec?.unschedulable) {
    await kube.patch(
      { ...NODE, name },
      { spec: { unschedulable: true } },
      { type: 'merge', fieldManager: FIELD_MANAGER },
    );
  }
  const pods = (await kube.listAll<Pod>(POD, { fieldSelector: `spec.nodeName=${name}` })).items;
  const dsNames = await existingDaemonSets(kube, pods);
  const unreachable = nodeReadyStatus(node.status?.conditions) === 'Unknown';
  const opts = { nodeUnreachable: unreachable, existingDaemonSets: dsNames, now, ...(rules ? { rules } : {}) };
  const plan = planDrain(pods, opts);
  const failed = new Map<string, Pod[]>();
  let evicted = 0;
  if (plan.evict.length) await beforeEvicting();
  for (const pod of plan.evict) {
    try {
      await kube.createSubresource(
        { ...POD, namespace: pod.metadata.namespace!, name: pod.metadata.name! },
        'eviction',
        evictionFor(pod, unreachable),
      );
      evicted++;
    } catch (e) {
      if (isNotFound(e)) continue;
      const msg = evictionFailure(e);
      failed.set(msg, [...(failed.get(msg) ?? []), pod]);
    }
  }
  // Evicted pods are gone only when the API says so: look again before declaring the drain done.
  const left = evicted ? (await kube.listAll<Pod>(POD, { fieldSelector: `spec.nodeName=${name}` })).items : pods;
  const after = planDrain(left, opts);
  const stillThere = new Set(after.evict.map(podKey));
  for (const [msg, ps] of failed) {
    const kept = ps.filter((p) => stillThere.has(podKey(p)));
    if (kept.length) failed.set(msg, kept);
    else failed.delete(msg);
  }
  const tried = new Set([...failed.values()].flat().map(podKey));
  return {
    deleting: after.wait.filter((p) => p.metadata.deletionTimestamp),
    waitCompleted: after.wait.filter((p) => !p.metadata.deletionTimestamp),
    failed,
    toEvict: after.evict.filter((p) => !tried.has(podKey(p))),
    evictLater: after.evictLater,
    waitLater: after.waitLater,
  };
}

/**
 * The MachineDrainRules that apply to this Machine, as a lookup for pods; undefined when none does (no request for
 * namespaces then). Namespaces are read only when a rule selects by them.
 */
async function drainRules(kube: KubeClient, m: Machine, cluster: Cluster | undefined): Promise<RuleLookup | undefined> {
  const listed = await kube
    .listAll<MachineDrainRule>(MACHINE_DRAIN_RULE, { namespace: m.metadata.namespace! })
    .catch((e: unknown) => {
      // The CRD is not installed (capi-fn's operator installs it): no rules.
      if (isNotFound(e)) return { items: [] as MachineDrainRule[] };
      throw e;
    });
  const rules = rulesForMachine(listed.items, m.metadata.labels, cluster?.metadata.labels);
  if (!rules.length) return undefined;
  const nsLabels = new Map<string, Record<string, string>>();
  if (rules.some((r) => r.spec.pods?.some((p) => p.namespaceSelector)))
    for (const ns of (await kube.listAll(NAMESPACE)).items)
      nsLabels.set(ns.metadata.name!, {
        ...(ns.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': ns.metadata.name!,
      });
  return (pod) => podDrainBehavior(pod, rules, (ns) => nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns });
}

/** The DaemonSets (`namespace/name`) of these pods that still exist: their pods stay; orphans are evicted. */
async function existingDaemonSets(kube: KubeClient, pods: Pod[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const p of pods) {
    const ds = p.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'DaemonSet');
    if (!ds) continue;
    const found = await kube
      .find({ apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: p.metadata.namespace!, name: ds.name })
      .catch((e: unknown) => {
        // No DaemonSet API (an embedded server may not serve apps/v1 DaemonSets): treat as orphaned.
        if (e instanceof KubeError && e.reason === 'NotFound') return undefined;
        throw e;
      });
    if (found) out.add(`${p.metadata.namespace}/${ds.name}`);
  }
  return out;
}

/** The reason an eviction was refused, worded as upstream records it (the budget's causes appended). */
function evictionFailure(e: unknown): string {
  if (e instanceof KubeError) {
    if (e.code === 403 && e.causes.some((c) => c.reason === 'NamespaceTerminating'))
      return 'Cannot evict pod from terminating namespace: unable to create eviction (kube-controller-manager should set deletionTimestamp)';
    const message = e.status?.message ?? e.message;
    const causes = e.causes.map((c) => c.message).filter(Boolean);
    if (isTooManyRequests(e) && causes.length) return `${message} ${causes.join(',')}`;
    return message;
  }
  return e instanceof Error ? e.message : String(e);
}
