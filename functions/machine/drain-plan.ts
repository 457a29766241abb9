// Which pods a drain evicts, waits for, or leaves alone (capi-core-spec.md §3.6 step 2).
import { Labels } from '../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../shared/api/meta.ts';

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> };
  status?: { phase?: string };
}

export interface DrainPlan {
  /** To evict now: the lowest drain order among the pods still to go. */
  evict: Pod[];
  /** Terminating pods, and pods to wait for (drain=wait-completed, a WaitCompleted rule) that have not completed. */
  wait: Pod[];
  /** Of a higher drain order: evicted, or waited for, once everything of the lower orders is gone. */
  evictLater: Pod[];
  waitLater: Pod[];
  skip: Array<{ pod: Pod; why: string }>;
}

/** A MachineDrainRule's word on a pod (drain-rules.ts), when one applies. */
export type RuleLookup = (
  pod: Pod,
) => { behavior: 'Drain' | 'Skip' | 'WaitCompleted'; order: number; rule: string } | undefined;

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * Upstream's filters in their order: mirror and DaemonSet pods stay, the `cluster.x-k8s.io/drain` label, then the
 * first MachineDrainRule that selects the pod; then only the lowest drain order goes now (a pod without a rule, or
 * waited for, is order 0).
 */
export function planDrain(
  pods: Pod[],
  opts: { nodeUnreachable: boolean; existingDaemonSets: Set<string>; now: Date; rules?: RuleLookup },
): DrainPlan {
  const plan: DrainPlan = { evict: [], wait: [], evictLater: [], waitLater: [], skip: [] };
  const toEvict: Array<[Pod, number]> = [];
  const toWait: Pod[] = [];
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? '';
    if (pod.metadata.annotations && Object.hasOwn(pod.metadata.annotations, MIRROR_ANNOTATION)) {
      plan.skip.push({ pod, why: 'mirror pod' });
      continue;
    }
    const ds = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'DaemonSet');
    if (ds && opts.existingDaemonSets.has(`${ns}/${ds.name}`)) {
      plan.skip.push({ pod, why: 'DaemonSet pod' });
      continue;
    }
    const drainLabel = drainBehavior(pod.metadata.labels?.[Labels.drain]);
    if (drainLabel === 'skip') {
      plan.skip.push({ pod, why: `label ${Labels.drain}=skip` });
      continue;
    }
    const rule = drainLabel ? undefined : opts.rules?.(pod);
    if (rule?.behavior === 'Skip') {
      plan.skip.push({ pod, why: `MachineDrainRule ${rule.rule}` });
      continue;
    }
    const waitCompleted = drainLabel === 'wait-completed' || rule?.behavior === 'WaitCompleted';
    if (pod.metadata.deletionTimestamp) {
      // An unreachable kubelet never confirms the deletion: stop waiting for such pods after 1 s.
      if (opts.nodeUnreachable && opts.now.getTime() - Date.parse(pod.metadata.deletionTimestamp) > 1000) {
        plan.skip.push({ pod, why: 'terminating on an unreachable node' });
      } else {
        plan.wait.push(pod);
      }
      continue;
    }
    if (waitCompleted) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') plan.skip.push({ pod, why: 'completed' });
      else toWait.push(pod);
      continue;
    }
    toEvict.push([pod, rule?.behavior === 'Drain' ? rule.order : 0]);
  }
  // Pods waited for count as order 0, as upstream's minDrainOrderOfPodsToDrain does.
  const orders = [...toEvict.map(([, o]) => o), ...(toWait.length ? [0] : [])];
  const min = orders.length ? Math.min(...orders) : 0;
  for (const [pod, order] of toEvict) (order === min ? plan.evict : plan.evictLater).push(pod);
  for (const pod of toWait) (min === 0 ? plan.wait : plan.waitLater).push(pod);
  return plan;
}

/**
 * The `cluster.x-k8s.io/drain` label as upstream reads it: `skip` and `wait-completed` in any letter case, the latter
 * also without its hyphen (`WaitCompleted`, MachineDrainRule's spelling); anything else drains as usual.
 */
export function drainBehavior(value: string | undefined): 'skip' | 'wait-completed' | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'skip') return 'skip';
  if (v.replace('-', '') === 'waitcompleted') return 'wait-completed';
  return undefined;
}

/** What one drain pass left behind, for the DrainingSucceeded condition. */
export interface DrainOutcome {
  /** Evicted or already terminating, not yet gone from the Node. */
  deleting: Pod[];
  /** Evictions refused, by the API server's message (a PodDisruptionBudget, a terminating namespace, …). */
  failed: Map<string, Pod[]>;
  /** Labelled wait-completed and still running. */
  waitCompleted: Pod[];
  /** On the Node and not tried yet (they appeared after this pass listed the Node's pods). */
  toEvict: Pod[];
  /** Of a higher drain order, after the others. */
  evictLater?: Pod[];
  waitLater?: Pod[];
}

export function drainCompleted(o: DrainOutcome): boolean {
  return (
    o.deleting.length === 0 &&
    o.failed.size === 0 &&
    o.waitCompleted.length === 0 &&
    o.toEvict.length === 0 &&
    !o.evictLater?.length &&
    !o.waitLater?.length
  );
}

/** `a, b, c, ... (2 more)` as upstream lists objects in messages. */
export function listPods(pods: Pod[], n = 3): string {
  const shown = pods.slice(0, n).map(podKey);
  if (pods.length > n) shown.push(`... (${pods.length - n} more)`);
  return shown.join(', ');
}

const PDB_PREFIX = "cannot evict pod as it would violate the pod's disruption budget.";

/**
 * The DrainingSucceeded message of an unfinished drain, in upstream's format (drain.EvictionResult.ConditionMessage):
 * what is still terminating, each distinct eviction failure with up to three of its pods (five failures at most, the
 * rest counted), and what is waited on to complete.
 */
export function drainConditionMessage(o: DrainOutcome, startedAt: string): string {
  const plural = (ps: Pod[]) => (ps.length > 1 ? 'Pods' : 'Pod');
  const lines = [`Drain not completed yet (started at ${startedAt}):`];
  if (o.deleting.length)
    lines.push(
      `* ${plural(o.deleting)} ${listPods(o.deleting)}: deletionTimestamp set, but still not removed from the Node`,
    );
  const messages = [...o.failed.keys()].sort();
  for (const msg of messages.slice(0, 5)) {
    const pods = o.failed.get(msg)!;
    let text = msg.replaceAll("Cannot evict pod as it would violate the pod's disruption budget.", PDB_PREFIX);
    if (!text.startsWith(PDB_PREFIX)) text = `failed to evict Pod, ${text}`;
    lines.push(`* ${plural(pods)} ${listPods(pods)}: ${text}`);
  }
  const others = messages.slice(5).reduce((n, msg) => n + o.failed.get(msg)!.length, 0);
  if (others) lines.push(others === 1 ? '* 1 Pod with other issues' : `* ${others} Pods with other issues`);
  if (o.waitCompleted.length)
    lines.push(`* ${plural(o.waitCompleted)} ${listPods(o.waitCompleted)}: waiting for completion`);
  if (o.toEvict.length) lines.push(`* ${plural(o.toEvict)} ${listPods(o.toEvict)}: to be evicted on the next pass`);
  if (o.evictLater?.length)
    lines.push(
      `After above Pods have been removed from the Node, the following Pods will be evicted: ${listPods(o.evictLater)}`,
    );
  if (o.waitLater?.length)
    lines.push(
      `After above Pods have been removed from the Node, waiting for the following Pods to complete without eviction: ${listPods(o.waitLater)}`,
    );
  return lines.join('\n');
}

/**
 * The Eviction for a pod. On an unreachable Node the kubelet never confirms a deletion and the API server dates
 * deletionTimestamp by the grace period, so upstream overrides it to 1 s: the pod is then skipped 1 s after eviction
 * instead of after its whole terminationGracePeriodSeconds.
 */
export function evictionFor(pod: Pod, nodeUnreachable: boolean): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: pod.metadata.name!, namespace: pod.metadata.namespace! },
    ...(nodeUnreachable ? { deleteOptions: { gracePeriodSeconds: 1 } } : {}),
  } as KubeObject;
}

export function podKey(p: Pod): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}
