// The object store: one cluster-wide resourceVersion counter (like etcd's revision), tables per storage key,
// a bounded change history for watch resume and consistent continue tokens, and optional durability via the WAL.
// Stored objects are treated as immutable: every writer hands in a fresh object, readers must clone to edit.
import type { JsonObject } from '../util.ts';
import type { PersistedState, Wal } from './wal.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: EventType;
  key: string;
  namespace: string;
  name: string;
  /** new state; for DELETED the last state carrying the deletion's resourceVersion */
  object: JsonObject;
  prev: JsonObject | undefined;
  /** serialized size of `object`, what this change costs the history's byte bound (absent when unbounded) */
  bytes?: number;
}

export class TooOldError extends Error {
  readonly requested: number;
  constructor(requested: number) {
    super(`too old resource version: ${requested}`);
    this.requested = requested;
  }
}

export class PreconditionError extends Error {
  readonly kind: 'exists' | 'missing' | 'stale';
  constructor(kind: 'exists' | 'missing' | 'stale') {
    super(kind);
    this.kind = kind;
  }
}

export type WatchCallback = (c: Change) => void;

function objKey(ns: string, name: string): string {
  return `${ns}/${name}`;
}

/** How many forgotten changes may sit at the front of the history array before it is cut (a copy of what is kept). */
const HISTORY_CUT_EVERY = 1024;

export class Store {
  private rv = 0;
  private readonly tables = new Map<string, Map<string, JsonObject>>();
  private history: Change[] = [];
  private historyStart = 0;
  /** Changes with rv <= compactedRv are forgotten: watches/continues from before it get 410. */
  private compactedRv = 0;
  private dispatchedRv = 0;
  private readonly watchers = new Map<string, Set<WatchCallback>>();
  private readonly commitListeners: Array<(c: Change) => void> = [];
  private wal: Wal | undefined;
  private lastDurable: Promise<void> = Promise.resolve();
  private readonly historyLimit: number;
  private readonly historyBytesLimit: number;
  private historyBytes = 0;

  /** The history keeps at most `historyLimit` changes and, beyond the newest one, `historyBytesLimit` bytes. */
  constructor(historyLimit = 10000, historyBytesLimit = Number.POSITIVE_INFINITY) {
    this.historyLimit = Math.max(1, historyLimit);
    this.historyBytesLimit = historyBytesLimit;
  }

  load(state: PersistedState): void {
    this.rv = state.rv;
    this.compactedRv = state.rv;
    this.dispatchedRv = state.rv;
    for (const [k, ns, n, o] of state.objects) this.table(k).set(objKey(ns, n), o);
  }

  attachWal(wal: Wal): void {
    this.wal = wal;
    wal.onLost = (rv) => this.rollBackFrom(rv);
  }

  /**
   * Undo every write from `rv` on: the log could not keep them, so their requests fail and nobody may see them
   * again. Watchers never saw them (dispatch waits for durability); commit listeners did, so they hear the reverse.
   * The resourceVersion counter is not wound back: a client that read an undone version must get a conflict, not
   * a match with a later write that reused its number.
   */
  private rollBackFrom(rv: number): void {
    const undone: Change[] = [];
    while (this.history.length > this.historyStart && this.history[this.history.length - 1]!.rv >= rv) {
      const c = this.history.pop()!;
      this.historyBytes -= c.bytes ?? 0;
      const t = this.table(c.key);
      const k = objKey(c.namespace, c.name);
      if (c.prev) t.set(k, c.prev);
      else t.delete(k);
      undone.push({
        rv: c.rv,
        type: c.prev ? (c.type === 'DELETED' ? 'ADDED' : 'MODIFIED') : 'DELETED',
        key: c.key,
        namespace: c.namespace,
        name: c.name,
        object: c.prev ?? c.object,
        prev: c.type === 'DELETED' ? undefined : c.object,
      });
    }
    // Everything older than `rv` is durable, so nothing is left to wait for.
    this.lastDurable = Promise.resolve();
    for (const c of undone) for (const l of this.commitListeners) l(c);
  }

  /**
   * Why storage refuses writes (for /readyz), or undefined when it does not. While failed, each call tries the
   * disk again, so the answer turns healthy once there is room without waiting for a client write.
   */
  async storageProblem(): Promise<string | undefined> {
    if (!this.wal || this.wal.problem() === undefined) return undefined;
    const e = await this.wal.probe();
    if (e === undefined) return undefined;
    // /readyz is public: the error code only, no paths.
    return `the write-ahead log cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }

  persistedState(): PersistedState {
    const objects: PersistedState['objects'] = [];
    for (const [k, t] of this.tables) {
      for (const o of t.values()) {
        const m = o.metadata as JsonObject;
        objects.push([k, (m.namespace as string | undefined) ?? '', m.name as string, o]);
      }
    }
    return { rv: this.rv, objects };
  }

  currentRv(): number {
    return this.rv;
  }

  oldestRv(): number {
    return this.compactedRv;
  }

  private table(key: string): Map<string, JsonObject> {
    let t = this.tables.get(key);
    if (!t) {
      t = new Map();
      this.tables.set(key, t);
    }
    return t;
  }

  get(key: string, ns: string, name: string): JsonObject | undefined {
    return this.tables.get(key)?.get(objKey(ns, name));
  }

  /** Objects of one storage key, optionally one namespace, sorted by namespace/name (the etcd key order). */
  list(key: string, ns?: string): JsonObject[] {
    const t = this.tables.get(key);
    if (!t) return [];
    const out: Array<[string, JsonObject]> = [];
    const prefix = ns === undefined ? undefined : `${ns}/`;
    for (const [k, o] of t) if (prefix === undefined || k.startsWith(prefix)) out.push([k, o]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map((e) => e[1]);
  }

  count(key: string): number {
    return this.tables.get(key)?.size ?? 0;
  }

  keys(): string[] {
    return [...this.tables.keys()];
  }

  /** What the store holds in memory, for the soak bench: objects per storage key and the kept change history. */
  stats(): { objects: Record<string, number>; historyChanges: number; historyBytes: number } {
    const objects: Record<string, number> = {};
    for (const [k, t] of this.tables) objects[k] = t.size;
    return { objects, historyChanges: this.history.length - this.historyStart, historyBytes: this.historyBytes };
  }

  /**
   * The list as it was at `rv`, rebuilt by undoing later changes from history. Throws TooOldError when the history
   * no longer reaches back that far.
   */
  listAt(key: string, ns: string | undefined, rv: number): JsonObject[] {
    if (rv >= this.rv) return this.list(key, ns);
    if (rv < this.compactedRv) throw new TooOldError(rv);
    const state = new Map<string, JsonObject>();
    const t = this.tables.get(key);
    if (t) for (const [k, o] of t) state.set(k, o);
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const c = this.history[i]!;
      if (c.rv <= rv) break;
      if (c.key !== key) continue;
      const k = objKey(c.namespace, c.name);
      if (c.prev) state.set(k, c.prev);
      else state.delete(k);
    }
    const prefix = ns === undefined ? undefined : `${ns}/`;
    return [...state.entries()]
      .filter(([k]) => prefix === undefined || k.startsWith(prefix))
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map((e) => e[1]);
  }

  /**
   * The single write primitive. `expect`: undefined = unconditional, null = must not exist,
   * string = must exist with exactly that resourceVersion. `next` null deletes.
   */
  write(key: string, ns: string, name: string, next: JsonObject | null, expect?: string | null): Change {
    const t = this.table(key);
    const k = objKey(ns, name);
    const prev = t.get(k);
    if (expect === null && prev) throw new PreconditionError('exists');
    if (typeof expect === 'string') {
      if (!prev) throw new PreconditionError('missing');
      if ((prev.metadata as JsonObject).resourceVersion !== expect) throw new PreconditionError('stale');
    }
    if (next === null && !prev) throw new PreconditionError('missing');
    const rv = ++this.rv;
    let object: JsonObject;
    let type: EventType;
    if (next === null) {
      object = { ...prev!, metadata: { ...(prev!.metadata as JsonObject), resourceVersion: String(rv) } };
      t.delete(k);
      type = 'DELETED';
    } else {
      object = next;
      (object.metadata as JsonObject).resourceVersion = String(rv);
      t.set(k, object);
      type = prev ? 'MODIFIED' : 'ADDED';
    }
    // One serialisation serves both the history's byte budget and the log record (it was done twice per write).
    const json =
      Number.isFinite(this.historyBytesLimit) || (this.wal && next !== null) ? JSON.stringify(object) : undefined;
    const bytes = Number.isFinite(this.historyBytesLimit) ? json!.length : 0;
    const change: Change = { rv, type, key, namespace: ns, name, object, prev, bytes };
    this.history.push(change);
    this.historyBytes += bytes;
    this.trimHistory();
    if (this.wal) {
      const durable = this.wal.append({ rv, k: key, ns, n: name, o: next }, next === null ? undefined : json);
      this.lastDurable = durable;
      durable.then(
        () => this.dispatchUpTo(rv),
        () => {},
      );
    } else {
      this.dispatchUpTo(rv);
    }
    for (const l of this.commitListeners) l(change);
    return change;
  }

  /**
   * Resolves when every write made so far is durable (immediately without a data dir); rejects when one of them
   * was lost, which also fails a read that may have seen it. A request must call this in the same turn of the
   * event loop as its last write: after a failure is rolled back, a later call no longer sees the lost write.
   */
  durable(): Promise<void> {
    return this.lastDurable;
  }

  private trimHistory(): void {
    const live = this.history.length - this.historyStart;
    if (live > this.historyLimit || this.historyBytes > this.historyBytesLimit) {
      const drop = live - this.historyLimit;
      // Never forget a change watchers have not been sent yet, nor the newest one.
      let n = 0;
      for (;;) {
        const c = this.history[this.historyStart + n]!;
        if (n >= live - 1 || c.rv > this.dispatchedRv) break;
        if (n >= drop && this.historyBytes <= this.historyBytesLimit) break;
        this.historyBytes -= c.bytes ?? 0;
        n++;
      }
      if (n > 0) {
        this.compactedRv = this.history[this.historyStart + n - 1]!.rv;
        this.historyStart += n;
      }
      // Forgotten changes stay referenced until the array is cut: cut often enough that they are never more than
      // a small share of what is kept. Waiting until they outnumbered the kept ones held up to twice the history's
      // bound in memory (the soak's live heap rose by some 50 MiB, then fell at each cut).
      if (this.historyStart >= HISTORY_CUT_EVERY) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  private dispatchUpTo(rv: number): void {
    if (rv <= this.dispatchedRv) return;
    const from = this.dispatchedRv;
    this.dispatchedRv = rv;
    for (let i = this.findIndexAfter(from); i < this.history.length; i++) {
      const c = this.history[i]!;
      if (c.rv > rv) break;
      const ws = this.watchers.get(c.key);
      if (ws) for (const w of [...ws]) w(c);
    }
  }

  private findIndexAfter(rv: number): number {
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forget all history: every resourceVersion older than the current one becomes too old (test hook). */
  compact(): void {
    this.compactedRv = this.dispatchedRv;
    this.history = this.history.filter((c) => c.rv > this.dispatchedRv);
    this.historyStart = 0;
    this.historyBytes = this.history.reduce((sum, c) => sum + (c.bytes ?? 0), 0);
  }

  /**
   * Deliver every change of `key` after `fromRv` (replayed from history, then live). Throws TooOldError when
   * `fromRv` predates the kept history.
   */
  watch(key: string, fromRv: number, cb: WatchCallback): () => void {
    if (fromRv < this.compactedRv) throw new TooOldError(fromRv);
    for (let i = this.findIndexAfter(fromRv); i < this.history.length; i++) {
      const c = this.history[i]!;
      if (c.rv > this.dispatchedRv) break;
      if (c.key === key) cb(c);
    }
    let set = this.watchers.get(key);
    if (!set) {
      set = new Set();
      this.watchers.set(key, set);
    }
    const wrapped: WatchCallback = (c) => {
      if (c.rv > fromRv) cb(c);
    };
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }

  /** Highest resourceVersion watchers have been sent (what a bookmark may claim). */
  watchedRv(): number {
    return this.dispatchedRv;
  }

  onCommit(fn: (c: Change) => void): void {
    this.commitListeners.push(fn);
  }
}
