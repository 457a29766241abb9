// Event Grid event-subscription filtering as documented ("Understand event filtering for Event Grid
// subscriptions"): event types, subject begins/ends with, and advanced filters. Advanced filters are
// ANDed; the values of one filter are ORed (for the Not operators: ANDed); string comparisons are
// case-insensitive; a key whose value is an array does not match unless enableAdvancedFilteringOnArrays
// is set (then any element may match).
//
// Not stated plainly in the reference, so chosen here: a missing key fails every operator except
// IsNullOrUndefined and the Not operators (nothing excluded is present). capi-fn's generated filters
// never depend on that choice.

export interface AdvancedFilter {
  operatorType: string;
  key: string;
  value?: unknown;
  values?: unknown[];
}

export interface SubscriptionFilter {
  includedEventTypes?: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  isSubjectCaseSensitive?: boolean;
  enableAdvancedFilteringOnArrays?: boolean;
  advancedFilters?: AdvancedFilter[];
}

const STRING_OPS = new Set([
  'StringIn',
  'StringNotIn',
  'StringBeginsWith',
  'StringNotBeginsWith',
  'StringEndsWith',
  'StringNotEndsWith',
  'StringContains',
  'StringNotContains',
]);
const NUMBER_SET_OPS = new Set(['NumberIn', 'NumberNotIn']);
const NUMBER_CMP_OPS = new Set([
  'NumberLessThan',
  'NumberGreaterThan',
  'NumberLessThanOrEquals',
  'NumberGreaterThanOrEquals',
]);
export const OPERATORS = new Set([
  ...STRING_OPS,
  ...NUMBER_SET_OPS,
  ...NUMBER_CMP_OPS,
  'BoolEquals',
  'IsNullOrUndefined',
  'IsNotNull',
]);

/** Documented limits: 25 advanced filters and 25 filter values in total per subscription, 512 characters per string value. */
export function validateFilter(f: SubscriptionFilter): string | undefined {
  const filters = f.advancedFilters ?? [];
  if (filters.length > 25) return `at most 25 advanced filters, got ${filters.length}`;
  let values = 0;
  for (const a of filters) {
    if (!OPERATORS.has(a.operatorType)) return `unknown operatorType ${a.operatorType}`;
    if (typeof a.key !== 'string' || a.key === '') return 'advanced filter without key';
    if (STRING_OPS.has(a.operatorType) || NUMBER_SET_OPS.has(a.operatorType)) {
      if (!Array.isArray(a.values) || a.values.length === 0) return `${a.operatorType} on ${a.key} needs values`;
      values += a.values.length;
      if (a.values.some((v) => typeof v === 'string' && v.length > 512))
        return 'string filter values are at most 512 characters';
    } else {
      values += 1;
    }
  }
  if (values > 25) return `at most 25 filter values across advanced filters, got ${values}`;
  return undefined;
}

function lookup(event: Record<string, unknown>, key: string): unknown {
  let cur: unknown = event;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    const rec = cur as Record<string, unknown>;
    const hit = part in rec ? part : Object.keys(rec).find((k) => k.toLowerCase() === part.toLowerCase());
    cur = hit === undefined ? undefined : rec[hit];
  }
  return cur;
}

function matchOne(op: string, v: unknown, f: AdvancedFilter): boolean {
  const lower = (x: unknown) => String(x).toLowerCase();
  const svals = (f.values ?? []).map(lower);
  switch (op) {
    case 'StringIn':
      return typeof v === 'string' && svals.includes(lower(v));
    case 'StringNotIn':
      return typeof v === 'string' && !svals.includes(lower(v));
    case 'StringBeginsWith':
      return typeof v === 'string' && svals.some((s) => lower(v).startsWith(s));
    case 'StringNotBeginsWith':
      return typeof v === 'string' && !svals.some((s) => lower(v).startsWith(s));
    case 'StringEndsWith':
      return typeof v === 'string' && svals.some((s) => lower(v).endsWith(s));
    case 'StringNotEndsWith':
      return typeof v === 'string' && !svals.some((s) => lower(v).endsWith(s));
    case 'StringContains':
      return typeof v === 'string' && svals.some((s) => lower(v).includes(s));
    case 'StringNotContains':
      return typeof v === 'string' && !svals.some((s) => lower(v).includes(s));
    case 'NumberIn':
      return typeof v === 'number' && (f.values ?? []).includes(v);
    case 'NumberNotIn':
      return typeof v === 'number' && !(f.values ?? []).includes(v);
    case 'NumberLessThan':
      return typeof v === 'number' && v < Number(f.value);
    case 'NumberGreaterThan':
      return typeof v === 'number' && v > Number(f.value);
    case 'NumberLessThanOrEquals':
      return typeof v === 'number' && v <= Number(f.value);
    case 'NumberGreaterThanOrEquals':
      return typeof v === 'number' && v >= Number(f.value);
    case 'BoolEquals':
      return typeof v === 'boolean' && v === f.value;
    default:
      return false;
  }
}

function advancedMatches(event: Record<string, unknown>, f: AdvancedFilter, onArrays: boolean): boolean {
  const v = lookup(event, f.key);
  if (f.operatorType === 'IsNullOrUndefined') return v === undefined || v === null;
  if (f.operatorType === 'IsNotNull') return v !== undefined && v !== null;
  const negated = /^(String|Number)Not/.test(f.operatorType);
  if (v === undefined || v === null) return negated;
  if (Array.isArray(v)) return onArrays && v.some((x) => matchOne(f.operatorType, x, f));
  return matchOne(f.operatorType, v, f);
}

export function filterMatches(event: Record<string, unknown>, f: SubscriptionFilter): boolean {
  const type = String(event.type ?? '');
  if (f.includedEventTypes?.length && !f.includedEventTypes.some((t) => t.toLowerCase() === type.toLowerCase())) {
    return false;
  }
  const subject = String(event.subject ?? '');
  const cs = f.isSubjectCaseSensitive ?? false;
  const norm = (s: string) => (cs ? s : s.toLowerCase());
  if (f.subjectBeginsWith && !norm(subject).startsWith(norm(f.subjectBeginsWith))) return false;
  if (f.subjectEndsWith && !norm(subject).endsWith(norm(f.subjectEndsWith))) return false;
  const onArrays = f.enableAdvancedFilteringOnArrays ?? false;
  return (f.advancedFilters ?? []).every((a) => advancedMatches(event, a, onArrays));
}
