// Azure Storage Queues: one queue per handler, publish fans out to every queue whose subscription
// matches (what an Event Grid subscription with a storage-queue destination does in Azure), poison
// queues per the Functions host convention. Each handler queue records its subscription in queue
// metadata, so a publisher in another process discovers the routing table from the account itself.
import { type DequeuedMessageItem, type QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { ResourceEvent } from '../events/resource-event.ts';
import {
  AZURE_MAX_VISIBILITY_SECONDS,
  AZURE_QUEUE_MAX_EVENT_BYTES,
  azureQueueName,
  DEFAULT_AZURE_QUEUE_PREFIX,
  decodePoisonMessage,
  decodeQueueMessage,
  encodePoisonMessage,
  encodeQueueMessage,
  POISON_SUFFIX,
  poisonQueueName,
  queueMetadataFor,
  subscriptionFromMetadata,
} from './azure-queue-codec.ts';
import { type BackoffPolicy, backoffDelayMs, backoffPolicy, toWholeSeconds } from './backoff.ts';
import { utf8Bytes } from './batching.ts';
import { type BusLog, defaultLog, deliverSafely, errorMessage, positiveInt, Slots, sleep } from './consumer-support.ts';
import { remainingDelayMs, withNotBefore } from './delay.ts';
import { matchesRouting, routingFieldsOf } from './routing.ts';
import {
  type Consumer,
  type DeadLetter,
  type DeliverFn,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from './types.ts';

export interface AzureQueueBusOptions {
  /** A storage connection string, or instead `service`: a client built with an identity (no key anywhere). */
  connectionString?: string;
  service?: QueueServiceClient;
  queuePrefix?: string;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Deliveries running at once per subscription (the host's batchSize). */
  concurrency?: number;
  /** Visibility while a delivery runs; renewed at half this period. */
  visibilityTimeoutSeconds?: number;
  /** Queue polling backs off from min to max while a queue is empty (queues have no long poll). */
  pollIntervalMs?: { min: number; max: number };
  /** How long a discovered routing table is reused before the queue list is read again. */
  routesTtlMs?: number;
  /** Subscriptions known up front (from the handler declarations), routed to without discovery. */
  subscriptions?: Subscription[];
  log?: BusLog;
}

/** A queue message's text and the visibility delay it is sent with. */
interface Outgoing {
  queue: string;
  text: string;
  delaySeconds: number;
}

export class AzureQueueBus implements EventBus, RawPublisher {
  readonly name: string = 'azure-queue';
  readonly maxEventBytes = AZURE_QUEUE_MAX_EVENT_BYTES;
  private readonly service: QueueServiceClient;
  private readonly prefix: string;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private readonly visibility: number;
  private readonly poll: { min: number; max: number };
  private readonly routesTtlMs: number;
  private readonly log: BusLog;
  private readonly declared = new Map<string, Subscription>();
  private discovered: { at: number; subs: Map<string, Subscription> } | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(opts: AzureQueueBusOptions) {
    if (!opts.service && !opts.connectionString) throw new Error('AzureQueueBus needs connectionString or service');
    this.service = opts.service ?? QueueServiceClient.fromConnectionString(opts.connectionString!);
    this.prefix = opts.queuePrefix ?? DEFAULT_AZURE_QUEUE_PREFIX;
    this.maxAttempts = positiveInt(opts.maxAttempts ?? 10, 'maxAttempts');
    this.backoff = backoffPolicy(opts.backoff, { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 });
    this.concurrency = positiveInt(opts.concurrency ?? 16, 'concurrency');
    this.visibility = positiveInt(opts.visibilityTimeoutSeconds ?? 60, 'visibilityTimeoutSeconds');
    this.poll = opts.pollIntervalMs ?? { min: 100, max: 2_000 };
    this.routesTtlMs = opts.routesTtlMs ?? 10_000;
    this.log = opts.log ?? defaultLog;
    for (const s of opts.subscriptions ?? []) this.declared.set(s.handler, s);
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    await this.fanOut(events, (e) => e);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    // PublishError's contract names events; a raw payload is reported as given.
    await this.fanOut(payloads, (p) => p as ResourceEvent);
  }

  /**
   * Native delay: the message is sent with a visibility timeout (at most 7 days); anything longer
   * carries `capifnnotbefore` and the consumer re-sends it with the remaining delay until due.
   */
  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    await this.publish([withNotBefore(event, Date.now() + Math.max(0, delayMs))]);
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    const queue = await this.ensureHandlerQueue(sub);
    const consumer = new QueueConsumer(
      this,
      sub,
      this.service.getQueueClient(queue),
      this.service.getQueueClient(poisonQueueName(queue)),
      deliver,
    );
    consumer.start();
    const handle: Consumer = {
      stop: async () => {
        this.consumers.delete(handle);
        await consumer.stop();
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  async deadLetters(handler?: string): Promise<DeadLetter[]> {
    const queues: string[] = [];
    if (handler !== undefined) {
      queues.push(poisonQueueName(azureQueueName(handler, this.prefix)));
    } else {
      for await (const q of this.service.listQueues({ prefix: this.prefix })) {
        if (q.name.endsWith(POISON_SUFFIX)) queues.push(q.name);
      }
    }
    const out: DeadLetter[] = [];
    for (const q of queues) out.push(...(await this.peekPoison(this.service.getQueueClient(q), handler)));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  /** @internal */
  get settings() {
    return {
      maxAttempts: this.maxAttempts,
      backoff: this.backoff,
      concurrency: this.concurrency,
      visibility: this.visibility,
      poll: this.poll,
      log: this.log,
    };
  }

  /** @internal Creates (idempotently) a handler's queue and poison queue and records its subscription. */
  async ensureHandlerQueue(sub: Subscription): Promise<string> {
    const queue = azureQueueName(sub.handler, this.prefix);
    const client = this.service.getQueueClient(queue);
    await client.createIfNotExists();
    // Create does not update metadata on an existing queue (it answers 409 when it differs).
    await client.setMetadata(queueMetadataFor(sub));
    await this.service.getQueueClient(poisonQueueName(queue)).createIfNotExists();
    this.declared.set(sub.handler, sub);
    return queue;
  }

  /** @internal Sends `payload` straight to one handler's queue (delayed requeues), no routing. */
  async sendToHandler(handler: string, payload: unknown, delayMs: number): Promise<boolean> {
    const queue = azureQueueName(handler, this.prefix);
    return this.send({ queue, text: encodeQueueMessage(payload), delaySeconds: delaySecondsFor(delayMs) });
  }

  private async fanOut<T>(payloads: T[], asEvent: (p: T) => ResourceEvent): Promise<void> {
    const failed: Array<{ event: ResourceEvent; error: string }> = [];
    const routes = await this.routingTable();
    const sends: Array<Promise<void>> = [];
    const now = Date.now();
    for (const p of payloads) {
      const json = JSON.stringify(p);
      const bytes = json === undefined ? 0 : utf8Bytes(json);
      if (json === undefined || bytes > this.maxEventBytes) {
        failed.push({ event: asEvent(p), error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` });
        continue;
      }
      const fields = routingFieldsOf(p);
      const handlers =
        fields.target !== undefined
          ? [fields.target]
          : [...routes.values()].filter((s) => matchesRouting(fields, s)).map((s) => s.handler);
      const text = encodeQueueMessage(p);
      const delaySeconds = delaySecondsFor(remainingDelayMs(p, now));
      sends.push(
        Promise.all(handlers.map((h) => this.send({ queue: azureQueueName(h, this.prefix), text, delaySeconds }))).then(
          () => undefined,
          (err: unknown) => {
            failed.push({ event: asEvent(p), error: errorMessage(err) });
          },
        ),
      );
    }
    await Promise.all(sends);
    if (failed.length > 0) throw new PublishError(`${failed.length} event(s) not published to Azure queues`, failed);
  }

  /** False when the queue does not exist: like Event Grid with no matching subscription, nothing receives it. */
  private async send(o: Outgoing): Promise<boolean> {
    try {
      await this.service.getQueueClient(o.queue).sendMessage(
        o.text,
        // Delayed messages must outlive their delay; the default time-to-live is 7 days.
        o.delaySeconds > 0 ? { visibilityTimeout: o.delaySeconds, messageTimeToLive: -1 } : {},
      );
      return true;
    } catch (err) {
      if (errorCode(err) === 'QueueNotFound') return false;
      throw err;
    }
  }

  private async routingTable(): Promise<Map<string, Subscription>> {
    if (!this.discovered || Date.now() - this.discovered.at > this.routesTtlMs) {
      const subs = new Map<string, Subscription>();
      for await (const q of this.service.listQueues({ prefix: this.prefix, includeMetadata: true })) {
        const sub = subscriptionFromMetadata(q.metadata);
        if (sub && q.name === azureQueueName(sub.handler, this.prefix)) subs.set(sub.handler, sub);
      }
      this.discovered = { at: Date.now(), subs };
    }
    return new Map([...this.discovered.subs, ...this.declared]);
  }

  /** Reads a poison queue without consuming it: receive everything briefly invisible, then release it. */
  private async peekPoison(q: QueueClient, handler: string | undefined): Promise<DeadLetter[]> {
    const seen: DequeuedMessageItem[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const r = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
        if (r.receivedMessageItems.length === 0) break;
        seen.push(...r.receivedMessageItems);
      }
    } catch (err) {
      if (errorCode(err) === 'QueueNotFound') return [];
      throw err;
    }
    await Promise.all(seen.map((m) => q.updateMessage(m.messageId, m.popReceipt, undefined, 0)));
    const fallback = handler ?? q.name.slice(this.prefix.length, -POISON_SUFFIX.length);
    return seen.map((m) => {
      const { payload, info } = decodePoisonMessage(m.messageText);
      return {
        handler: info?.handler ?? fallback,
        reason: info?.reason ?? 'moved to the poison queue after the maximum dequeue count (Functions host)',
        raw: payload,
        at: info?.at ?? m.insertedOn.toISOString(),
        attempts: info?.attempts ?? 0,
      };
    });
  }
}

/** Polls one handler's queue; results become delete / visibility update / poison-queue move. */
class QueueConsumer {
  private readonly bus: AzureQueueBus;
  private readonly sub: Subscription;
  private readonly q: QueueClient;
  private readonly poison: QueueClient;
  private readonly deliver: DeliverFn;
  private readonly slots: Slots;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(bus: AzureQueueBus, sub: Subscription, q: QueueClient, poison: QueueClient, deliver: DeliverFn) {
    this.bus = bus;
    this.sub = sub;
    this.q = q;
    this.poison = poison;
    this.deliver = deliver;
    this.slots = new Slots(bus.settings.concurrency);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.slots.drained();
  }

  private async run(): Promise<void> {
    const { visibility, poll, log } = this.bus.settings;
    const signal = this.abort.signal;
    let idle = poll.min;
    while (!signal.aborted) {
      await this.slots.waitFree();
      if (signal.aborted) break;
      let items: DequeuedMessageItem[];
      try {
        const r = await this.q.receiveMessages({
          numberOfMessages: Math.min(32, this.slots.free),
          visibilityTimeout: visibility,
          abortSignal: signal,
        });
        items = r.receivedMessageItems;
      } catch (err) {
        if (signal.aborted) break;
        log('warn', 'Azure queue receive failed; retrying', { handler: this.sub.handler, error: errorMessage(err) });
        await sleep(1_000, signal);
        continue;
      }
      if (items.length === 0) {
        await sleep(idle, signal);
        idle = Math.min(poll.max, idle * 2);
        continue;
      }
      idle = poll.min;
      for (const m of items) {
        this.slots.take();
        void this.handle(m)
          .catch((err: unknown) =>
            log('error', 'Azure queue message handling failed', {
              handler: this.sub.handler,
              error: errorMessage(err),
            }),
          )
          .finally(() => this.slots.release());
      }
    }
  }

  private async handle(m: DequeuedMessageItem): Promise<void> {
    const { maxAttempts, backoff, visibility } = this.bus.settings;
    const raw = decodeQueueMessage(m.messageText);
    const attempt = Math.max(1, m.dequeueCount);
    let popReceipt = m.popReceipt;
    const wait = remainingDelayMs(raw, Date.now());
    if (wait > 0) {
      // Longer than one visibility timeout allows: a fresh copy with the remaining delay keeps the
      // dequeue count (our attempt counter) clean, which re-hiding this message would not.
      await this.q.sendMessage(m.messageText, { visibilityTimeout: delaySecondsFor(wait), messageTimeToLive: -1 });
      await this.q.deleteMessage(m.messageId, popReceipt);
      return;
    }
    if (attempt > maxAttempts) {
      await this.deadLetter(
        m,
        popReceipt,
        raw,
        attempt - 1,
        `delivery attempts exhausted: dequeued ${attempt} times without a result`,
      );
      return;
    }
    const heartbeat = setInterval(
      () => {
        this.q
          .updateMessage(m.messageId, popReceipt, undefined, visibility)
          .then((r) => {
            if (r.popReceipt) popReceipt = r.popReceipt;
          })
          .catch(() => {});
      },
      (visibility * 1000) / 2,
    );
    let result: Awaited<ReturnType<DeliverFn>>;
    try {
      result = await deliverSafely(this.deliver, raw, { attempt, messageId: m.messageId });
    } finally {
      clearInterval(heartbeat);
    }
    if (result.status === 'done') {
      await this.q.deleteMessage(m.messageId, popReceipt);
    } else if (result.status === 'dead-letter') {
      await this.deadLetter(m, popReceipt, raw, attempt, result.reason);
    } else if (attempt >= maxAttempts) {
      await this.deadLetter(
        m,
        popReceipt,
        raw,
        attempt,
        `gave up after ${attempt} attempts; last error: ${result.error}`,
      );
    } else {
      const delay = result.delayMs ?? backoffDelayMs(attempt, backoff);
      await this.q.updateMessage(
        m.messageId,
        popReceipt,
        undefined,
        toWholeSeconds(delay, AZURE_MAX_VISIBILITY_SECONDS),
      );
    }
  }

  private async deadLetter(
    m: DequeuedMessageItem,
    popReceipt: string,
    raw: unknown,
    attempts: number,
    reason: string,
  ): Promise<void> {
    const info = { handler: this.sub.handler, reason, attempts, at: new Date().toISOString() };
    const text = encodePoisonMessage(raw, info);
    if (!text) {
      this.bus.settings.log('error', 'dead letter too large to carry its reason; moved unchanged', {
        handler: this.sub.handler,
        reason,
      });
    }
    await this.poison.sendMessage(text ?? m.messageText, { messageTimeToLive: -1 });
    await this.q.deleteMessage(m.messageId, popReceipt);
  }
}

function delaySecondsFor(ms: number): number {
  return toWholeSeconds(ms, AZURE_MAX_VISIBILITY_SECONDS);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; details?: { errorCode?: unknown } };
  if (typeof e.details?.errorCode === 'string') return e.details.errorCode;
  return typeof e.code === 'string' ? e.code : undefined;
}
