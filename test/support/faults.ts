// Fault injection and call accounting for handler tests: every delivery gets its own context, and
// the Kubernetes transport and cloud client it uses count calls and can crash after the k-th one —
// after the call took effect, before the handler sees its result, like a process killed mid-step.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KubeRequest, KubeResponse, KubeStream, Transport } from '../../shared/kube/transport.ts';

export interface DeliveryContext {
  handler: string;
  attempt: number;
  calls: number;
  /** Crash after this many external calls in this delivery (first attempts only). */
  crashAfter?: number;
}

export class InjectedCrash extends Error {
  constructor(ctx: DeliveryContext) {
    super(`injected crash in ${ctx.handler} after external call ${ctx.calls}`);
    this.name = 'InjectedCrash';
  }
}

export const deliveryContext = new AsyncLocalStorage<DeliveryContext>();

/** The calls of one reconcile of one object (a delivery may reconcile several: a Cluster event fans out). */
const reconcileContext = new AsyncLocalStorage<{ calls: number }>();

export interface WriteRecord {
  handler: string;
  method: string;
  path: string;
  body: string | undefined;
}

/** One API request a handler made, read or write, answered or refused (what its RBAC rules must allow). */
export interface RequestRecord {
  handler: string;
  method: string;
  path: string;
  /** A watch stream rather than a request. */
  stream: boolean;
}

/** One event the bus delivered to a handler (what its routing let through), for tests of what wakes whom. */
export interface DeliveryRecord {
  handler: string;
  /** `added`, `modified`, `deleted` or `resync`; `requeue` for the handler's own. */
  type: string;
  kind: string;
  name: string;
  statusOnly: boolean;
}

/** The delivery record of a raw bus message (the CloudEvent as delivered), never throws. */
export function deliveryRecord(handler: string, raw: unknown): DeliveryRecord {
  const ev = (raw ?? {}) as {
    type?: string;
    data?: { ref?: { kind?: string; name?: string } };
    capifnhandler?: string;
    capifnstatusonly?: string;
  };
  return {
    handler,
    type: ev.capifnhandler ? 'requeue' : String(ev.type ?? '?').replace('io.capifn.resource.', ''),
    kind: ev.data?.ref?.kind ?? '?',
    name: ev.data?.ref?.name ?? '?',
    statusOnly: ev.capifnstatusonly === 'true',
  };
}

export class FaultLedger {
  readonly writes: WriteRecord[] = [];
  readonly requests: RequestRecord[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  crashes = 0;
  calls = 0;
  /** The most external calls one delivery made, per handler. */
  readonly maxCallsPerDelivery = new Map<string, number>();
  /** The same for first attempts only: the deliveries a crash sweep can kill. */
  readonly maxCallsPerFirstAttempt = new Map<string, number>();
  /** The most external calls one reconcile of one object made, per handler (only for measured handlers). */
  readonly maxCallsPerReconcile = new Map<string, number>();

  /** Runs one reconcile, counting its external calls apart from the rest of its delivery. */
  async measureReconcile<T>(handler: string, run: () => Promise<T>): Promise<T> {
    const ctx = { calls: 0 };
    try {
      return await reconcileContext.run(ctx, run);
    } finally {
      this.maxCallsPerReconcile.set(handler, Math.max(this.maxCallsPerReconcile.get(handler) ?? 0, ctx.calls));
    }
  }

  recordDelivery(ctx: DeliveryContext): void {
    this.maxCallsPerDelivery.set(ctx.handler, Math.max(this.maxCallsPerDelivery.get(ctx.handler) ?? 0, ctx.calls));
    if (ctx.attempt === 1) {
      const seen = this.maxCallsPerFirstAttempt.get(ctx.handler) ?? 0;
      this.maxCallsPerFirstAttempt.set(ctx.handler, Math.max(seen, ctx.calls));
    }
  }

  /** Counts one external call and crashes when the delivery's budget is reached. */
  tick(): void {
    this.calls++;
    const r = reconcileContext.getStore();
    if (r) r.calls++;
    const ctx = deliveryContext.getStore();
    if (!ctx) return;
    ctx.calls++;
    if (ctx.crashAfter !== undefined && ctx.attempt === 1 && ctx.calls === ctx.crashAfter) {
      this.crashes++;
      throw new InjectedCrash(ctx);
    }
  }

  /** A transport that counts and records the handler's calls before passing them on. */
  transport(inner: Transport): Transport {
    const ledger = this;
    return {
      server: inner.server,
      namespace: inner.namespace,
      async request(req: KubeRequest): Promise<KubeResponse> {
        const handler = deliveryContext.getStore()?.handler ?? '(none)';
        ledger.requests.push({ handler, method: req.method, path: req.path, stream: false });
        const res = await inner.request(req);
        if (req.method !== 'GET' && res.status < 300) {
          ledger.writes.push({
            handler: deliveryContext.getStore()?.handler ?? '(none)',
            method: req.method,
            path: req.path,
            body: req.body,
          });
        }
        ledger.tick();
        return res;
      },
      stream(req: KubeRequest): Promise<KubeStream> {
        const handler = deliveryContext.getStore()?.handler ?? '(none)';
        ledger.requests.push({ handler, method: req.method, path: req.path, stream: true });
        return inner.stream(req);
      },
    };
  }

  /** Wraps every async method of a cloud client the same way. */
  cloud<T extends object>(inner: T): T {
    const ledger = this;
    return new Proxy(inner, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          ledger.tick();
          return r;
        };
      },
    });
  }

  writesBy(handler?: string): WriteRecord[] {
    return handler ? this.writes.filter((w) => w.handler === handler) : this.writes;
  }
}
