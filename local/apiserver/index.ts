// The embedded Kubernetes API server: real Kubernetes REST over HTTPS on 127.0.0.1, in memory or persisted.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { Admission } from './admission.ts';
import { generateToken } from './auth.ts';
import { builtinDefs } from './builtins/index.ts';
import type { ApiContext } from './context.ts';
import { CRD_KEY, CrdController } from './controllers/crd.ts';
import { EventTtlController } from './controllers/event-ttl.ts';
import { GarbageCollector } from './controllers/gc.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { PdbController } from './controllers/pdb.ts';
import { applyConnectionLimits, connectionsCheckingIntervalMs, DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import { OpenApiCache } from './openapi.ts';
import { Registry } from './registry.ts';
import { createObject, decodeForWrite, updateObject } from './rest/write.ts';
import { requestHandler } from './server.ts';
import { ApiError } from './status-errors.ts';
import { Store } from './storage/store.ts';
import { Wal, writeFileDurable } from './storage/wal.ts';
import { createCa, issueServerCert, type KeyPairPem } from './tls.ts';
import { asObject, isObject, type JsonObject, nowRfc3339 } from './util.ts';

export interface ApiServerOptions {
  /** 0 or undefined = random free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** persistence + TLS material + kubeconfig; undefined = in-memory (tests) */
  dataDir?: string;
  /** How long an Event is kept after it last happened, as kube-apiserver's --event-ttl (default 1 h). */
  eventTtlMs?: number;
  /** Write-ahead log size that triggers a snapshot and empties the log (default 64 MiB). */
  walCompactBytes?: number;
  /** bearer token; generated when absent (persisted in dataDir) */
  token?: string;
  /** how many change events are kept for watch resume before 410 Gone (default 10000) */
  watchHistory?: number;
  /** and how many bytes of objects those changes may hold (default DEFAULT_WATCH_HISTORY_BYTES) */
  watchHistoryBytes?: number;
  /** queued bytes after which a watch whose client does not read is closed (default DEFAULT_WATCH_BUFFER_BYTES) */
  watchBufferBytes?: number;
  /** CRD objects to install at start (same effect as creating them) */
  crds?: unknown[];
  /** webhook service refs -> https base URL */
  resolveService?: (namespace: string, name: string, port: number) => string | undefined;
  logger?: (line: string) => void;
  /** interval between watch bookmarks (default 5 s) */
  bookmarkIntervalMs?: number;
  /** connection, timeout and per-client limits (defaults: DEFAULT_LIMITS) */
  limits?: Partial<ServerLimits>;
}

export interface ApiServer {
  url: string;
  port: number;
  caPem: string;
  token: string;
  /** YAML kubeconfig with CA data + token, context "capi-fn" */
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  /** test hook: forget watch history so older resourceVersions get 410 (a server on a thread: once it settles) */
  compactHistory(): void | Promise<void>;
  /** What storage holds in memory (objects per storage key, the kept watch history): the soak bench samples it. */
  storeStats(): ReturnType<Store['stats']>;
  /** closes watches, flushes storage */
  stop(): Promise<void>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Each change in the watch history holds a whole object: 10,000 of the largest (3 MiB) would be 30 GiB. 64 MiB
 * still keeps all 10,000 changes while objects average under 6.5 KiB, while a loop rewriting a 1 MiB ConfigMap
 * keeps the last ~64 changes; a client resuming from before them relists, as after compaction.
 */
export const DEFAULT_WATCH_HISTORY_BYTES = 64 * 1024 * 1024;

/**
 * Four events of the largest object a request may carry (3 MiB), so a burst of big updates does not cut off a
 * client that reads, while a client that stopped reading costs at most this much instead of a copy of every
 * later change (the audit saw 140 MB per stalled watch per 100 MB of changes).
 */
export const DEFAULT_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

interface Material {
  ca: KeyPairPem;
  serving: KeyPairPem;
  token: string;
}

async function loadOrCreateMaterial(
  dataDir: string | undefined,
  host: string,
  token: string | undefined,
): Promise<Material> {
  const hosts = [...new Set(['127.0.0.1', 'localhost', '::1', host])];
  if (!dataDir) {
    const ca = await createCa();
    return { ca, serving: await issueServerCert(ca, hosts), token: token ?? generateToken() };
  }
  const p = (f: string) => join(dataDir, f);
  let ca: KeyPairPem;
  if (existsSync(p('ca.crt')) && existsSync(p('ca.key'))) {
    ca = { certPem: readFileSync(p('ca.crt'), 'utf8'), keyPem: readFileSync(p('ca.key'), 'utf8') };
  } else {
    ca = await createCa();
    writeFileDurable(p('ca.key'), ca.keyPem);
    writeFileDurable(p('ca.crt'), ca.certPem);
  }
  let serving: KeyPairPem;
  if (existsSync(p('tls.crt')) && existsSync(p('tls.key'))) {
    serving = { certPem: readFileSync(p('tls.crt'), 'utf8'), keyPem: readFileSync(p('tls.key'), 'utf8') };
  } else {
    serving = await issueServerCert(ca, hosts);
    writeFileDurable(p('tls.key'), serving.keyPem);
    writeFileDurable(p('tls.crt'), serving.certPem);
  }
  let tok = token;
  if (!tok) {
    if (existsSync(p('token'))) tok = readFileSync(p('token'), 'utf8').trim();
    else {
      tok = generateToken();
      writeFileDurable(p('token'), `${tok}\n`);
    }
  }
  return { ca, serving, token: tok };
}

export function kubeconfigYaml(server: string, caPem: string, token: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'capi-fn', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name: 'capi-fn', user: { token } }],
    contexts: [{ name: 'capi-fn', context: { cluster: 'capi-fn', user: 'capi-fn', namespace: 'default' } }],
    'current-context': 'capi-fn',
    preferences: {},
  });
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const material = await loadOrCreateMaterial(opts.dataDir, host, opts.token);
  const log = opts.logger ?? (() => {});
  const store = new Store(opts.watchHistory ?? 10000, opts.watchHistoryBytes ?? DEFAULT_WATCH_HISTORY_BYTES);
  let wal: Wal | undefined;
  if (opts.dataDir) {
    const storeDir = join(opts.dataDir, 'store');
    mkdirSync(storeDir, { recursive: true, mode: 0o700 });
    const opened = await Wal.open(
      storeDir,
      () => store.persistedState(),
      opts.walCompactBytes ? { compactBytes: opts.walCompactBytes } : {},
    );
    wal = opened.wal;
    store.load(opened.state);
    store.attachWal(wal);
  }
  const registry = new Registry();
  for (const d of builtinDefs()) registry.add(d);
  const openapi = new OpenApiCache(registry);
  let address = '';
  const admission = new Admission(() => ctx);
  const ctx: ApiContext = {
    store,
    registry,
    admission,
    log,
    address: () => address,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
    watchBufferBytes: opts.watchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES,
    ...(opts.resolveService ? { resolveService: opts.resolveService } : {}),
    onCrdChanged: () => openapi.invalidate(),
    stopping: false,
    watches: new Set(),
  };
  const crdController = new CrdController(ctx);
  ensureNamespaces(ctx);
  const gc = new GarbageCollector(ctx);
  const nsController = new NamespaceController(ctx);
  const pdbController = new PdbController(ctx);
  const eventTtl = new EventTtlController(ctx, opts.eventTtlMs);
  for (const crd of opts.crds ?? []) await installCrd(ctx, crd);
  await store.durable();

  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const server: Server = createServer(
    {
      cert: material.serving.certPem,
      key: material.serving.keyPem,
      keepAlive: true,
      handshakeTimeout: limits.handshakeTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
    },
    requestHandler({ ctx, token: material.token, openapi, limits }),
  );
  server.keepAliveTimeout = 30_000;
  applyConnectionLimits(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  address = `${hostInUrl}:${port}`;
  const url = `https://${address}`;
  const kubeconfig = () => kubeconfigYaml(url, material.ca.certPem, material.token);
  if (opts.dataDir) await writeFile(join(opts.dataDir, 'kubeconfig'), kubeconfig(), { mode: 0o600 });
  log(`apiserver: serving on ${url}`);
  let stopped = false;
  return {
    url,
    port,
    caPem: material.ca.certPem,
    token: material.token,
    kubeconfig,
    writeKubeconfig: (path: string) => writeFile(path, kubeconfig(), { mode: 0o600 }),
    compactHistory: () => store.compact(),
    storeStats: () => store.stats(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ctx.stopping = true;
      for (const w of [...ctx.watches]) w.close();
      crdController.stop();
      gc.stop();
      nsController.stop();
      pdbController.stop();
      eventTtl.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 200).unref();
      });
      await store.durable().catch(() => {});
      await wal?.close();
    },
  };
}

function ensureNamespaces(ctx: ApiContext): void {
  for (const name of DEFAULT_NAMESPACES) {
    if (ctx.store.get('namespaces', '', name)) continue;
    ctx.store.write(
      'namespaces',
      '',
      name,
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          uid: crypto.randomUUID(),
          creationTimestamp: nowRfc3339(),
          labels: { 'kubernetes.io/metadata.name': name },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      },
      null,
    );
  }
}

/** Create the CRD, or update it in place when it already exists (e.g. a restart on the same data dir). */
async function installCrd(ctx: ApiContext, crd: unknown): Promise<void> {
  if (!isObject(crd)) throw new Error('crds: every entry must be a CustomResourceDefinition object');
  const resolved = ctx.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const name = String(asObject(crd.metadata).name ?? '');
  const target = { ctx, def: resolved.def, version: resolved.version, namespace: '', name, subresource: '' };
  const opts = {
    dryRun: false,
    fieldValidation: 'Strict' as const,
    fieldManager: 'capi-fn-apiserver',
    warnings: [],
    options: {},
  };
  try {
    const obj = decodeForWrite(target, crd, opts);
    const existing = ctx.store.get(CRD_KEY, '', name);
    if (!existing) await createObject(target, obj, opts);
    else {
      const next: JsonObject = { ...obj, metadata: { ...asObject(existing.metadata), ...asObject(obj.metadata) } };
      await updateObject(target, { existing, next }, opts);
    }
  } catch (e) {
    if (e instanceof ApiError) throw new Error(`installing CRD ${name}: ${e.message}`);
    throw e;
  }
  // The CRD controller runs in a microtask after the write; let it serve the resource before returning.
  await Promise.resolve();
  ctx.registry.all();
}
