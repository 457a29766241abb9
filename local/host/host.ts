// The local host: the bridge, a bus and every registered handler in one process, against any API
// server. `npm start` runs it with the in-process bus; tests run it against the embedded API server.
import { Bridge, type WatchedKind } from '../../functions/bridge/bridge.ts';
import type { CheckpointRef } from '../../functions/bridge/checkpoint.ts';
import type { Consumer, DeliveryInfo, DeliveryResult, EventBus } from '../../shared/bus/types.ts';
import { newResourceEvent } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { dispatch, type RuntimeDeps } from '../../shared/runtime/dispatch.ts';
import { type HandlerDefinition, subscriptionOf } from '../../shared/runtime/handler.ts';
import { type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import { watchedKinds } from '../../shared/runtime/watched-kinds.ts';
import { gated, ReconcileGate } from './reconcile-gate.ts';
import { RequeueCoalescer } from './requeue.ts';

export interface HostOptions {
  kube: KubeClient;
  bus: EventBus;
  handlers: Array<HandlerDefinition<unknown>>;
  /** CloudEvents source naming the cluster. */
  source?: string;
  checkpoint?: CheckpointRef;
  /** Watch only this namespace (default all). */
  namespace?: string;
  log?: Logger;
  maxAttempts?: number;
  /** Lets tests wrap the client a handler sees (call counting, crash injection). */
  kubeFor?: (handler: string) => KubeClient;
  /** Lets tests substitute a handler's cloud client. */
  cloudFor?: (handler: string) => unknown;
  /** Wraps every delivery (tests use it to give each invocation its own fault-injection context). */
  wrapDelivery?: (
    handler: string,
    info: DeliveryInfo,
    run: () => Promise<DeliveryResult>,
    /** The delivered event as the bus handed it over (benchmarks classify deliveries by it). */
    raw: unknown,
  ) => Promise<DeliveryResult>;
  /**
   * One reconcile at a time per object, with events that arrive meanwhile folded into one more run
   * (reconcile-gate.ts). Default true; chaos tests turn it off to keep concurrent reconciles happening.
   */
  coalesce?: boolean;
  /** Start without the bridge (tests that publish events themselves). */
  bridge?: boolean;
  bridgeOptions?: { checkpointIntervalMs?: number; watchTimeoutSeconds?: number; missingKindRetryMs?: number };
}

export interface Host {
  readonly bridge: Bridge | undefined;
  readonly kinds: WatchedKind[];
  /** Invocations per handler, for benchmarks and tests. */
  readonly invocations: Map<string, number>;
  /** Reconcile runs and deliveries folded into a waiting run, per handler (empty when `coalesce` is off). */
  readonly gates: Map<string, ReconcileGate['stats']>;
  stop(): Promise<void>;
}

export async function startHost(o: HostOptions): Promise<Host> {
  const log = o.log ?? silentLogger;
  const source = o.source ?? 'capi-fn/local';
  const coalescer = new RequeueCoalescer((ev, d) => o.bus.publishDelayed(ev, d));
  const invocations = new Map<string, number>();
  const gates = new Map<string, ReconcileGate['stats']>();
  const consumers: Consumer[] = [];
  for (const handler of o.handlers) {
    let def = handler;
    if (o.coalesce !== false) {
      const gate = new ReconcileGate();
      gates.set(def.name, gate.stats);
      const name = def.name;
      def = gated(def, gate, (ref, delayMs) =>
        coalescer.requeue(
          newResourceEvent({
            type: 'io.capifn.resource.resync',
            source,
            ref,
            targetHandler: name,
            notBefore: new Date(Date.now() + delayMs),
          }),
          delayMs,
        ),
      );
    }
    const deps: RuntimeDeps<unknown> = {
      kube: o.kubeFor?.(def.name) ?? o.kube,
      log,
      source,
      requeue: (ev, d) => coalescer.requeue(ev, d),
      ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
    };
    const cloud = o.cloudFor?.(def.name);
    if (cloud !== undefined) deps.cloud = cloud;
    consumers.push(
      await o.bus.subscribe(subscriptionOf(def), (raw, info) => {
        invocations.set(def.name, (invocations.get(def.name) ?? 0) + 1);
        const run = () => dispatch(def, raw, info, deps);
        return o.wrapDelivery ? o.wrapDelivery(def.name, info, run, raw) : run();
      }),
    );
  }
  const kinds = watchedKinds(o.handlers);
  let bridge: Bridge | undefined;
  if (o.bridge !== false) {
    bridge = new Bridge({
      kube: o.kube,
      bus: o.bus,
      kinds,
      source,
      checkpoint: o.checkpoint ?? { namespace: 'default', name: 'capi-fn-bridge' },
      log,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.bridgeOptions ?? {}),
    });
    await bridge.start();
  }
  return {
    bridge,
    kinds,
    invocations,
    gates,
    async stop() {
      await bridge?.stop();
      for (const c of consumers) await c.stop();
    },
  };
}
