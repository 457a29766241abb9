// Strategic merge patch (built-in kinds only). Lists tagged `patchStrategy: merge` merge by their merge key or,
// for primitive lists, as sets; every `$`-directive is consumed here and never reaches storage.
import { clone, deepEqual, isObject } from '../util.ts';

export interface ListStrategy {
  /** Merge key for lists of maps; absent with `merge` = primitive list merged as a set. */
  mergeKey?: string;
  merge: boolean;
  retainKeys?: boolean;
}

/** Field path without list indices, e.g. ['spec','containers','env']. */
export type StrategyLookup = (path: string[]) => ListStrategy | undefined;

export class SmpError extends Error {}

const DIRECTIVE = '$patch';
const RETAIN = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(original: unknown, patch: unknown, lookup: StrategyLookup): unknown {
  if (!isObject(patch)) throw new SmpError('strategic merge patch must be a JSON object');
  return mergeMap(isObject(original) ? original : {}, patch, [], lookup) ?? {};
}

function mergeMap(
  orig: Record<string, unknown>,
  patch: Record<string, unknown>,
  path: string[],
  lookup: StrategyLookup,
): Record<string, unknown> | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const copy = stripDirectives(clone(patch));
    return isObject(copy) ? copy : {};
  }
  if (directive !== undefined && directive !== 'merge') throw new SmpError(`Unknown patch type: ${String(directive)}`);
  const out: Record<string, unknown> = { ...orig };
  const orders: Array<[string, unknown[]]> = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN) continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) {
        out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      }
      continue;
    }
    const childPath = [...path, k];
    if (v === null) {
      delete out[k];
    } else if (isObject(v)) {
      const merged = mergeMap(isObject(out[k]) ? (out[k] as Record<string, unknown>) : {}, v, childPath, lookup);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      const strat = lookup(childPath);
      if (strat?.merge)
        out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, strat, childPath, lookup);
      else out[k] = stripDirectives(clone(v));
    } else {
      out[k] = v;
    }
  }
  const retain = patch[RETAIN];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [field, order] of orders) {
    if (Array.isArray(out[field])) {
      out[field] = applyOrder(out[field] as unknown[], order, lookup([...path, field])?.mergeKey);
    }
  }
  return out;
}

function mergeList(
  orig: unknown[],
  patch: unknown[],
  strat: ListStrategy,
  path: string[],
  lookup: StrategyLookup,
): unknown[] {
  if (patch.some((p) => isObject(p) && p[DIRECTIVE] === 'replace')) {
    return stripDirectives(clone(patch.filter((p) => !(isObject(p) && p[DIRECTIVE] === 'replace')))) as unknown[];
  }
  const key = strat.mergeKey;
  if (!key) {
    const out = [...orig];
    for (const p of patch) if (!out.some((o) => deepEqual(o, p))) out.push(p);
    return out;
  }
  const out = orig.map((o) => o);
  for (const p of patch) {
    if (!isObject(p)) throw new SmpError(`merging an object in json but data type is not a map: ${JSON.stringify(p)}`);
    if (!(key in p)) throw new SmpError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((o) => isObject(o) && deepEqual(o[key], p[key]));
    if (p[DIRECTIVE] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as Record<string, unknown>, p, path, lookup);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      out.push(stripDirectives(clone(p)));
    }
  }
  return out;
}

function applyOrder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const identity = (x: unknown) => (key && isObject(x) ? x[key] : x);
  const orderIds = order.map((o) => (key && isObject(o) ? o[key] : o));
  const ordered: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of list) (orderIds.some((id) => deepEqual(id, identity(item))) ? ordered : rest).push(item);
  ordered.sort(
    (a, b) =>
      orderIds.findIndex((id) => deepEqual(id, identity(a))) - orderIds.findIndex((id) => deepEqual(id, identity(b))),
  );
  return [...ordered, ...rest];
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === DIRECTIVE || k === RETAIN || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
      out[k] = stripDirectives(x);
    }
    return out;
  }
  return v;
}
