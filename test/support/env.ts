// A whole capi-fn installation for tests: the embedded API server with every CRD, the in-process
// bus, the bridge, the core handlers and the local provider, all talking real HTTPS.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCloud, type LocalCloudApi } from '../../functions/providers/local/cloud.ts';
import { coreHandlers, localProviderHandlers } from '../../functions/registry.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { type Host, startHost } from '../../local/host/host.ts';
import { toCrd } from '../../shared/api/crd.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { type ChaosOptions, InProcessBus } from '../../shared/bus/in-process.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { Connection } from '../../shared/kube/kubeconfig.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import type { HandlerDefinition } from '../../shared/runtime/handler.ts';
import { createLogger, type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import { type ChaosProxy, startChaosProxy } from '../chaos/proxy.ts';
import { type DeliveryContext, deliveryContext, deliveryRecord, FaultLedger } from './faults.ts';

export interface EnvOptions {
  chaos?: ChaosOptions;
  /** Every delivery's first attempt crashes after this many external calls. */
  crashAfter?: number;
  /** Handlers the crash applies to (default all). */
  crashHandlers?: string[];
  bootDelayMs?: number;
  concurrency?: number;
  extraHandlers?: Array<HandlerDefinition<unknown>>;
  /**
   * Provider handlers to run instead of the local provider's; `wrapCloud` counts the calls of (and
   * injects crashes into) any cloud client the same way as for the local cloud.
   */
  providers?: (
    wrapCloud: <T extends object>(cloud: T) => T,
    ctx: { kube: KubeClient; ledger: FaultLedger },
  ) => Array<HandlerDefinition<unknown>> | Promise<Array<HandlerDefinition<unknown>>>;
  /** Extra CRD objects to install (the default is every kind in the registry). */
  crds?: unknown[];
  logLevel?: string;
  /**
   * The handlers and the bridge reach the API server through the fault proxy (test/chaos/proxy.ts) at this seed and
   * rate; the test's own client does not.
   */
  apiFaults?: { seed: number; rate: number };
}

export interface CapiEnv {
  api: ApiServer;
  /** Admin client for the test itself (not counted, never crashes). */
  kube: KubeClient;
  bus: InProcessBus;
  cloud: LocalCloud;
  host: Host;
  ledger: FaultLedger;
  log: Logger;
  /** The fault proxy in front of the API server, when `apiFaults` asked for one. */
  apiProxy?: ChaosProxy;
  stop(): Promise<void>;
}

export function connectionFor(api: ApiServer): Connection {
  return {
    server: api.url,
    ca: api.caPem,
    namespace: 'default',
    credentials: async () => ({ headers: { authorization: `Bearer ${api.token}` } }),
    description: 'embedded API server',
  };
}

export function allCrds(): unknown[] {
  return allKinds.map((k) => toCrd(k));
}

export async function startCapiEnv(o: EnvOptions = {}): Promise<CapiEnv> {
  const api = await startApiServer({ crds: o.crds ?? allCrds() });
  const conn = connectionFor(api);
  const kube = new KubeClient(new HttpsTransport(conn), { fieldManager: 'test' });
  const ledger = new FaultLedger();
  const apiProxy = o.apiFaults
    ? await startChaosProxy({ upstream: { url: api.url, ca: api.caPem }, ...o.apiFaults })
    : undefined;
  const handlerConn = apiProxy ? { ...conn, server: apiProxy.url } : conn;
  const handlerKube = new KubeClient(ledger.transport(new HttpsTransport(handlerConn)));
  const bridgeKube = apiProxy ? new KubeClient(new HttpsTransport(handlerConn)) : kube;
  const cloud = new LocalCloud({ kube, defaultBootDelayMs: o.bootDelayMs ?? 0 });
  const countedCloud: LocalCloudApi = ledger.cloud<LocalCloudApi>(cloud);
  const bus = new InProcessBus({
    concurrency: o.concurrency ?? 8,
    maxAttempts: 50,
    backoff: { baseMs: 20, maxMs: 500 },
    serializeBySubject: !o.chaos,
    ...(o.chaos ? { chaos: o.chaos } : {}),
  });
  const log = o.logLevel ? createLogger({ level: o.logLevel }) : silentLogger;
  const host = await startHost({
    kube: bridgeKube,
    bus,
    log,
    handlers: [
      ...coreHandlers,
      ...(o.providers
        ? await o.providers((c) => ledger.cloud(c), { kube, ledger })
        : localProviderHandlers(() => countedCloud)),
      ...(o.extraHandlers ?? []),
    ],
    kubeFor: () => handlerKube,
    // Chaos runs exist to make concurrent reconciles of one object happen; the gate would fold them.
    coalesce: !o.chaos,
    maxAttempts: 50,
    checkpoint: { namespace: 'default', name: 'capi-fn-bridge' },
    bridgeOptions: { checkpointIntervalMs: 200, missingKindRetryMs: 200 },
    wrapDelivery: (handler, info, run, raw) => {
      ledger.deliveries.push(deliveryRecord(handler, raw));
      const ctx: DeliveryContext = { handler, attempt: info.attempt, calls: 0 };
      if (o.crashAfter !== undefined && (!o.crashHandlers || o.crashHandlers.includes(handler)))
        ctx.crashAfter = o.crashAfter;
      return deliveryContext.run(ctx, async () => {
        try {
          return await run();
        } finally {
          ledger.recordDelivery(ctx);
        }
      });
    },
  });
  return {
    api,
    kube,
    bus,
    cloud,
    host,
    ledger,
    log,
    ...(apiProxy ? { apiProxy } : {}),
    async stop() {
      await host.stop();
      await bus.close();
      cloud.close();
      await apiProxy?.close();
      await api.stop();
    },
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `check` until it returns a value other than undefined/false; fails with `what` and the last state. */
export async function eventually<T>(
  /** What is awaited; a function is asked only on timeout (to describe the state then). */
  what: string | (() => string),
  check: () => Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${typeof what === 'function' ? what() : what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
