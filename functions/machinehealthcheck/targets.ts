// Whether one Machine a MachineHealthCheck selects is healthy (capi-core-spec.md §5.3 step 4), from the Machine,
// its Node (or the news that the Node is gone), the Cluster and the time: unhealthy with upstream's reason, or
// not (yet): then healthy when it has a Node and is not being deleted — a Machine still waiting for its Node
// is neither — with the moment a running timeout expires. Pure: the reconcile reads, this decides, and the
// requeue is the earliest `recheckAt`.
import { Annotations, ConditionTypes, Labels } from '../../shared/api/capi/constants.ts';
import type { Condition } from '../../shared/api/conditions.ts';
import { getCondition } from '../../shared/conditions/conditions.ts';
import { parseDuration } from '../../shared/reconcile/duration.ts';

/** Upstream's reasons for HealthCheckSucceeded=False. */
export const UnhealthyReasons = {
  remediateAnnotation: 'HasRemediateMachineAnnotation',
  machineFailure: 'MachineHasFailure',
  nodeNotFound: 'NodeNotFound',
  nodeStartupTimeout: 'NodeStartupTimeout',
  unhealthyNode: 'UnhealthyNode',
} as const;

/** upstream's default nodeStartupTimeout when the spec has none (the webhook writes it on create). */
export const DEFAULT_NODE_STARTUP_TIMEOUT_MS = 10 * 60_000;

export interface TargetMachine {
  metadata: {
    name?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { clusterName?: string };
  status?: {
    nodeRef?: { name?: string };
    failureReason?: string;
    failureMessage?: string;
    conditions?: Condition[];
  };
}

export interface TargetNode {
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
}

export interface ClusterFacts {
  conditions?: Condition[] | undefined;
  infrastructureReady?: boolean | undefined;
}

export interface HealthCheckSpec {
  unhealthyConditions?: Array<{ type: string; status: string; timeout: string }> | undefined;
  nodeStartupTimeout?: string | undefined;
}

export type Verdict =
  | { kind: 'unhealthy'; reason: string; message: string }
  | {
      /** Healthy: has a Node, is not being deleted, matches no expired unhealthy condition. */
      kind: 'healthy' | 'not-healthy';
      /** A timeout that is running expires then: judge again (unless an event comes first). */
      recheckAt?: Date;
      /** Why it is not judged healthy or unhealthy yet, or which timeout runs. */
      note?: string;
    };

const ms = (t: string | undefined) => (t ? Date.parse(t) : Number.NaN);

function transitionOf(conds: Condition[] | undefined, type: string): number {
  const c = getCondition(conds, type);
  return c?.status === 'True' ? ms(c.lastTransitionTime) : Number.NaN;
}

/**
 * The verdict on `machine`. `node` is the Node its nodeRef names, `'missing'` when that Node does not exist (it
 * existed once: the nodeRef says so), undefined when the Machine has no nodeRef yet.
 */
export function judge(
  machine: TargetMachine,
  node: TargetNode | 'missing' | undefined,
  cluster: ClusterFacts,
  spec: HealthCheckSpec,
  now: Date,
): Verdict {
  const a = machine.metadata.annotations ?? {};
  if (Annotations.remediateMachine in a)
    return {
      kind: 'unhealthy',
      reason: UnhealthyReasons.remediateAnnotation,
      message: `Machine has the ${Annotations.remediateMachine} annotation`,
    };
  const st = machine.status ?? {};
  if (st.failureReason || st.failureMessage)
    return {
      kind: 'unhealthy',
      reason: UnhealthyReasons.machineFailure,
      message: `Machine has failed: ${[st.failureReason, st.failureMessage].filter(Boolean).join(': ')}`,
    };
  if (node === 'missing')
    return {
      kind: 'unhealthy',
      reason: UnhealthyReasons.nodeNotFound,
      message: `Node ${st.nodeRef?.name ?? ''} no longer exists`,
    };

  const hasNode = Boolean(node) && !machine.metadata.deletionTimestamp;
  const notYet = (note: string, recheckAt?: Date): Verdict => ({
    kind: hasNode ? 'healthy' : 'not-healthy',
    note,
    ...(recheckAt ? { recheckAt } : {}),
  });
  const isControlPlane = Labels.controlPlane in (machine.metadata.labels ?? {});
  const cpInitialized = getCondition(cluster.conditions, ConditionTypes.controlPlaneInitialized)?.status === 'True';
  if (!cpInitialized && !isControlPlane) return notYet('the Cluster control plane is not initialized yet');
  const infraReady =
    cluster.infrastructureReady ??
    getCondition(cluster.conditions, ConditionTypes.infrastructureReady)?.status === 'True';
  if (!infraReady) return notYet('the Cluster infrastructure is not ready yet');

  if (!node) {
    const timeout =
      spec.nodeStartupTimeout === undefined
        ? DEFAULT_NODE_STARTUP_TIMEOUT_MS
        : (parseDuration(spec.nodeStartupTimeout) ?? DEFAULT_NODE_STARTUP_TIMEOUT_MS);
    if (timeout === 0) return notYet('waiting for a Node (nodeStartupTimeout 0: no limit)');
    // From the latest of: the Machine's creation, the cluster's infrastructure and control plane becoming ready,
    // the Machine's infrastructure becoming ready (a slow cloud does not count against the Node).
    const starts = [
      ms(machine.metadata.creationTimestamp),
      transitionOf(cluster.conditions, ConditionTypes.infrastructureReady),
      transitionOf(cluster.conditions, ConditionTypes.controlPlaneInitialized),
      transitionOf(st.conditions, ConditionTypes.infrastructureReady),
    ].filter((t) => !Number.isNaN(t));
    const from = starts.length ? Math.max(...starts) : now.getTime();
    const deadline = from + timeout;
    if (now.getTime() > deadline)
      return {
        kind: 'unhealthy',
        reason: UnhealthyReasons.nodeStartupTimeout,
        message: `Node failed to report startup in ${spec.nodeStartupTimeout ?? '10m0s'}`,
      };
    return notYet('waiting for a Node', new Date(deadline + 1_000));
  }

  let recheck = Number.POSITIVE_INFINITY;
  for (const u of spec.unhealthyConditions ?? []) {
    const c = node.status?.conditions?.find((x) => x.type === u.type);
    if (!c || c.status !== u.status) continue;
    const timeout = parseDuration(u.timeout) ?? 0;
    const since = ms(c.lastTransitionTime);
    const expires = (Number.isNaN(since) ? now.getTime() : since) + timeout;
    if (now.getTime() > expires || timeout === 0)
      return {
        kind: 'unhealthy',
        reason: UnhealthyReasons.unhealthyNode,
        message: `Condition ${u.type} on Node is reporting status ${u.status} for more than ${u.timeout}`,
      };
    recheck = Math.min(recheck, expires + 1_000);
  }
  if (Number.isFinite(recheck))
    return notYet('a Node condition matches an unhealthy condition whose timeout has not expired', new Date(recheck));
  return notYet(machine.metadata.deletionTimestamp ? 'the Machine is being deleted' : '');
}
