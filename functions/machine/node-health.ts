// The Machine's NodeHealthy condition from its Node's conditions (capi-core-spec.md §3.5).
import { ConditionTypes, Reasons } from '../../shared/api/capi/constants.ts';
import {
  type ConditionInput,
  falseCondition,
  trueCondition,
  unknownCondition,
} from '../../shared/conditions/conditions.ts';

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
