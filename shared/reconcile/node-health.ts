// A Node's health as Cluster API reads it (capi-core-spec.md §3.5): the Machine's NodeHealthy condition, whether
// the Node is Ready and since when (MachineSet readiness, MachineHealthCheck). Pure; shared by those handlers.
import { ConditionTypes, Reasons } from '../api/capi/constants.ts';
import type { MetaCondition } from '../api/conditions.ts';
import {
  type ConditionInput,
  falseCondition,
  nowTime,
  trueCondition,
  unknownCondition,
} from '../conditions/conditions.ts';

export interface NodeCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

/**
 * Pressure conditions must be False and Ready must be True. Deviation from upstream v1beta1: a Ready
 * condition that is Unknown (node unreachable) or missing gives Unknown rather than True, so an
 * unreachable node is never counted ready (upstream issue #8129).
 */
export function summarizeNodeConditions(conds: NodeCondition[] | undefined): ConditionInput {
  let failed = 0;
  const problems: string[] = [];
  let readyTrue = false;
  for (const c of conds ?? []) {
    if (c.type === 'MemoryPressure' || c.type === 'DiskPressure' || c.type === 'PIDPressure') {
      if (c.status !== 'False') {
        problems.push(`Node condition ${c.type} is ${c.status}.`);
        if (c.status !== 'Unknown') failed++;
      }
    } else if (c.type === 'Ready') {
      if (c.status === 'True') readyTrue = true;
      else {
        problems.push(`Node condition Ready is ${c.status}.`);
        if (c.status !== 'Unknown') failed++;
      }
    }
  }
  if (failed > 0)
    return falseCondition(ConditionTypes.nodeHealthy, Reasons.nodeConditionsFailed, 'Warning', problems.join(' '));
  if (!readyTrue)
    return unknownCondition(
      ConditionTypes.nodeHealthy,
      Reasons.nodeConditionsFailed,
      problems.join(' ') || 'Node has no Ready condition yet.',
    );
  return trueCondition(ConditionTypes.nodeHealthy);
}

export function nodeReadyStatus(conds: NodeCondition[] | undefined): string | undefined {
  return conds?.find((c) => c.type === 'Ready')?.status;
}

/** upstream's noderefutil.IsNodeReady: the Ready condition is True. */
export function isNodeReady(conds: NodeCondition[] | undefined): boolean {
  return nodeReadyStatus(conds) === 'True';
}

/** When the Node last became Ready (its Ready condition's lastTransitionTime), if it is Ready now. */
export function nodeReadySince(conds: NodeCondition[] | undefined): Date | undefined {
  const c = conds?.find((x) => x.type === 'Ready');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * The Machine's v1beta2 `NodeReady` condition: the Node's Ready condition as upstream surfaces it, with the Node's
 * own transition time, so that whoever counts availability (MachineSet `minReadySeconds`) measures from when the
 * Node became Ready — as upstream's noderefutil.IsNodeAvailable does — without reading every Node.
 */
export function nodeReadyCondition(
  node: { conditions?: Array<NodeCondition & { reason?: string; message?: string }> } | undefined,
  prev: MetaCondition | undefined,
  generation: number | undefined,
  now: Date,
  missing?: 'NodeDoesNotExist' | 'NodeDeleted',
): MetaCondition {
  const ready = node?.conditions?.find((c) => c.type === 'Ready');
  const mirrored = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  const status: MetaCondition['status'] =
    missing === 'NodeDeleted' ? 'False' : ready && !missing ? mirrored : 'Unknown';
  const reason = missing
    ? missing
    : !ready
      ? 'NodeConditionsUnknown'
      : status === 'True'
        ? 'NodeReady'
        : status === 'False'
          ? 'NodeNotReady'
          : 'NodeReadyUnknown';
  const message = missing
    ? missing === 'NodeDeleted'
      ? 'Node has been deleted'
      : 'Node does not exist'
    : ready
      ? (ready.message ?? '')
      : 'Node has no Ready condition yet';
  const at =
    ready && !missing && ready.lastTransitionTime
      ? ready.lastTransitionTime
      : prev && prev.status === status
        ? prev.lastTransitionTime
        : nowTime(now);
  return {
    type: 'NodeReady',
    status,
    reason,
    message,
    lastTransitionTime: at,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}
