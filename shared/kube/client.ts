// Typed Kubernetes API calls over a Transport. Every update carries the resourceVersion it was
// computed from (DESIGN.md rule 2); errors come back classified (errors.ts).
import type { KubeObject } from '../api/meta.ts';
import { KubeError, type KubeStatus, reasonFor } from './errors.ts';
import {
  collectionPath,
  groupVersionPath,
  knownResource,
  objectPath,
  type ResourceInfo,
  rememberResource,
  splitApiVersion,
} from './resources.ts';
import { type KubeRequest, type KubeResponse, type Transport, TransportError } from './transport.ts';

export interface TypeRef {
  apiVersion: string;
  kind: string;
}
export interface ObjectKey extends TypeRef {
  namespace?: string;
  name: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface List<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  subresource?: 'status' | 'scale';
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  /**
   * Merge patches only: the resourceVersion the patch was computed from. The server rejects the
   * patch with 409 if the object changed since (DESIGN.md rule 2).
   */
  resourceVersion?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

export interface ClientOptions {
  /** Default fieldManager for writes (shows in managedFields). */
  fieldManager?: string;
  /** Bound for retries of throttled (429) and transient failures. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class KubeClient {
  readonly transport: Transport;
  private readonly fieldManager: string;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(transport: Transport, opts: ClientOptions = {}) {
    this.transport = transport;
    this.fieldManager = opts.fieldManager ?? 'capi-fn';
    this.maxRetries = opts.maxRetries ?? 5;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /** The namespace of the kubeconfig context (or service account). */
  get defaultNamespace(): string {
    return this.transport.namespace;
  }

  // ---- resource mapping ----------------------------------------------------------------------

  async resource(t: TypeRef): Promise<ResourceInfo> {
    const known = knownResource(t.apiVersion, t.kind);
    if (known) return known;
    const { group, version } = splitApiVersion(t.apiVersion);
    const res = await this.raw({ method: 'GET', path: groupVersionPath(group, version) });
    const list = JSON.parse(res.body) as { resources?: Array<{ name: string; kind: string; namespaced: boolean }> };
    let found: ResourceInfo | undefined;
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      const info = { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced };
      rememberResource(info);
      if (r.kind === t.kind) found = info;
    }
    if (!found) {
      throw new KubeError({
        code: 404,
        reason: 'NotFound',
        message: `no resource for kind ${t.kind} in ${t.apiVersion} (is its CRD installed?)`,
        method: 'GET',
        path: groupVersionPath(group, version),
      });
    }
    return found;
  }

  // ---- reads ---------------------------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(key: ObjectKey, subresource?: string): Promise<T> {
    const r = await this.resource(key);
    return this.json<T>({ method: 'GET', path: objectPath(r, key.namespace, key.name, subresource) });
  }

  /** Like get, but NotFound is `undefined`. */
  async find<T extends KubeObject = KubeObject>(key: ObjectKey): Promise<T | undefined> {
    try {
      return await this.get<T>(key);
    } catch (e) {
      if (e instanceof KubeError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  /** One page; a quorum read unless `resourceVersion` says otherwise (DESIGN.md rule 5). */
  async list<T extends KubeObject = KubeObject>(t: TypeRef, opts: ListOptions = {}): Promise<List<T>> {
    const r = await this.resource(t);
    const path =
      collectionPath(r, opts.namespace) +
      query({
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      });
    const list = await this.json<List<T>>({ method: 'GET', path });
    list.items ??= [];
    list.metadata ??= {};
    // Lists omit apiVersion/kind on items; handlers rely on them (refs, events).
    for (const item of list.items) {
      item.apiVersion ??= t.apiVersion;
      item.kind ??= t.kind;
    }
    return list;
  }

  /** Every page of a list, following `continue`; the result's resourceVersion is the first page's. */
  async listAll<T extends KubeObject = KubeObject>(
    t: TypeRef,
    opts: Omit<ListOptions, 'continue'> = {},
  ): Promise<List<T>> {
    const pageSize = opts.limit ?? 500;
    const first = await this.list<T>(t, { ...opts, limit: pageSize });
    let next = first.metadata.continue;
    while (next) {
      const page = await this.list<T>(t, { ...opts, limit: pageSize, continue: next });
      first.items.push(...page.items);
      next = page.metadata.continue;
    }
    delete first.metadata.continue;
    return first;
  }

  // ---- writes --------------------------------------------------------------------------------

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const r = await this.resource(typeOf(obj));
    const path = collectionPath(r, obj.metadata.namespace) + this.writeQuery(opts);
    return this.json<T>(
      { method: 'POST', path, body: JSON.stringify(obj) },
      { retryWrites: Boolean(obj.metadata.name) },
    );
  }

  /** PUT of the whole object; requires `metadata.resourceVersion` so a stale write gets 409. */
  async update<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, undefined, opts);
  }

  /** PUT to `/status`; requires `metadata.resourceVersion`. */
  async updateStatus<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'status', opts);
  }

  private async put<T extends KubeObject>(obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    if (!obj.metadata.resourceVersion) {
      throw new Error(
        `update of ${obj.kind} ${obj.metadata.name} without metadata.resourceVersion (optimistic concurrency required)`,
      );
    }
    const r = await this.resource(typeOf(obj));
    const path = objectPath(r, obj.metadata.namespace, requireName(obj), subresource) + this.writeQuery(opts);
    return this.json<T>({ method: 'PUT', path, body: JSON.stringify(obj) }, { retryWrites: true });
  }

  async patch<T extends KubeObject = KubeObject>(key: ObjectKey, patch: unknown, opts: PatchOptions): Promise<T> {
    const r = await this.resource(key);
    let body = patch;
    if (opts.resourceVersion !== undefined) {
      if (opts.type !== 'merge' && opts.type !== 'strategic')
        throw new Error('resourceVersion precondition needs a merge or strategic patch');
      const p = (patch ?? {}) as { metadata?: Record<string, unknown> };
      body = { ...p, metadata: { ...(p.metadata ?? {}), resourceVersion: opts.resourceVersion } };
    }
    const q: Record<string, string | boolean | undefined> = {
      fieldManager: opts.fieldManager ?? this.fieldManager,
      dryRun: opts.dryRun ? 'All' : undefined,
    };
    if (opts.type === 'apply') q.force = opts.force ? 'true' : undefined;
    const path = objectPath(r, key.namespace, key.name, opts.subresource) + query(q);
    return this.json<T>(
      { method: 'PATCH', path, body: JSON.stringify(body), contentType: patchContentType[opts.type] },
      { retryWrites: true },
    );
  }

  /** Server-side apply of a full intent object (creates it when missing). */
  async apply<T extends KubeObject>(
    obj: T,
    opts: { fieldManager?: string; force?: boolean; subresource?: 'status' } = {},
  ): Promise<T> {
    return this.patch<T>(
      {
        apiVersion: obj.apiVersion!,
        kind: obj.kind!,
        name: requireName(obj),
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      },
      obj,
      {
        type: 'apply',
        force: opts.force ?? true,
        ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      },
    );
  }

  /** Returns the object when it still exists (finalizers pending), undefined when it is gone. */
  async delete(key: ObjectKey, opts: DeleteOptions = {}): Promise<KubeObject | undefined> {
    const r = await this.resource(key);
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.dryRun) body.dryRun = ['All'];
    const out = await this.json<KubeObject | KubeStatus>(
      { method: 'DELETE', path: objectPath(r, key.namespace, key.name), body: JSON.stringify(body) },
      { retryWrites: true },
    );
    if ((out as KubeStatus).kind === 'Status') return undefined;
    const obj = out as KubeObject;
    return obj.metadata?.deletionTimestamp ? obj : undefined;
  }

  async getScale(key: ObjectKey): Promise<Scale> {
    const r = await this.resource(key);
    return this.json<Scale>({ method: 'GET', path: objectPath(r, key.namespace, key.name, 'scale') });
  }

  async updateScale(key: ObjectKey, scale: Scale): Promise<Scale> {
    const r = await this.resource(key);
    return this.json<Scale>(
      { method: 'PUT', path: objectPath(r, key.namespace, key.name, 'scale'), body: JSON.stringify(scale) },
      { retryWrites: true },
    );
  }

  /** Creates an Event-style subresource call such as `pods/<name>/eviction`. */
  async createSubresource(key: ObjectKey, subresource: string, body: unknown): Promise<unknown> {
    const r = await this.resource(key);
    return this.json<unknown>({
      method: 'POST',
      path: objectPath(r, key.namespace, key.name, subresource),
      body: JSON.stringify(body),
    });
  }

  // ---- watch ---------------------------------------------------------------------------------

  /**
   * Streams watch events until the server closes the stream or `signal` aborts. A 410 (as HTTP status
   * or as an ERROR event) throws KubeError with reason Gone/Expired: the caller must relist.
   */
  async *watch<T extends KubeObject = KubeObject>(t: TypeRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const r = await this.resource(t);
    const path =
      collectionPath(r, opts.namespace) +
      query({
        watch: 'true',
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds,
      });
    const req: KubeRequest = { method: 'GET', path, ...(opts.signal ? { signal: opts.signal } : {}) };
    let stream: Awaited<ReturnType<Transport['stream']>>;
    try {
      stream = await this.transport.stream(req);
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
    if (stream.status !== 200)
      throw toKubeError(req, stream.status, stream.errorBody ?? '', stream.headers['retry-after']);
    const onAbort = () => stream.close();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const line of stream.lines) {
        const ev = JSON.parse(line) as { type: string; object: unknown };
        if (ev.type === 'ERROR') {
          const st = ev.object as KubeStatus;
          throw toKubeError(req, st.code ?? 500, JSON.stringify(st), undefined);
        }
        const obj = ev.object as T;
        if (ev.type !== 'BOOKMARK') {
          obj.apiVersion ??= t.apiVersion;
          obj.kind ??= t.kind;
        }
        yield { type: ev.type as WatchEvent<T>['type'], object: obj };
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stream.close();
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private writeQuery(opts: WriteOptions): string {
    return query({ fieldManager: opts.fieldManager ?? this.fieldManager, dryRun: opts.dryRun ? 'All' : undefined });
  }

  async json<T>(req: KubeRequest, retry: { retryWrites?: boolean } = {}): Promise<T> {
    const res = await this.raw(req, retry);
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }

  /**
   * Sends with bounded retries: 429 honours Retry-After; network errors and 503/504 are retried for
   * reads, and for writes whose repetition is harmless (named creates, RV-guarded updates, patches,
   * deletes) — a generateName create is never repeated.
   */
  async raw(req: KubeRequest, retry: { retryWrites?: boolean } = {}): Promise<KubeResponse> {
    const idempotent = req.method === 'GET' || retry.retryWrites === true;
    for (let attempt = 0; ; attempt++) {
      let res: KubeResponse;
      try {
        res = await this.transport.request(req);
      } catch (e) {
        if (
          e instanceof TransportError &&
          (idempotent || e.notSent) &&
          attempt < this.maxRetries &&
          !req.signal?.aborted
        ) {
          await this.sleep(backoff(attempt));
          continue;
        }
        throw e;
      }
      if (res.status >= 200 && res.status < 300) return res;
      const err = toKubeError(req, res.status, res.body, res.headers['retry-after']);
      if (attempt < this.maxRetries) {
        if (err.reason === 'TooManyRequests') {
          await this.sleep(Math.min(30_000, (err.retryAfterSeconds ?? 1) * 1000));
          continue;
        }
        if (idempotent && (res.status === 503 || res.status === 504)) {
          await this.sleep(backoff(attempt));
          continue;
        }
      }
      throw err;
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

function typeOf(obj: KubeObject): TypeRef {
  if (!obj.apiVersion || !obj.kind)
    throw new Error(`object ${obj.metadata?.name ?? '(unnamed)'} has no apiVersion/kind`);
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

function requireName(obj: KubeObject): string {
  if (!obj.metadata.name) throw new Error(`${obj.kind} has no metadata.name`);
  return obj.metadata.name;
}

export function toKubeError(
  req: KubeRequest,
  code: number,
  body: string,
  retryAfter: string | string[] | undefined,
): KubeError {
  let status: KubeStatus | undefined;
  try {
    const parsed = JSON.parse(body) as KubeStatus;
    if (parsed && typeof parsed === 'object') status = parsed;
  } catch {
    // Not JSON (a proxy or load balancer answered): keep the text as the message.
  }
  const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const retryAfterSeconds = ra && /^\d+$/.test(ra) ? Number(ra) : undefined;
  return new KubeError({
    code,
    reason: reasonFor(code, status),
    message: status?.message ?? (body.trim() || `HTTP ${code}`),
    method: req.method,
    path: req.path,
    ...(status ? { status } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}
