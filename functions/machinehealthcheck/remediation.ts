// Whether a MachineHealthCheck may remediate now (capi-core-spec.md §5.3 steps 5–7), and what it writes on each
// target: `maxUnhealthy` (a count or a percentage of the targets, rounded down) or `unhealthyRange` ("[min-max]",
// which wins) short-circuits remediation when too many targets are unhealthy — a network partition must not
// replace the whole fleet. Pure.
import { ConditionTypes, Reasons } from '../../shared/api/capi/constants.ts';
import type { Condition } from '../../shared/api/conditions.ts';
import {
  type ConditionInput,
  falseCondition,
  getCondition,
  trueCondition,
} from '../../shared/conditions/conditions.ts';
import type { Verdict } from './targets.ts';

export const WAITING_FOR_REMEDIATION = 'WaitingForRemediation';

export interface Allowance {
  allowed: boolean;
  remediationsAllowed: number;
  /** Why not, in upstream's words. */
  message?: string;
}

/** "40%" of 7 → 2; 3 → 3; absent → 100%. */
export function scaledMax(max: number | string | undefined, total: number): number {
  if (max === undefined) return total;
  if (typeof max === 'number') return max;
  const m = /^(\d+)%$/.exec(max);
  if (m) return Math.floor((Number(m[1]) * total) / 100);
  const n = Number(max);
  return Number.isInteger(n) ? n : total;
}

export function parseRange(r: string | undefined): { min: number; max: number } | undefined {
  const m = /^\[(\d+)-(\d+)\]$/.exec(r ?? '');
  return m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
}

export function allowance(
  spec: { maxUnhealthy?: number | string | undefined; unhealthyRange?: string | undefined },
  expected: number,
  healthy: number,
): Allowance {
  const unhealthy = expected - healthy;
  const range = parseRange(spec.unhealthyRange);
  if (range) {
    const allowed = unhealthy >= range.min && unhealthy <= range.max;
    return allowed
      ? { allowed, remediationsAllowed: Math.max(0, range.max - unhealthy) }
      : {
          allowed,
          remediationsAllowed: 0,
          message: `Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: ${expected}, unhealthy: ${unhealthy}, unhealthyRange: ${spec.unhealthyRange})`,
        };
  }
  const max = scaledMax(spec.maxUnhealthy, expected);
  const allowed = unhealthy <= max;
  return allowed
    ? { allowed, remediationsAllowed: Math.max(0, max - unhealthy) }
    : {
        allowed,
        remediationsAllowed: 0,
        message: `Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: ${expected}, unhealthy: ${unhealthy}, maxUnhealthy: ${String(spec.maxUnhealthy ?? '100%')})`,
      };
}

/** The conditions to set on one target (none: leave it as it is). */
export function targetConditions(
  v: Verdict,
  current: Condition[] | undefined,
  o: { allowed: boolean; external: boolean; deleting: boolean },
): ConditionInput[] {
  if (v.kind === 'healthy') return [trueCondition(ConditionTypes.healthCheckSucceeded)];
  if (v.kind !== 'unhealthy') return [];
  const out = [falseCondition(ConditionTypes.healthCheckSucceeded, v.reason, 'Warning', v.message)];
  if (!o.allowed || o.external || o.deleting) return out;
  // The owner's own progress (False with another reason) is never overwritten.
  const owner = getCondition(current, ConditionTypes.ownerRemediated);
  if (!owner || owner.status === 'True')
    out.push(falseCondition(ConditionTypes.ownerRemediated, WAITING_FOR_REMEDIATION, 'Warning', ''));
  return out;
}

/** The MHC's RemediationAllowed condition. */
export function remediationAllowedCondition(a: Allowance): ConditionInput {
  return a.allowed
    ? trueCondition(ConditionTypes.remediationAllowed)
    : falseCondition(ConditionTypes.remediationAllowed, Reasons.tooManyUnhealthy, 'Warning', a.message ?? '');
}
