// Field ownership (metadata.managedFields, FieldsV1) and server-side apply: which manager owns which field,
// conflicts between managers, and removal of fields an applier stopped applying. Paths are sequences of
// FieldsV1 path elements: `f:name` (map field), `k:{"name":"c"}` (associative list item), `v:"x"` (set item).
import { clone, deepEqual, isObject, type JsonObject, nowRfc3339 } from '../util.ts';

export type ListKind = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] };
/** List semantics for a field, by its field-name path (list items are transparent). */
export type ListTypeLookup = (fieldPath: string[]) => ListKind;

const SEP = '\u0001';
type FieldSet = Set<string>;

const join = (pes: string[]) => pes.join(SEP);
const split = (p: string) => (p === '' ? [] : p.split(SEP));

function itemKey(item: unknown, keys: string[]): string {
  const o: JsonObject = {};
  for (const k of [...keys].sort()) o[k] = isObject(item) ? item[k] : undefined;
  return `k:${JSON.stringify(o)}`;
}

function fieldNames(pes: string[]): string[] {
  return pes.filter((p) => p.startsWith('f:')).map((p) => p.slice(2));
}

/** Every owned path of an applied configuration: leaves, empty maps, and list items. */
export function fieldsOf(v: unknown, lookup: ListTypeLookup, prefix: string[] = []): FieldSet {
  const out: FieldSet = new Set();
  const walk = (x: unknown, pes: string[]) => {
    if (isObject(x)) {
      const keys = Object.keys(x);
      if (keys.length === 0 && pes.length > 0) out.add(join(pes));
      for (const k of keys) walk(x[k], [...pes, `f:${k}`]);
    } else if (Array.isArray(x)) {
      const lt = lookup(fieldNames(pes));
      if (lt.type === 'set') for (const it of x) out.add(join([...pes, `v:${JSON.stringify(it)}`]));
      else if (lt.type === 'map') {
        for (const it of x) {
          const ip = [...pes, itemKey(it, lt.keys)];
          out.add(join(ip));
          if (isObject(it)) for (const k of Object.keys(it)) walk(it[k], [...ip, `f:${k}`]);
        }
      } else out.add(join(pes));
    } else if (pes.length > 0) out.add(join(pes));
  };
  walk(v, prefix);
  return out;
}

/** Paths an update added or changed (new maps and items are owned themselves, `.`) and paths it removed. */
export function diffFields(
  oldV: unknown,
  newV: unknown,
  lookup: ListTypeLookup,
): { changed: FieldSet; removed: FieldSet } {
  const changed: FieldSet = new Set();
  const removed: FieldSet = new Set();
  const addAll = (x: unknown, pes: string[]) => {
    if (pes.length > 0 && !(pes.length === 1 && pes[0] === 'f:metadata')) changed.add(join(pes));
    if (isObject(x)) for (const k of Object.keys(x)) addAll(x[k], [...pes, `f:${k}`]);
    else if (Array.isArray(x)) {
      const lt = lookup(fieldNames(pes));
      if (lt.type === 'set') for (const it of x) changed.add(join([...pes, `v:${JSON.stringify(it)}`]));
      else if (lt.type === 'map') for (const it of x) addAll(it, [...pes, itemKey(it, lt.keys)]);
    }
  };
  const diff = (o: unknown, n: unknown, pes: string[]) => {
    if (deepEqual(o, n)) return;
    if (o === undefined) return addAll(n, pes);
    if (n === undefined) {
      removed.add(join(pes));
      return;
    }
    if (isObject(o) && isObject(n)) {
      for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) diff(o[k], n[k], [...pes, `f:${k}`]);
      return;
    }
    if (Array.isArray(o) && Array.isArray(n)) {
      const lt = lookup(fieldNames(pes));
      if (lt.type === 'set') {
        for (const it of n)
          if (!o.some((x) => deepEqual(x, it))) changed.add(join([...pes, `v:${JSON.stringify(it)}`]));
        for (const it of o)
          if (!n.some((x) => deepEqual(x, it))) removed.add(join([...pes, `v:${JSON.stringify(it)}`]));
        return;
      }
      if (lt.type === 'map') {
        const ok = new Map(o.map((it) => [itemKey(it, lt.keys), it]));
        const nk = new Map(n.map((it) => [itemKey(it, lt.keys), it]));
        for (const [k, it] of nk) {
          const prev = ok.get(k);
          if (prev === undefined) addAll(it, [...pes, k]);
          else if (isObject(prev) && isObject(it)) {
            for (const f of new Set([...Object.keys(prev), ...Object.keys(it)]))
              diff(prev[f], it[f], [...pes, k, `f:${f}`]);
          }
        }
        for (const k of ok.keys()) if (!nk.has(k)) removed.add(join([...pes, k]));
        return;
      }
    }
    addAll(n, pes);
  };
  diff(oldV, newV, []);
  return { changed, removed };
}

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  const paths = [...set].map(split).sort((a, b) => a.length - b.length);
  for (const pes of paths) {
    let node = root;
    for (const pe of pes) {
      if (!isObject(node[pe])) node[pe] = {};
      node = node[pe] as JsonObject;
    }
  }
  const mark = (node: JsonObject, pes: string[]) => {
    for (const [k, child] of Object.entries(node)) {
      if (k === '.' || !isObject(child)) continue;
      const p = [...pes, k];
      if (Object.keys(child).length > 0 && set.has(join(p))) child['.'] = {};
      mark(child, p);
    }
  };
  mark(root, []);
  return root;
}

export function fromFieldsV1(f: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, pes: string[]) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (pes.length > 0 && (keys.length === 0 || keys.includes('.'))) out.add(join(pes));
    for (const k of keys) if (k !== '.') walk(node[k], [...pes, k]);
  };
  walk(f, []);
  return out;
}

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

export function parseManagedFields(v: unknown): ManagedEntry[] {
  if (!Array.isArray(v)) return [];
  const out: ManagedEntry[] = [];
  for (const e of v) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    const entry: ManagedEntry = {
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      fields: fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.time === 'string') entry.time = e.time;
    if (typeof e.subresource === 'string' && e.subresource) entry.subresource = e.subresource;
    out.push(entry);
  }
  return out;
}

export function serializeManagedFields(entries: ManagedEntry[]): JsonObject[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => {
      const o: JsonObject = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
      if (e.time) o.time = e.time;
      o.fieldsType = 'FieldsV1';
      o.fieldsV1 = toFieldsV1(e.fields);
      if (e.subresource) o.subresource = e.subresource;
      return o;
    });
}

function underAny(p: string, prefixes: FieldSet): boolean {
  for (const r of prefixes) if (p === r || p.startsWith(r + SEP)) return true;
  return false;
}

function sameEntry(e: ManagedEntry, manager: string, op: string, sub: string | undefined): boolean {
  return e.manager === manager && e.operation === op && (e.subresource ?? '') === (sub ?? '');
}

/** Record an Update-operation write by `manager`: it gains what it changed, everyone loses what changed or went. */
export function recordUpdate(
  entries: ManagedEntry[],
  manager: string,
  apiVersion: string,
  subresource: string | undefined,
  changed: FieldSet,
  removed: FieldSet,
  now = Date.now(),
): ManagedEntry[] {
  const out = entries.map((e) => ({ ...e, fields: new Set(e.fields) }));
  for (const e of out) {
    for (const p of [...e.fields]) if (changed.has(p) || underAny(p, removed)) e.fields.delete(p);
  }
  let mine = out.find((e) => sameEntry(e, manager, 'Update', subresource));
  if (changed.size > 0) {
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion, fields: new Set(), ...(subresource ? { subresource } : {}) };
      out.push(mine);
    }
    for (const p of changed) mine.fields.add(p);
    mine.apiVersion = apiVersion;
    mine.time = nowRfc3339(now);
  }
  return out.filter((e) => e.fields.size > 0);
}

export interface ApplyConflict {
  manager: ManagedEntry;
  path: string;
}

/** Human path as structured-merge-diff prints it: `.spec.containers[name="c"].image`. */
export function renderPath(p: string): string {
  let s = '';
  for (const pe of split(p)) {
    if (pe.startsWith('f:')) s += `.${pe.slice(2)}`;
    else if (pe.startsWith('k:')) {
      const o = JSON.parse(pe.slice(2)) as JsonObject;
      s += `[${Object.entries(o)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (pe.startsWith('v:')) s += `[=${pe.slice(2)}]`;
  }
  return s;
}

function valueAt(obj: unknown, p: string): unknown {
  let cur: unknown = obj;
  for (const pe of split(p)) {
    if (pe.startsWith('f:')) cur = isObject(cur) ? cur[pe.slice(2)] : undefined;
    else if (pe.startsWith('k:')) {
      const want = JSON.parse(pe.slice(2)) as JsonObject;
      cur = Array.isArray(cur)
        ? cur.find((it) => isObject(it) && Object.entries(want).every(([k, v]) => deepEqual(it[k], v)))
        : undefined;
    } else if (pe.startsWith('v:')) {
      const want = JSON.parse(pe.slice(2)) as unknown;
      cur = Array.isArray(cur) ? cur.find((it) => deepEqual(it, want)) : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function removeAt(obj: JsonObject, p: string): void {
  const pes = split(p);
  if (pes.length === 0) return;
  const parent = valueAt(obj, join(pes.slice(0, -1)));
  const last = pes[pes.length - 1]!;
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const target = valueAt(obj, p);
    const idx = parent.indexOf(target);
    if (idx >= 0) parent.splice(idx, 1);
  }
}

/** Structural merge of an applied configuration into the live object (maps deep, keyed lists by key, sets union). */
export function mergeApplied(live: unknown, cfg: unknown, lookup: ListTypeLookup, names: string[] = []): unknown {
  if (isObject(live) && isObject(cfg)) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(cfg)) out[k] = mergeApplied(live[k], v, lookup, [...names, k]);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(cfg)) {
    const lt = lookup(names);
    if (lt.type === 'set') {
      const out = [...live];
      for (const it of cfg) if (!out.some((x) => deepEqual(x, it))) out.push(it);
      return out;
    }
    if (lt.type === 'map') {
      const out = [...live];
      for (const it of cfg) {
        const k = itemKey(it, lt.keys);
        const idx = out.findIndex((x) => itemKey(x, lt.keys) === k);
        if (idx >= 0) out[idx] = mergeApplied(out[idx], it, lookup, names);
        else out.push(it);
      }
      return out;
    }
  }
  return clone(cfg);
}

export interface ApplyResult {
  object: JsonObject;
  entries: ManagedEntry[];
  conflicts: ApplyConflict[];
}

/**
 * Server-side apply of `cfg` (already reduced to trackable fields) by `manager` onto `live`
 * (also reduced). Returns conflicts instead of throwing so the caller can format the 409.
 */
export function applyConfig(
  live: JsonObject,
  cfg: JsonObject,
  entries: ManagedEntry[],
  manager: string,
  apiVersion: string,
  subresource: string | undefined,
  force: boolean,
  lookup: ListTypeLookup,
  now = Date.now(),
): ApplyResult {
  const applied = fieldsOf(cfg, lookup);
  const out = entries.map((e) => ({ ...e, fields: new Set(e.fields) }));
  const conflicts: ApplyConflict[] = [];
  for (const p of applied) {
    const liveV = valueAt(live, p);
    if (liveV === undefined) continue;
    const cfgV = valueAt(cfg, p);
    if (split(p).at(-1)?.startsWith('k:') || deepEqual(liveV, cfgV)) continue;
    for (const e of out) {
      if (sameEntry(e, manager, 'Apply', subresource)) continue;
      if (e.fields.has(p)) conflicts.push({ manager: e, path: p });
    }
  }
  if (conflicts.length > 0 && !force) return { object: live, entries, conflicts };
  for (const c of conflicts) c.manager.fields.delete(c.path);
  const merged = mergeApplied(live, cfg, lookup) as JsonObject;
  let mine = out.find((e) => sameEntry(e, manager, 'Apply', subresource));
  const previous = mine ? mine.fields : new Set<string>();
  const ownedByOthers = (p: string) => out.some((e) => e !== mine && e.fields.has(p)) || applied.has(p);
  // A map or list item the applier owned as such (`.`) stays while the apply, or anyone else, still has a field in it.
  const inUse = (p: string) =>
    [...applied].some((a) => a.startsWith(p + SEP)) ||
    out.some((e) => e !== mine && [...e.fields].some((f) => f.startsWith(p + SEP)));
  for (const p of previous) {
    if (applied.has(p) || ownedByOthers(p) || inUse(p)) continue;
    removeAt(merged, p);
    // Containers the removal emptied go too, unless someone owns them as such.
    let parent = split(p).slice(0, -1);
    while (parent.length > 0) {
      const pp = join(parent);
      const v = valueAt(merged, pp);
      const empty = (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
      if (!empty || ownedByOthers(pp)) break;
      removeAt(merged, pp);
      parent = parent.slice(0, -1);
    }
  }
  // Fields whose value the apply changed now belong to the applier alone.
  for (const p of applied) {
    if (deepEqual(valueAt(live, p), valueAt(cfg, p))) continue;
    for (const e of out) if (e !== mine) e.fields.delete(p);
  }
  if (!mine) {
    mine = { manager, operation: 'Apply', apiVersion, fields: new Set(), ...(subresource ? { subresource } : {}) };
    out.push(mine);
  }
  mine.fields = applied;
  mine.apiVersion = apiVersion;
  mine.time = nowRfc3339(now);
  return { object: merged, entries: out.filter((e) => e.fields.size > 0), conflicts: [] };
}

/** The conflict Status message upstream builds (fieldmanager.NewConflictError). */
export function conflictMessage(conflicts: ApplyConflict[]): string {
  const who = (e: ManagedEntry) => {
    let s = JSON.stringify(e.manager);
    if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
    if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
    return s;
  };
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${who(c.manager)}: ${renderPath(c.path)}`;
  }
  const by = new Map<string, string[]>();
  for (const c of conflicts) {
    const k = who(c.manager);
    by.set(k, [...(by.get(k) ?? []), renderPath(c.path)]);
  }
  const lines: string[] = [];
  for (const k of [...by.keys()].sort()) {
    lines.push(`conflicts with ${k}:`);
    for (const p of by.get(k)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
