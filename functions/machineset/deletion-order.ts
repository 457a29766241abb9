// Which Machines a scale-down deletes first (capi-core-spec.md §2.8, upstream
// machineset_delete_policy.go in v1.10): a score per Machine, highest first, ties broken by name.
import { Annotations, ConditionTypes, type DeletePolicy } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { isFalse } from '../../shared/conditions/conditions.ts';

export const MUST_DELETE = 100;
export const BETTER_DELETE = 75;
export const COULD_DELETE = 50;
export const MUST_NOT_DELETE = 0;
const RANDOM_SCORE = 20;
/** Ten days: the time constant of the age curve in Newest/Oldest. */
const SECONDS_PER_TEN_DAYS = 864_000;

/** Unhealthy: no Node yet, a terminal failure, or a health condition explicitly False (Unknown does not count). */
export function isMachineUnhealthy(m: Machine): boolean {
  const s = m.status;
  if (!s?.nodeRef) return true;
  if (s.failureReason || s.failureMessage) return true;
  return (
    isFalse(s.conditions, ConditionTypes.nodeHealthy) || isFalse(s.conditions, ConditionTypes.healthCheckSucceeded)
  );
}

function oldestScore(m: Machine, now: Date): number {
  const created = m.metadata.creationTimestamp ? Date.parse(m.metadata.creationTimestamp) : Number.NaN;
  if (Number.isNaN(created) || created > now.getTime()) return MUST_NOT_DELETE;
  const age = (now.getTime() - created) / 1000;
  return COULD_DELETE * (1 - Math.exp(-age / SECONDS_PER_TEN_DAYS));
}

export function deletePriority(policy: DeletePolicy, m: Machine, now: Date): number {
  if (m.metadata.deletionTimestamp) return MUST_DELETE;
  if (m.metadata.annotations && Object.hasOwn(m.metadata.annotations, Annotations.deleteMachine)) return BETTER_DELETE;
  if (isMachineUnhealthy(m)) return COULD_DELETE;
  switch (policy) {
    case 'Newest':
      return COULD_DELETE - oldestScore(m, now);
    case 'Oldest':
      return oldestScore(m, now);
    default:
      return RANDOM_SCORE;
  }
}

/** The `count` Machines to delete, most deletable first; deterministic for the same inputs. */
export function machinesToDelete(
  policy: DeletePolicy | undefined,
  machines: Machine[],
  count: number,
  now: Date,
): Machine[] {
  if (count <= 0) return [];
  return [...machines]
    .map((m) => ({ m, score: deletePriority(policy ?? 'Random', m, now) }))
    .sort((a, b) => b.score - a.score || (a.m.metadata.name ?? '').localeCompare(b.m.metadata.name ?? ''))
    .slice(0, count)
    .map((x) => x.m);
}
