// Cluster API v1beta1 condition helpers (capi-core-spec.md §7.3–7.4): set with the upstream
// lastTransitionTime rule, mirror a source's Ready, summarise and aggregate.
import type { Condition, ConditionSeverity, ConditionStatus, MetaCondition } from '../api/conditions.ts';

export type { Condition };

/** Seconds precision, UTC, as the API serialises metav1.Time. */
export function nowTime(now: Date): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function getCondition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

export function isTrue(conds: Condition[] | undefined, type: string): boolean {
  return getCondition(conds, type)?.status === 'True';
}
export function isFalse(conds: Condition[] | undefined, type: string): boolean {
  return getCondition(conds, type)?.status === 'False';
}

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason?: string;
  severity?: ConditionSeverity;
  message?: string;
}

export const trueCondition = (type: string): ConditionInput => ({ type, status: 'True' });
export const falseCondition = (
  type: string,
  reason: string,
  severity: ConditionSeverity,
  message = '',
): ConditionInput => ({
  type,
  status: 'False',
  reason,
  severity,
  message,
});
export const unknownCondition = (type: string, reason: string, message = ''): ConditionInput => ({
  type,
  status: 'Unknown',
  reason,
  message,
});

function same(a: Condition, b: ConditionInput): boolean {
  return (
    a.status === b.status &&
    (a.reason ?? '') === (b.reason ?? '') &&
    (a.severity ?? '') === (b.severity ?? '') &&
    (a.message ?? '') === (b.message ?? '')
  );
}

function clean(input: ConditionInput, time: string): Condition {
  const c: Condition = { type: input.type, status: input.status, lastTransitionTime: time };
  if (input.status !== 'True') {
    if (input.severity) c.severity = input.severity;
    if (input.reason) c.reason = input.reason;
    if (input.message) c.message = input.message;
  } else {
    if (input.reason) c.reason = input.reason;
    if (input.message) c.message = input.message;
  }
  return c;
}

/** Ready first, then alphabetical (upstream ordering, so replays produce identical lists). */
export function sortConditions(conds: Condition[]): Condition[] {
  return [...conds].sort((a, b) => (a.type === 'Ready' ? -1 : b.type === 'Ready' ? 1 : a.type.localeCompare(b.type)));
}

/**
 * Returns the list with `input` set. An unchanged condition keeps its lastTransitionTime (and the
 * same list comes back), so a converged reconcile produces no write.
 */
export function setCondition(conds: Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const list = conds ?? [];
  const existing = list.find((c) => c.type === input.type);
  if (existing && same(existing, input)) return sortConditions(list);
  const next = clean(input, nowTime(now));
  return sortConditions([...list.filter((c) => c.type !== input.type), next]);
}

export function deleteCondition(conds: Condition[] | undefined, type: string): Condition[] {
  return (conds ?? []).filter((c) => c.type !== type);
}

/** Copies the source object's Ready condition under `type`, or the fallback when it has none. */
export function mirror(type: string, sourceConds: Condition[] | undefined, fallback: ConditionInput): ConditionInput {
  const ready = getCondition(sourceConds, 'Ready');
  if (!ready) return { ...fallback, type };
  const out: ConditionInput = { type, status: ready.status };
  if (ready.reason) out.reason = ready.reason;
  if (ready.severity) out.severity = ready.severity;
  if (ready.message) out.message = ready.message;
  return out;
}

/** Group priority: False/Error < False/Warning < False/Info < True < Unknown (lowest wins). */
function rank(c: Pick<Condition, 'status' | 'severity'>): number {
  if (c.status === 'False') return c.severity === 'Error' ? 0 : c.severity === 'Warning' ? 1 : 2;
  return c.status === 'True' ? 3 : 4;
}

/**
 * The v1beta1 `Ready` summary over `types` (in that order): True when all present are True, else the
 * worst group's status with the reason and message of the first listed type in that group.
 */
export function summary(
  conds: Condition[] | undefined,
  types: string[],
  opts: { stepCounter?: boolean } = {},
): ConditionInput {
  const present = types.map((t) => getCondition(conds, t)).filter((c): c is Condition => Boolean(c));
  if (present.length === 0) return { type: 'Ready', status: 'Unknown', reason: '', message: '' };
  const worst = Math.min(...present.map(rank));
  const first = present.find((c) => rank(c) === worst)!;
  if (worst === 3) return { type: 'Ready', status: 'True' };
  const out: ConditionInput = { type: 'Ready', status: first.status };
  if (first.reason) out.reason = first.reason;
  if (first.severity) out.severity = first.severity;
  const trues = present.filter((c) => c.status === 'True').length;
  out.message = opts.stepCounter ? `${trues} of ${types.length} completed` : (first.message ?? '');
  return out;
}

/** Merges the Ready conditions of many objects (MachineSet MachinesReady over its Machines). */
export function aggregate(
  type: string,
  sources: Array<{ kind: string; name: string; conditions: Condition[] | undefined }>,
): ConditionInput | undefined {
  const readies = sources
    .map((s) => ({ s, c: getCondition(s.conditions, 'Ready') }))
    .filter((x): x is { s: (typeof sources)[number]; c: Condition } => Boolean(x.c));
  if (readies.length === 0) return undefined;
  const worst = Math.min(...readies.map((x) => rank(x.c)));
  const chosen = readies.filter((x) => rank(x.c) === worst).sort((a, b) => a.s.name.localeCompare(b.s.name))[0]!;
  const trues = readies.filter((x) => x.c.status === 'True').length;
  if (worst === 3) return { type, status: 'True' };
  const out: ConditionInput = { type, status: chosen.c.status, message: `${trues} of ${readies.length} completed` };
  if (chosen.c.reason) out.reason = `${chosen.c.reason} @ ${chosen.s.kind}/${chosen.s.name}`;
  if (chosen.c.severity) out.severity = chosen.c.severity;
  return out;
}

/** Sets a v1beta2 (metav1) condition in place of the one of its type; the list stays sorted by type, as upstream's. */
export function setMetaCondition(conds: MetaCondition[] | undefined, c: MetaCondition): MetaCondition[] {
  return [...(conds ?? []).filter((x) => x.type !== c.type), c].sort((a, b) => a.type.localeCompare(b.type));
}
