// GET, LIST (selectors, pagination with consistent continue tokens) and WATCH (resume from a resourceVersion,
// bookmarks, timeouts, selector transitions as ADDED/DELETED, Table events).
import type { ServerResponse } from 'node:http';
import type { ApiContext } from '../context.ts';
import { evalJsonPath, parseJsonPath, printJsonPathValue } from '../jsonpath.ts';
import { queryBool } from '../query.ts';
import type { ResourceDef, VersionDef } from '../registry.ts';
import {
  type FieldSelector,
  type LabelSelector,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../selectors.ts';
import { ApiError, badRequest, fieldErrors, gone, invalid, notFound } from '../status-errors.ts';
import { type Change, TooOldError } from '../storage/store.ts';
import { buildTable, columnDefinitions, type IncludeObject, tableRow } from '../table.ts';
import { asObject, asString, type JsonObject, labelsOf } from '../util.ts';
import { apiVersionOf, toExternal } from './objects.ts';

export interface ReadTarget {
  ctx: ApiContext;
  def: ResourceDef;
  version: VersionDef;
  /** undefined = all namespaces (or cluster-scoped) */
  namespace: string | undefined;
}

export interface Filters {
  labels: LabelSelector;
  fields: FieldSelector;
}

export function parseFilters(t: ReadTarget, q: URLSearchParams): Filters {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
  const supported = new Set(['metadata.name', 'metadata.namespace']);
  const sample = t.def.fieldLabels?.({}) ?? {};
  for (const k of Object.keys(sample)) supported.add(k);
  for (const f of t.version.selectableFields) supported.add(f.replace(/^\./, ''));
  for (const r of fields) {
    if (!supported.has(r.field)) {
      if (t.def.builtin) throw badRequest(`field label not supported: ${r.field}`);
      throw badRequest(`"${r.field}" is not a known field selector: only "${[...supported].join('", "')}"`);
    }
  }
  return { labels, fields };
}

function fieldSet(t: ReadTarget, stored: JsonObject): Record<string, string> {
  const m = asObject(stored.metadata);
  const out: Record<string, string> = {
    'metadata.name': asString(m.name) ?? '',
    'metadata.namespace': asString(m.namespace) ?? '',
    ...(t.def.fieldLabels?.(stored) ?? {}),
  };
  if (t.version.selectableFields.length > 0) {
    const ext = toExternal(t.def, t.version.name, stored);
    for (const f of t.version.selectableFields) {
      try {
        const r = evalJsonPath(parseJsonPath(f), ext);
        out[f.replace(/^\./, '')] = r.length ? printJsonPathValue(r[0]) : '';
      } catch {
        out[f.replace(/^\./, '')] = '';
      }
    }
  }
  return out;
}

export function matches(t: ReadTarget, f: Filters, stored: JsonObject): boolean {
  if (f.labels.length > 0 && !matchLabels(f.labels, labelsOf(stored))) return false;
  if (f.fields.length > 0 && !matchFields(f.fields, fieldSet(t, stored))) return false;
  return true;
}

export function getObject(t: ReadTarget, name: string): JsonObject {
  const stored = t.ctx.store.get(t.def.storageKey, t.def.namespaced ? (t.namespace ?? '') : '', name);
  if (!stored) throw notFound({ group: t.def.group, resource: t.def.resource }, name);
  return toExternal(t.def, t.version.name, stored);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(c: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: c.rv, start: c.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const o = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof o.rv !== 'number' || typeof o.start !== 'string') throw new Error('bad');
    return { rv: o.rv, start: o.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function objKey(o: JsonObject): string {
  const m = asObject(o.metadata);
  return `${asString(m.namespace) ?? ''}/${asString(m.name) ?? ''}`;
}

export interface ListResult {
  items: JsonObject[];
  meta: JsonObject;
}

export function listObjects(t: ReadTarget, q: URLSearchParams): ListResult {
  const filters = parseFilters(t, q);
  const limit = q.has('limit') ? Number(q.get('limit')) : 0;
  if (!Number.isFinite(limit) || limit < 0) throw badRequest(`invalid limit ${q.get('limit')}`);
  const cont = q.get('continue') ?? '';
  const rvParam = q.get('resourceVersion') ?? '';
  const rvMatch = q.get('resourceVersionMatch') ?? '';
  if (rvMatch) {
    const errs = [];
    if (rvMatch !== 'NotOlderThan' && rvMatch !== 'Exact')
      errs.push(fieldErrors.notSupported('resourceVersionMatch', rvMatch, ['Exact', 'NotOlderThan', '']));
    else if (!rvParam)
      errs.push(
        fieldErrors.forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
      );
    else if (cont)
      errs.push(
        fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
      );
    else if (rvMatch === 'Exact' && rvParam === '0')
      errs.push(
        fieldErrors.forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
      );
    if (errs.length) throw invalid('ListOptions', 'meta.k8s.io', '', errs);
  }
  const store = t.ctx.store;
  let snapshotRv = store.currentRv();
  let start = '';
  if (cont) {
    if (rvParam && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    const tok = decodeContinue(cont);
    if (tok.rv < store.oldestRv()) {
      throw gone(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    snapshotRv = tok.rv;
    start = tok.start;
  } else if (rvParam && rvParam !== '0') {
    const n = Number(rvParam);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resource version "${rvParam}"`);
    if (n > store.currentRv())
      throw new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${n}, current: ${store.currentRv()}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: `Too large resource version` }],
        retryAfterSeconds: 1,
      });
    // Exact semantics (resourceVersionMatch=Exact, or limit with an explicit RV) read the historical state.
    if (rvMatch === 'Exact' || (limit > 0 && rvMatch !== 'NotOlderThan')) {
      if (n < store.oldestRv()) throw gone(`too old resource version: ${n} (${store.oldestRv()})`);
      snapshotRv = n;
    }
  }
  const ns = t.def.namespaced ? t.namespace : undefined;
  let all: JsonObject[];
  try {
    all =
      snapshotRv === store.currentRv()
        ? store.list(t.def.storageKey, ns)
        : store.listAt(t.def.storageKey, ns, snapshotRv);
  } catch (e) {
    if (e instanceof TooOldError) throw gone(`too old resource version: ${snapshotRv} (${store.oldestRv()})`);
    throw e;
  }
  let selected = all.filter((o) => matches(t, filters, o));
  if (start) selected = selected.filter((o) => objKey(o) > start);
  const meta: JsonObject = { resourceVersion: String(snapshotRv) };
  if (limit > 0 && selected.length > limit) {
    const page = selected.slice(0, limit);
    meta.continue = encodeContinue({ rv: snapshotRv, start: objKey(page[page.length - 1]!) });
    meta.remainingItemCount = selected.length - limit;
    selected = page;
  }
  return { items: selected.map((o) => toExternal(t.def, t.version.name, o)), meta };
}

export function listBody(t: ReadTarget, r: ListResult): JsonObject {
  return {
    kind: t.def.listKind,
    apiVersion: apiVersionOf(t.def, t.version.name),
    metadata: r.meta,
    items: r.items,
  };
}

export function includeObjectParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object') return v;
  return 'Metadata';
}

export function tableBody(t: ReadTarget, objs: JsonObject[], meta: JsonObject, q: URLSearchParams): JsonObject {
  return buildTable(t.version.columns, objs, meta, includeObjectParam(q), !queryBool(q, 'noHeaders'));
}

/**
 * How long a watch closed for falling behind may keep its queued bytes for the client to read the final ERROR
 * before the connection is cut: long enough for a client that is merely slow, short enough that a stalled one
 * does not pin the buffer.
 */
export const WATCH_OVERFLOW_GRACE_MS = 30_000;

export interface WatchOptions {
  table: boolean;
  includeObject: IncludeObject;
}

/** Stream a watch on `res` until the client goes, the timeout passes, or the server stops. */
export function serveWatch(t: ReadTarget, q: URLSearchParams, res: ServerResponse, opts: WatchOptions): void {
  const filters = parseFilters(t, q);
  if (q.get('sendInitialEvents') !== null) {
    throw invalid('ListOptions', 'meta.k8s.io', '', [
      fieldErrors.forbidden('sendInitialEvents', 'sendInitialEvents is not supported by this server'),
    ]);
  }
  if (q.get('resourceVersionMatch')) {
    throw invalid('ListOptions', 'meta.k8s.io', '', [
      fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch'),
    ]);
  }
  const store = t.ctx.store;
  const rvParam = q.get('resourceVersion') ?? '';
  const bookmarks = queryBool(q, 'allowWatchBookmarks');
  const timeoutSeconds = q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : 0;
  const ns = t.def.namespaced ? t.namespace : undefined;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // Clients wait for the response headers before they consider the watch established; an idle watch would
  // otherwise look like a hung request (client-node aborts it after 30 s).
  res.flushHeaders();
  // A watch may be quiet for as long as nothing changes; the server's idle timeout is for connections doing nothing.
  res.setTimeout(0);
  let first = true;
  let closed = false;
  let lastRv = 0;
  const encode = (type: string, stored: JsonObject): string => {
    const ext = toExternal(t.def, t.version.name, stored);
    let object: JsonObject = ext;
    if (opts.table) {
      object = {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: asString(asObject(ext.metadata).resourceVersion) ?? '' },
        columnDefinitions: first ? columnDefinitions(t.version.columns) : [],
        rows: [tableRow(t.version.columns, ext, opts.includeObject, Date.now())],
      };
      first = false;
    }
    return `${JSON.stringify({ type, object })}\n`;
  };
  // Bytes queued before the watch went live (initial ADDED events, history replay) are bounded by the store and
  // its history like a LIST response is; only a backlog of live events beyond them means the client fell behind.
  let live = false;
  let allowance = t.ctx.watchBufferBytes;
  const send = (line: string) => {
    if (closed) return;
    res.write(line);
    if (live && res.writableLength > allowance) fellBehind();
  };
  const fellBehind = () => {
    // As kube-apiserver does with a watcher whose buffer is full: stop queueing, tell the client to relist.
    const st = new ApiError(
      410,
      'Expired',
      `too old resource version: ${lastRv} (${store.currentRv()}): the watch fell more than ${t.ctx.watchBufferBytes} bytes behind and was closed; list again`,
    ).toStatus();
    res.write(`${JSON.stringify({ type: 'ERROR', object: st })}\n`);
    finish();
    // A client that never reads again would hold the queued bytes as long as its connection lives.
    const reap = setTimeout(() => res.destroy(), WATCH_OVERFLOW_GRACE_MS).unref();
    res.once('close', () => clearTimeout(reap));
  };
  const inScope = (c: { namespace: string }) => ns === undefined || c.namespace === ns;
  const onChange = (c: Change) => {
    if (closed || !inScope(c)) return;
    lastRv = c.rv;
    const now = matches(t, filters, c.object);
    if (c.type === 'DELETED') {
      if (matches(t, filters, c.prev ?? c.object)) send(encode('DELETED', c.object));
      return;
    }
    const before = c.prev ? matches(t, filters, c.prev) : false;
    if (c.type === 'ADDED') {
      if (now) send(encode('ADDED', c.object));
    } else if (now && before) send(encode('MODIFIED', c.object));
    else if (now) send(encode('ADDED', c.object));
    else if (before) send(encode('DELETED', c.object));
  };
  const bookmark = () => {
    const rv = Math.max(lastRv, store.watchedRv());
    send(
      `${JSON.stringify({
        type: 'BOOKMARK',
        object: {
          kind: t.def.kind,
          apiVersion: apiVersionOf(t.def, t.version.name),
          metadata: { resourceVersion: String(rv) },
        },
      })}\n`,
    );
  };
  let unsubscribe: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const entry = { def: t.def, close: () => finish() };
  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    for (const tm of timers) clearTimeout(tm);
    t.ctx.watches.delete(entry);
    res.end();
  };
  res.on('close', finish);
  t.ctx.watches.add(entry);
  let fromRv: number;
  if (rvParam === '' || rvParam === '0') {
    fromRv = store.watchedRv();
    for (const o of store.list(t.def.storageKey, ns)) {
      if (matches(t, filters, o)) send(encode('ADDED', o));
    }
    lastRv = fromRv;
  } else {
    fromRv = Number(rvParam);
    if (!Number.isInteger(fromRv) || fromRv < 0) {
      send(
        `${JSON.stringify({ type: 'ERROR', object: badRequest(`invalid resource version "${rvParam}"`).toStatus() })}\n`,
      );
      finish();
      return;
    }
    lastRv = fromRv;
  }
  try {
    unsubscribe = store.watch(t.def.storageKey, fromRv, onChange);
  } catch (e) {
    if (e instanceof TooOldError) {
      const st = new ApiError(410, 'Expired', `too old resource version: ${fromRv} (${store.oldestRv()})`).toStatus();
      send(`${JSON.stringify({ type: 'ERROR', object: st })}\n`);
      finish();
      return;
    }
    throw e;
  }
  allowance += res.writableLength;
  live = true;
  if (bookmarks) {
    bookmark();
    // One interval for the life of the watch: a timer per bookmark kept ~17,000 of them a day per watch.
    timers.push(setInterval(bookmark, t.ctx.bookmarkIntervalMs).unref());
  }
  if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000).unref());
}
