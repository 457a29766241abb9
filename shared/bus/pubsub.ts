// Google Cloud Pub/Sub: one topic for every event; one subscription per handler (attribute filter,
// message ordering by object UID, a dead-letter topic with maxDeliveryAttempts). Publishing uses the
// client library (batching, ordering keys); consuming uses synchronous pull so the adapter controls
// acks, delayed nacks (modAck with a deadline) and how long it holds a message that is not due yet.
import { PubSub, type protos, type Topic, v1 } from '@google-cloud/pubsub';
import type { ResourceEvent } from '../events/resource-event.ts';
import { type BackoffPolicy, backoffDelayMs, backoffPolicy, toWholeSeconds } from './backoff.ts';
import {
  type BusLog,
  defaultLog,
  deliverSafely,
  errorMessage,
  positiveInt,
  Slots,
  sleep,
  truncateBytes,
} from './consumer-support.ts';
import { remainingDelayMs, withNotBefore } from './delay.ts';
import {
  attributesMatch,
  orderingKeyFor,
  pubsubAttributesFor,
  pubsubDeadLetterName,
  pubsubFilterFor,
  pubsubSubscriptionName,
} from './pubsub-routing.ts';
import {
  type Consumer,
  type DeadLetter,
  type DeliverFn,
  type DeliveryResult,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from './types.ts';

/** Pub/Sub's 10 MB message limit, less room for attributes and the ordering key. */
export const PUBSUB_MAX_EVENT_BYTES = 10_000_000 - 64 * 1024;
/** ModifyAckDeadline maximum. */
const MAX_ACK_DEADLINE_SECONDS = 600;
/** Attribute values are limited to 1024 bytes. */
const ATTRIBUTE_MAX_BYTES = 1_024;
const ALREADY_EXISTS = 6;
const IDLE_POLL_MIN_MS = 20;

export interface PubSubBusOptions {
  projectId: string;
  topic: string;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Deliveries running at once per subscription. */
  concurrency?: number;
  /** The subscription's ack deadline; held and running messages are extended at a third of it. */
  ackDeadlineSeconds?: number;
  /**
   * A message not due yet (capifnnotbefore) is held in memory, its lease extended, for at most this
   * long. Beyond it the message is handed back with a 600 s ack deadline, which Pub/Sub counts as a
   * delivery attempt (see publishDelayed).
   */
  holdMaxMs?: number;
  /** Most messages held for later at once; the consumer stops pulling above it. */
  maxHeld?: number;
  /**
   * Longest pause between pulls while the subscription is empty. Pulls return immediately and the
   * consumer backs off (20 ms doubling to this) instead of holding a long pull open: the emulator
   * keeps an empty pull open until the client's deadline, and messages it hands out just as that
   * deadline expires stay invisible until their ack deadline lapses (measured: 10 of 1001 lost for
   * 60 s). Long pulls also cannot be cancelled, which would make stop() slow.
   */
  idlePollMaxMs?: number;
  /**
   * Per-object ordering (ordering key = object UID, ordered subscriptions). Default true. The emulator
   * cannot forward a message of an ordered subscription to its dead-letter topic (the pull fails with
   * UNKNOWN once maxDeliveryAttempts is reached), which only matters for the policy backstop: this
   * consumer dead-letters explicitly before that.
   */
  messageOrdering?: boolean;
  pubsub?: PubSub;
  log?: BusLog;
}

interface Received {
  ackId: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
  messageId: string;
  attempt: number;
}

export class PubSubBus implements EventBus, RawPublisher {
  readonly name = 'pubsub';
  readonly maxEventBytes = PUBSUB_MAX_EVENT_BYTES;
  private readonly topicName: string;
  private readonly pubsub: PubSub;
  private readonly ownsClient: boolean;
  private readonly publisher: Topic;
  private readonly ordering: boolean;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private readonly ackDeadline: number;
  private readonly holdMaxMs: number;
  private readonly maxHeld: number;
  private readonly idlePollMaxMs: number;
  private readonly log: BusLog;
  private topicReady: Promise<void> | undefined;
  private subscriberClient: Promise<v1.SubscriberClient> | undefined;
  private readonly consumers = new Set<Consumer>();
  private readonly deadLetterTopics = new Map<string, Topic>();

  constructor(opts: PubSubBusOptions) {
    this.topicName = opts.topic;
    this.ownsClient = !opts.pubsub;
    // The client reads PUBSUB_EMULATOR_HOST itself; nothing here is emulator-specific.
    this.pubsub = opts.pubsub ?? new PubSub({ projectId: opts.projectId });
    this.ordering = opts.messageOrdering ?? true;
    this.publisher = this.pubsub.topic(opts.topic, { messageOrdering: this.ordering });
    this.maxAttempts = positiveInt(opts.maxAttempts ?? 10, 'maxAttempts');
    this.backoff = backoffPolicy(opts.backoff, { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 });
    this.concurrency = positiveInt(opts.concurrency ?? 10, 'concurrency');
    this.ackDeadline = Math.min(MAX_ACK_DEADLINE_SECONDS, Math.max(10, opts.ackDeadlineSeconds ?? 60));
    this.holdMaxMs = opts.holdMaxMs ?? 3_600_000;
    this.maxHeld = positiveInt(opts.maxHeld ?? 1_000, 'maxHeld');
    this.idlePollMaxMs = positiveInt(opts.idlePollMaxMs ?? 1_000, 'idlePollMaxMs');
    this.log = opts.log ?? defaultLog;
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    await this.publishPayloads(events, (e) => e);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    // PublishError's contract names events; a raw payload is reported as given.
    await this.publishPayloads(payloads, (p) => p as ResourceEvent);
  }

  /**
   * Pub/Sub has no delayed publish. The event goes out now with `capifnnotbefore` (and no ordering
   * key) and the consumer holds it until due: in memory with its lease extended for up to `holdMaxMs`
   * (default 1 h); a longer remainder is handed back with a 600 s ack deadline per round, each round
   * counting as one delivery attempt against the dead-letter policy. Bound: holdMaxMs plus
   * (maxDeliveryAttempts − 1) × 600 s, and the subscription's retention (7 days by default).
   */
  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    await this.publish([withNotBefore(event, Date.now() + Math.max(0, delayMs))]);
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    await this.ensureTopic();
    const dlName = pubsubDeadLetterName(this.topicName, sub.handler);
    const dlTopic = await this.ensureTopicNamed(dlName);
    // The dead-letter subscription must exist before anything is forwarded, or Pub/Sub drops it.
    await this.ensureSubscription(dlName, dlTopic, {});
    const { filter, exact } = pubsubFilterFor(sub);
    if (!exact)
      this.log('warn', 'Pub/Sub filter widened to fit 256 bytes; the consumer narrows it', { handler: sub.handler });
    const name = pubsubSubscriptionName(this.topicName, sub.handler);
    await this.ensureSubscription(name, this.pubsub.topic(this.topicName), {
      filter,
      enableMessageOrdering: this.ordering,
      ackDeadlineSeconds: this.ackDeadline,
      deadLetterPolicy: {
        deadLetterTopic: dlTopic.name,
        // Our consumer dead-letters explicitly (with a reason) at maxAttempts; Pub/Sub's policy is the
        // backstop for consumers that die. Its allowed range is 5–100.
        maxDeliveryAttempts: Math.min(100, Math.max(5, this.maxAttempts + 2)),
      },
    });
    const consumer = new PullConsumer(this, sub, this.pubsub.subscription(name).name, deliver, await this.client());
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
    const names: Array<{ sub: string; handler: string | undefined }> = [];
    if (handler !== undefined) {
      names.push({ sub: pubsubDeadLetterName(this.topicName, handler), handler });
    } else {
      const [subs] = await this.pubsub.getSubscriptions();
      const prefix = `${this.pubsub.subscription(`${this.topicName}-`).name}`;
      for (const s of subs) {
        if (s.name.startsWith(prefix) && s.name.endsWith('-dead-letter')) {
          names.push({ sub: s.name.slice(s.name.lastIndexOf('/') + 1), handler: undefined });
        }
      }
    }
    const out: DeadLetter[] = [];
    for (const n of names) out.push(...(await this.peekDeadLetters(n.sub, n.handler)));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.subscriberClient) await (await this.subscriberClient).close();
    if (this.ownsClient) await this.pubsub.close();
  }

  /** @internal */
  get settings() {
    return {
      maxAttempts: this.maxAttempts,
      backoff: this.backoff,
      concurrency: this.concurrency,
      ackDeadline: this.ackDeadline,
      holdMaxMs: this.holdMaxMs,
      maxHeld: this.maxHeld,
      idlePollMaxMs: this.idlePollMaxMs,
      log: this.log,
    };
  }

  /** @internal Publishes a dead letter with its reason to the handler's dead-letter topic. */
  async publishDeadLetter(handler: string, m: Received, attempts: number, reason: string): Promise<void> {
    const name = pubsubDeadLetterName(this.topicName, handler);
    let topic = this.deadLetterTopics.get(name);
    if (!topic) {
      topic = this.pubsub.topic(name);
      this.deadLetterTopics.set(name, topic);
    }
    await topic.publishMessage({
      data: m.data,
      attributes: {
        ...m.attributes,
        capifndeadletterreason: truncateBytes(reason, ATTRIBUTE_MAX_BYTES),
        capifndeadletterhandler: handler,
        capifndeadletterattempts: String(attempts),
        capifndeadletterat: new Date().toISOString(),
      },
    });
  }

  private async publishPayloads<T>(payloads: T[], asEvent: (p: T) => ResourceEvent): Promise<void> {
    await this.ensureTopic();
    const failed: Array<{ event: ResourceEvent; error: string }> = [];
    const sends: Array<Promise<void>> = [];
    for (const p of payloads) {
      const json = JSON.stringify(p);
      const data = Buffer.from(json ?? 'null');
      if (data.length > this.maxEventBytes) {
        failed.push({
          event: asEvent(p),
          error: `event is ${data.length} bytes, over the ${this.maxEventBytes}-byte limit`,
        });
        continue;
      }
      const orderingKey = this.ordering ? orderingKeyFor(p) : '';
      const msg = { data, attributes: pubsubAttributesFor(p), ...(orderingKey ? { orderingKey } : {}) };
      sends.push(
        this.publisher.publishMessage(msg).then(
          () => undefined,
          (err: unknown) => {
            // A failed ordered publish pauses its key until resumed; the caller's retry must get through.
            if (orderingKey) this.publisher.resumePublishing(orderingKey);
            failed.push({ event: asEvent(p), error: errorMessage(err) });
          },
        ),
      );
    }
    await Promise.all(sends);
    if (failed.length > 0)
      throw new PublishError(`${failed.length} event(s) not published to ${this.topicName}`, failed);
  }

  private ensureTopic(): Promise<void> {
    this.topicReady ??= this.ensureTopicNamed(this.topicName).then(
      () => undefined,
      (err: unknown) => {
        this.topicReady = undefined;
        throw err;
      },
    );
    return this.topicReady;
  }

  private async ensureTopicNamed(name: string): Promise<Topic> {
    try {
      const [t] = await this.pubsub.createTopic(name);
      return t;
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      return this.pubsub.topic(name);
    }
  }

  private async ensureSubscription(
    name: string,
    topic: Topic,
    opts: Parameters<Topic['createSubscription']>[1] & { filter?: string },
  ): Promise<void> {
    try {
      await topic.createSubscription(name, opts);
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      // A filter cannot be changed on an existing subscription; silently keeping a stale one would
      // route the wrong events.
      const [meta] = await this.pubsub.subscription(name).getMetadata();
      if ((meta.filter ?? '') !== (opts.filter ?? '')) {
        throw new Error(
          `Pub/Sub subscription ${name} exists with filter ${JSON.stringify(meta.filter)}, expected ${JSON.stringify(opts.filter)}; delete it to re-create`,
        );
      }
    }
  }

  private client(): Promise<v1.SubscriberClient> {
    this.subscriberClient ??= subscriberClientFor(this.pubsub);
    return this.subscriberClient;
  }

  private async peekDeadLetters(subName: string, handler: string | undefined): Promise<DeadLetter[]> {
    const client = await this.client();
    const path = this.pubsub.subscription(subName).name;
    const seen: Array<{ ackId: string; msg: Received }> = [];
    for (let i = 0; i < 100; i++) {
      let resp: protos.google.pubsub.v1.IPullResponse;
      try {
        [resp] = await client.pull({ subscription: path, maxMessages: 100, returnImmediately: true });
      } catch (err) {
        if (grpcCode(err) === 5 /* NOT_FOUND */) return [];
        throw err;
      }
      const batch = resp.receivedMessages ?? [];
      if (batch.length === 0) break;
      for (const rm of batch) {
        const r = toReceived(rm);
        if (r) seen.push({ ackId: r.ackId, msg: r });
      }
    }
    if (seen.length > 0) {
      await client.modifyAckDeadline({ subscription: path, ackIds: seen.map((s) => s.ackId), ackDeadlineSeconds: 0 });
    }
    return seen.map(({ msg }) => {
      const a = msg.attributes;
      const forwarded = a.CloudPubSubDeadLetterSourceDeliveryCount;
      return {
        handler: a.capifndeadletterhandler ?? handler ?? subName,
        reason:
          a.capifndeadletterreason ??
          `forwarded by the subscription's dead-letter policy after ${forwarded ?? 'too many'} delivery attempts`,
        raw: decodeData(msg.data),
        at: a.capifndeadletterat ?? new Date().toISOString(),
        attempts: Number(a.capifndeadletterattempts ?? forwarded ?? 0),
      };
    });
  }
}

/** Synchronous-pull consumer for one handler's subscription. */
class PullConsumer {
  private readonly bus: PubSubBus;
  private readonly sub: Subscription;
  private readonly path: string;
  private readonly deliver: DeliverFn;
  private readonly client: v1.SubscriberClient;
  private readonly slots: Slots;
  private readonly leased = new Set<string>();
  private readonly held = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lease: ReturnType<typeof setInterval> | undefined;

  constructor(bus: PubSubBus, sub: Subscription, path: string, deliver: DeliverFn, client: v1.SubscriberClient) {
    this.bus = bus;
    this.sub = sub;
    this.path = path;
    this.deliver = deliver;
    this.client = client;
    this.slots = new Slots(bus.settings.concurrency);
  }

  start(): void {
    const { ackDeadline } = this.bus.settings;
    this.lease = setInterval(() => void this.extendLeases(), (ackDeadline * 1000) / 3);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    // Held messages go back to the subscription for another consumer.
    const heldIds = [...this.held.keys()];
    for (const t of this.held.values()) clearTimeout(t);
    this.held.clear();
    for (const id of heldIds) this.leased.delete(id);
    if (heldIds.length > 0) await this.modAck(heldIds, 0).catch(() => {});
    await this.slots.drained();
    clearInterval(this.lease);
  }

  private async run(): Promise<void> {
    const { log, maxHeld, idlePollMaxMs } = this.bus.settings;
    const signal = this.abort.signal;
    let idleMs = IDLE_POLL_MIN_MS;
    while (!signal.aborted) {
      await this.slots.waitFree();
      if (this.held.size >= maxHeld) {
        await sleep(1_000, signal);
        continue;
      }
      if (signal.aborted) break;
      let received: Received[];
      try {
        const [resp] = await this.client.pull(
          { subscription: this.path, maxMessages: Math.max(1, this.slots.free), returnImmediately: true },
          { timeout: 30_000 },
        );
        received = (resp.receivedMessages ?? []).map(toReceived).filter((r): r is Received => r !== undefined);
      } catch (err) {
        if (signal.aborted) break;
        log('warn', 'Pub/Sub pull failed; retrying', { handler: this.sub.handler, error: errorMessage(err) });
        await sleep(1_000, signal);
        continue;
      }
      if (signal.aborted) {
        // Pulled while stopping: hand them straight back.
        if (received.length > 0)
          await this.modAck(
            received.map((r) => r.ackId),
            0,
          ).catch(() => {});
        break;
      }
      for (const r of received) this.accept(r);
      if (received.length > 0) {
        idleMs = IDLE_POLL_MIN_MS;
      } else {
        await sleep(idleMs, signal);
        idleMs = Math.min(idlePollMaxMs, idleMs * 2);
      }
    }
  }

  private accept(r: Received): void {
    const { holdMaxMs, log } = this.bus.settings;
    // The emulator ignores subscription filters; on Pub/Sub proper this never drops anything.
    if (!attributesMatch(r.attributes, this.sub)) {
      void this.ack(r.ackId);
      return;
    }
    const raw = decodeData(r.data);
    const wait = remainingDelayMs(raw, Date.now());
    if (wait > 0) {
      this.leased.add(r.ackId);
      if (wait <= holdMaxMs) {
        this.held.set(
          r.ackId,
          setTimeout(() => {
            this.held.delete(r.ackId);
            this.leased.delete(r.ackId);
            this.dispatch(r, raw);
          }, wait),
        );
      } else {
        this.leased.delete(r.ackId);
        void this.modAck([r.ackId], toWholeSeconds(wait, MAX_ACK_DEADLINE_SECONDS)).catch((err: unknown) =>
          log('warn', 'Pub/Sub modAck for a delayed message failed', { error: errorMessage(err) }),
        );
      }
      return;
    }
    this.dispatch(r, raw);
  }

  /** Messages with one ordering key are handled one at a time, in the order Pub/Sub delivered them. */
  private dispatch(r: Received, raw: unknown): void {
    this.slots.take();
    this.leased.add(r.ackId);
    const run = () =>
      this.process(r, raw)
        .catch((err: unknown) =>
          this.bus.settings.log('error', 'Pub/Sub message handling failed', {
            handler: this.sub.handler,
            error: errorMessage(err),
          }),
        )
        .finally(() => {
          this.leased.delete(r.ackId);
          this.slots.release();
        });
    if (!r.orderingKey) {
      void run();
      return;
    }
    const prev = this.chains.get(r.orderingKey) ?? Promise.resolve();
    const next = prev.then(run);
    this.chains.set(r.orderingKey, next);
    void next.then(() => {
      if (this.chains.get(r.orderingKey) === next) this.chains.delete(r.orderingKey);
    });
  }

  private async process(r: Received, raw: unknown): Promise<void> {
    const { maxAttempts, backoff } = this.bus.settings;
    const result: DeliveryResult = await deliverSafely(this.deliver, raw, {
      attempt: r.attempt,
      messageId: r.messageId,
    });
    if (result.status === 'done') {
      await this.ack(r.ackId);
    } else if (result.status === 'dead-letter') {
      await this.deadLetter(r, r.attempt, result.reason);
    } else if (r.attempt >= maxAttempts) {
      await this.deadLetter(r, r.attempt, `gave up after ${r.attempt} attempts; last error: ${result.error}`);
    } else {
      // A nack with a delay: the message comes back once this ack deadline lapses.
      const delay = result.delayMs ?? backoffDelayMs(r.attempt, backoff);
      await this.modAck([r.ackId], toWholeSeconds(delay, MAX_ACK_DEADLINE_SECONDS));
    }
  }

  private async deadLetter(r: Received, attempts: number, reason: string): Promise<void> {
    await this.bus.publishDeadLetter(this.sub.handler, r, attempts, reason);
    await this.ack(r.ackId);
  }

  private async extendLeases(): Promise<void> {
    const ids = [...this.leased];
    for (let i = 0; i < ids.length; i += 1_000) {
      await this.modAck(ids.slice(i, i + 1_000), this.bus.settings.ackDeadline).catch((err: unknown) =>
        this.bus.settings.log('warn', 'Pub/Sub lease extension failed', { error: errorMessage(err) }),
      );
    }
  }

  private async ack(ackId: string): Promise<void> {
    await this.client.acknowledge({ subscription: this.path, ackIds: [ackId] });
  }

  private async modAck(ackIds: string[], seconds: number): Promise<void> {
    await this.client.modifyAckDeadline({ subscription: this.path, ackIds, ackDeadlineSeconds: seconds });
  }
}

/** A low-level subscriber client with the same endpoint, credentials and emulator settings as `pubsub`. */
export async function subscriberClientFor(pubsub: PubSub): Promise<v1.SubscriberClient> {
  const { port, ...rest } = await pubsub.getClientConfig();
  // ClientConfig allows a string port; the GAPIC client's options do not.
  return new v1.SubscriberClient(port === undefined ? rest : { ...rest, port: Number(port) });
}

function toReceived(rm: protos.google.pubsub.v1.IReceivedMessage): Received | undefined {
  if (!rm.ackId || !rm.message) return undefined;
  const m = rm.message;
  const data = m.data instanceof Uint8Array ? Buffer.from(m.data) : Buffer.from(String(m.data ?? ''), 'base64');
  return {
    ackId: rm.ackId,
    data,
    attributes: { ...(m.attributes ?? {}) },
    orderingKey: m.orderingKey ?? '',
    messageId: m.messageId ?? '',
    // deliveryAttempt is only filled in when the subscription has a dead-letter policy (ours always do).
    attempt: Math.max(1, rm.deliveryAttempt ?? 1),
  };
}

function decodeData(data: Buffer): unknown {
  const text = data.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function grpcCode(err: unknown): number | undefined {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'number' ? c : undefined;
}
