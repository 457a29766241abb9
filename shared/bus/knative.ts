// Knative Eventing (OpenShift Serverless) bus: CloudEvents over HTTP to a Broker URL. Publishing is one
// structured-mode POST per event with the routing attributes stamped (knative-routing.ts); a subscription
// is an HTTP receiver plus its Triggers, which a TriggerPort applies (the Kubernetes API on a cluster, the
// test broker in tests). Receiving, retries, delays and dead letters follow knative-receiver.ts, the same
// path the deployed Knative functions take. No SDK: `fetch` and `node:http`.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResourceEvent } from '../events/resource-event.ts';
import { type BackoffPolicy, backoffPolicy } from './backoff.ts';
import { type BusLog, defaultLog, errorMessage, Slots } from './consumer-support.ts';
import { withNotBefore } from './delay.ts';
import { deadLetterEvent, receiveKnative } from './knative-receiver.ts';
import {
  fromHttp,
  KNATIVE_MAX_EVENT_BYTES,
  type KnativeTrigger,
  knativeAttributesFor,
  knativeTrigger,
  knativeTriggersFor,
  postStructured,
} from './knative-routing.ts';
import {
  type Consumer,
  type DeadLetter,
  type DeliverFn,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from './types.ts';

/** Applies a subscription's Triggers; the returned function removes them. */
export interface TriggerPort {
  apply(triggers: KnativeTrigger[]): Promise<() => Promise<void>>;
}

/** On a cluster the Triggers come with the deployment (infra/knative); a process only publishes. */
export const deployedTriggers: TriggerPort = {
  apply: () =>
    Promise.reject(
      new Error(
        'on Knative the Triggers are part of the deployment (infra/knative, `capi-fn deploy knative`); this bus only publishes',
      ),
    ),
};

export interface KnativeBusOptions {
  /** The Broker's ingress URL (`http://broker-ingress.knative-eventing.svc.cluster.local/<namespace>/<broker>`). */
  brokerUrl: string;
  /** Where dead letters go, as `io.capifn.deadletter` CloudEvents (any CloudEvents sink). */
  deadLetterSink: string;
  /** Reads dead letters back (tests, tooling); a plain sink cannot be listed. */
  readDeadLetters?: (handler?: string) => Promise<DeadLetter[]>;
  triggers: TriggerPort;
  namespace?: string;
  broker?: string;
  /** Where a subscription's receiver listens, and the host Triggers call it at. */
  listen?: { host?: string; advertiseHost?: string };
  maxAttempts?: number;
  concurrency?: number;
  backoff?: Partial<BackoffPolicy>;
  holdMaxMs?: number;
  publishConcurrency?: number;
  source?: string;
  log?: BusLog;
}

const DEFAULT_HOLD_MS = 240_000;

export class KnativeBus implements EventBus, RawPublisher {
  readonly name = 'knative';
  readonly maxEventBytes = KNATIVE_MAX_EVENT_BYTES;
  private readonly o: KnativeBusOptions;
  private readonly backoff: BackoffPolicy;
  private readonly log: BusLog;
  private readonly consumers = new Set<Consumer>();

  constructor(o: KnativeBusOptions) {
    this.o = o;
    this.backoff = backoffPolicy(o.backoff);
    this.log = o.log ?? defaultLog;
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    const failed: Array<{ event: ResourceEvent; error: string }> = [];
    await this.each(events, async (event) => {
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (bytes > this.maxEventBytes) {
        failed.push({ event, error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` });
        return;
      }
      try {
        await this.post(this.o.brokerUrl, { ...event, ...knativeAttributesFor(event) });
      } catch (e) {
        failed.push({ event, error: errorMessage(e) });
      }
    });
    if (failed.length)
      throw new PublishError(`${failed.length} of ${events.length} events not accepted by the broker`, failed);
  }

  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    await this.publish([withNotBefore(event, Date.now() + Math.max(0, delayMs))]);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    await this.each(payloads, async (p) => {
      if (typeof p !== 'object' || p === null || Array.isArray(p))
        throw new Error('a Broker accepts CloudEvents only: a raw payload must be an object');
      await this.post(this.o.brokerUrl, { ...(p as Record<string, unknown>), ...knativeAttributesFor(p) });
    });
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    const abort = new AbortController();
    const slots = new Slots(this.o.concurrency ?? 8);
    const receiverOptions = {
      handler: sub.handler,
      maxAttempts: this.o.maxAttempts ?? 5,
      backoff: this.backoff,
      holdMaxMs: this.o.holdMaxMs ?? DEFAULT_HOLD_MS,
      publish: (e: Record<string, unknown>) => this.post(this.o.brokerUrl, e),
      deadLetter: (dl: DeadLetter) => this.post(this.o.deadLetterSink, deadLetterEvent(dl, this.source())),
      log: this.log,
      signal: abort.signal,
    };
    const server = createServer((req, res) => {
      void (async () => {
        await slots.waitFree();
        slots.take();
        try {
          const raw = fromHttp(req.headers, await bodyOf(req));
          await receiveKnative(raw, deliver, receiverOptions);
          res.writeHead(200).end();
        } catch (e) {
          this.log('error', 'could not record a delivery outcome; the broker redelivers', {
            handler: sub.handler,
            error: errorMessage(e),
          });
          res.writeHead(500).end();
        } finally {
          slots.release();
        }
      })();
    });
    const host = this.o.listen?.host ?? '127.0.0.1';
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const port = (server.address() as AddressInfo).port;
    const uri = `http://${this.o.listen?.advertiseHost ?? host}:${port}/`;
    const triggers = knativeTriggersFor(sub).map((route) =>
      knativeTrigger(route, {
        handler: sub.handler,
        namespace: this.o.namespace ?? 'default',
        broker: this.o.broker ?? 'default',
        subscriber: { uri },
        deadLetterSink: { uri: this.o.deadLetterSink },
      }),
    );
    const remove = await this.o.triggers.apply(triggers);
    const consumer: Consumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        await remove();
        abort.abort();
        await slots.drained();
        await closeServer(server);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async deadLetters(handler?: string): Promise<DeadLetter[]> {
    if (!this.o.readDeadLetters)
      throw new Error(`dead letters on Knative go to ${this.o.deadLetterSink}; this bus has no reader for them`);
    return this.o.readDeadLetters(handler);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  private source(): string {
    return this.o.source ?? 'capi-fn/knative-bus';
  }

  private post(url: string, event: Record<string, unknown>): Promise<void> {
    return postStructured(url, event);
  }

  /** Runs `fn` over `items` with bounded concurrency (one POST per event); the first throw wins after all ran. */
  private async each<T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> {
    let next = 0;
    let first: unknown;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await fn(item).catch((e: unknown) => {
          first ??= e;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(items.length, this.o.publishConcurrency ?? 16) }, worker));
    if (first !== undefined) throw first;
  }
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
