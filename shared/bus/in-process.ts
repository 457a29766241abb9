// The embedded default bus: everything in one process, with the delivery semantics of the cloud buses
// (at-least-once, retries with backoff, dead letters, delayed delivery) and a chaos mode that makes
// the at-least-once, unordered and concurrent parts of that contract happen on purpose in tests.
import type { ResourceEvent } from '../events/resource-event.ts';
import { type BackoffPolicy, backoffDelayMs, backoffPolicy } from './backoff.ts';
import { utf8Bytes } from './batching.ts';
import { remainingDelayMs, withNotBefore } from './delay.ts';
import { seededRandom } from './random.ts';
import { matchesRouting, routingFieldsOf } from './routing.ts';
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

export interface ChaosOptions {
  /** Deliver every published event this many times (independent copies). */
  duplicates?: number;
  /** Pick the next delivery at random among everything pending instead of first-in first-out. */
  shuffle?: boolean;
  /** Deliver each event's first attempt this many times at once (ignores per-subject serialisation). */
  concurrentCopies?: number;
  /** Seed for shuffle and jitter, so a failing chaos run can be replayed. */
  seed?: number;
}

export interface InProcessBusOptions {
  /** Deliveries running at once per subscription. */
  concurrency?: number;
  /** Attempts before a retried event is dead-lettered. */
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Never run two deliveries of the same subject for one subscription at once (controller-runtime's workqueue rule). */
  serializeBySubject?: boolean;
  maxEventBytes?: number;
  chaos?: ChaosOptions;
}

export interface IdleOptions {
  /** Timers (retries, delayed events) due further than this from now do not keep the bus busy. Default: all count. */
  ignoreDelayedBeyondMs?: number;
  /** Reject when not idle after this long, naming what is still outstanding. */
  timeoutMs?: number;
}

interface Item {
  /** Serialised payload: every delivery parses its own copy, as a real wire would. */
  body: string;
  attempt: number;
  messageId: string;
  key: string | undefined;
  copies: number;
}

/**
 * One handler's queue. It outlives its consumer, as an SQS queue or a Pub/Sub subscription does: a consumer that
 * stops (a host restarting) leaves its pending events, its retries and the events routed meanwhile for the next
 * consumer of the same handler. Dropping them lost events the bridge had already acknowledged (found by the chaos
 * matrix: a scale-up never reached the MachineSet handler across a restart).
 */
interface Queue {
  sub: Subscription;
  deliver: DeliverFn;
  pending: Item[];
  running: number;
  runningKeys: Map<string, number>;
  inflight: Set<Promise<void>>;
  /** No consumer now: events wait for the next subscribe of this handler. */
  stopped: boolean;
}

interface Timer {
  handle: ReturnType<typeof setTimeout>;
  dueAt: number;
}

export const IN_PROCESS_MAX_EVENT_BYTES = 8 * 1024 * 1024;

export class InProcessBus implements EventBus, RawPublisher {
  readonly name = 'in-process';
  readonly maxEventBytes: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly serialize: boolean;
  private readonly chaos: Required<Omit<ChaosOptions, 'seed'>>;
  private readonly random: () => number;
  private readonly queues = new Map<string, Queue>();
  private readonly timers = new Set<Timer>();
  private readonly dead: DeadLetter[] = [];
  private readonly idleWaiters = new Set<{ horizonMs: number; resolve: () => void }>();
  private nextId = 0;
  private closed = false;

  constructor(opts: InProcessBusOptions = {}) {
    this.concurrency = positiveInt(opts.concurrency ?? 4, 'concurrency');
    this.maxAttempts = positiveInt(opts.maxAttempts ?? 10, 'maxAttempts');
    this.backoff = backoffPolicy(opts.backoff);
    this.serialize = opts.serializeBySubject ?? true;
    this.maxEventBytes = opts.maxEventBytes ?? IN_PROCESS_MAX_EVENT_BYTES;
    const c = opts.chaos ?? {};
    this.chaos = {
      duplicates: positiveInt(c.duplicates ?? 1, 'chaos.duplicates'),
      shuffle: c.shuffle ?? false,
      concurrentCopies: positiveInt(c.concurrentCopies ?? 1, 'chaos.concurrentCopies'),
    };
    this.random = c.seed === undefined ? Math.random : seededRandom(c.seed);
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    this.publishPayloads(events, (e) => e);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    // PublishError's contract names events; a raw payload is reported as given.
    this.publishPayloads(payloads, (p) => p as ResourceEvent);
  }

  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    this.publishPayloads([withNotBefore(event, Date.now() + Math.max(0, delayMs))], (e) => e);
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    this.assertOpen();
    let q = this.queues.get(sub.handler);
    if (q && !q.stopped) throw new Error(`in-process bus: handler "${sub.handler}" is already subscribed`);
    if (q) {
      // The handler's queue, kept since its last consumer stopped: this consumer takes over what waits there.
      q.sub = sub;
      q.deliver = deliver;
      q.stopped = false;
    } else {
      q = { sub, deliver, pending: [], running: 0, runningKeys: new Map(), inflight: new Set(), stopped: false };
      this.queues.set(sub.handler, q);
    }
    const queue = q;
    queue.stopped = false;
    this.pump(queue);
    return {
      stop: async () => {
        if (queue.deliver !== deliver) return;
        queue.stopped = true;
        await Promise.allSettled([...queue.inflight]);
        this.checkIdle();
      },
    };
  }

  async deadLetters(handler?: string): Promise<DeadLetter[]> {
    return this.dead.filter((d) => handler === undefined || d.handler === handler).map((d) => ({ ...d }));
  }

  /**
   * Resolves once nothing is pending or running and no timer is due within `ignoreDelayedBeyondMs`
   * (default: every timer counts). Tests use it as "wait until quiescent".
   */
  idle(opts: IdleOptions = {}): Promise<void> {
    const horizonMs = opts.ignoreDelayedBeyondMs ?? Number.POSITIVE_INFINITY;
    if (this.isIdle(horizonMs)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        horizonMs,
        resolve: () => {
          if (timeout) clearTimeout(timeout);
          resolve();
        },
      };
      this.idleWaiters.add(waiter);
      if (opts.timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          this.idleWaiters.delete(waiter);
          reject(new Error(`in-process bus not idle after ${opts.timeoutMs} ms: ${this.describeOutstanding()}`));
        }, opts.timeoutMs);
      }
    });
  }

  /** Counts for diagnostics and benchmarks. */
  stats(): { pending: number; running: number; timers: number; deadLetters: number } {
    let pending = 0;
    let running = 0;
    for (const q of this.queues.values()) {
      pending += q.pending.length;
      running += q.running;
    }
    return { pending, running, timers: this.timers.size, deadLetters: this.dead.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t.handle);
    this.timers.clear();
    const inflight: Promise<void>[] = [];
    for (const q of this.queues.values()) {
      q.stopped = true;
      q.pending.length = 0;
      inflight.push(...q.inflight);
    }
    this.queues.clear();
    await Promise.allSettled(inflight);
    for (const w of this.idleWaiters) w.resolve();
    this.idleWaiters.clear();
  }

  private publishPayloads<T>(payloads: T[], asEvent: (p: T) => ResourceEvent): void {
    this.assertOpen();
    const failed: Array<{ event: ResourceEvent; error: string }> = [];
    for (const p of payloads) {
      const body = JSON.stringify(p);
      if (body === undefined) {
        failed.push({ event: asEvent(p), error: 'payload is not JSON-serialisable' });
        continue;
      }
      const bytes = utf8Bytes(body);
      if (bytes > this.maxEventBytes) {
        failed.push({ event: asEvent(p), error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` });
        continue;
      }
      const wait = remainingDelayMs(p, Date.now());
      if (wait > 0) {
        this.schedule(wait, () => this.route(body, p));
      } else {
        this.route(body, p);
      }
    }
    this.checkIdle();
    if (failed.length > 0) throw new PublishError(`${failed.length} event(s) not published`, failed);
  }

  private route(body: string, payload: unknown): void {
    if (this.closed) return;
    const fields = routingFieldsOf(payload);
    const key = this.serialize ? subjectOf(payload) : undefined;
    for (const q of this.queues.values()) {
      if (!matchesRouting(fields, q.sub)) continue;
      for (let i = 0; i < this.chaos.duplicates; i++) {
        q.pending.push({
          body,
          attempt: 1,
          messageId: `m${++this.nextId}`,
          key,
          copies: this.chaos.concurrentCopies,
        });
      }
      this.pump(q);
    }
  }

  private pump(q: Queue): void {
    while (!q.stopped && q.running < this.concurrency && q.pending.length > 0) {
      const index = this.pickEligible(q);
      if (index < 0) break;
      // shift() is amortised O(1) in V8 (the common FIFO case); splice only for out-of-order picks.
      const item = index === 0 ? q.pending.shift() : q.pending.splice(index, 1)[0];
      if (item) this.start(q, item);
    }
  }

  private pickEligible(q: Queue): number {
    const eligible: number[] = [];
    for (let i = 0; i < q.pending.length; i++) {
      const item = q.pending[i]!;
      if (item.key !== undefined && q.runningKeys.has(item.key)) continue;
      if (!this.chaos.shuffle) return i;
      eligible.push(i);
    }
    if (eligible.length === 0) return -1;
    return eligible[Math.floor(this.random() * eligible.length)]!;
  }

  private start(q: Queue, item: Item): void {
    q.running++;
    // Concurrent copies exist to break per-subject exclusivity on purpose, so they take no lock.
    const lockKey = item.copies > 1 ? undefined : item.key;
    if (lockKey !== undefined) q.runningKeys.set(lockKey, (q.runningKeys.get(lockKey) ?? 0) + 1);
    const copies = Array.from({ length: item.copies }, () => this.deliverOnce(q, item));
    const done: Promise<void> = Promise.all(copies).then((results) => {
      q.running--;
      if (lockKey !== undefined) {
        const n = (q.runningKeys.get(lockKey) ?? 1) - 1;
        if (n <= 0) q.runningKeys.delete(lockKey);
        else q.runningKeys.set(lockKey, n);
      }
      q.inflight.delete(done);
      if (!this.closed) {
        // Settled even when the consumer stopped meanwhile: a retry it asked for waits for the next one.
        for (const r of results) this.settle(q, item, r);
        this.pump(q);
      }
      this.checkIdle();
    });
    q.inflight.add(done);
  }

  private async deliverOnce(q: Queue, item: Item): Promise<DeliveryResult> {
    try {
      return await q.deliver(JSON.parse(item.body), { attempt: item.attempt, messageId: item.messageId });
    } catch (err) {
      // A consumer is supposed to return a result; a throw is treated as a transient failure.
      return { status: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
  }

  private settle(q: Queue, item: Item, r: DeliveryResult): void {
    if (r.status === 'done') return;
    if (r.status === 'dead-letter') {
      this.deadLetter(q, item, r.reason);
      return;
    }
    if (item.attempt >= this.maxAttempts) {
      this.deadLetter(q, item, `gave up after ${item.attempt} attempts; last error: ${r.error}`);
      return;
    }
    const delay = r.delayMs ?? backoffDelayMs(item.attempt, this.backoff, this.random);
    const next: Item = { ...item, attempt: item.attempt + 1, copies: 1 };
    this.schedule(delay, () => {
      q.pending.push(next);
      this.pump(q);
    });
  }

  private deadLetter(q: Queue, item: Item, reason: string): void {
    this.dead.push({
      handler: q.sub.handler,
      reason,
      raw: JSON.parse(item.body),
      at: new Date().toISOString(),
      attempts: item.attempt,
    });
  }

  private schedule(delayMs: number, fire: () => void): void {
    const timer: Timer = {
      dueAt: Date.now() + delayMs,
      handle: setTimeout(() => {
        this.timers.delete(timer);
        fire();
        this.checkIdle();
      }, delayMs),
    };
    this.timers.add(timer);
  }

  private isIdle(horizonMs: number): boolean {
    for (const q of this.queues.values()) {
      // What waits for a consumer that is gone does not keep the bus busy.
      if ((!q.stopped && q.pending.length > 0) || q.running > 0) return false;
    }
    const limit = Date.now() + horizonMs;
    for (const t of this.timers) {
      if (t.dueAt <= limit) return false;
    }
    return true;
  }

  private checkIdle(): void {
    for (const w of this.idleWaiters) {
      if (this.isIdle(w.horizonMs)) {
        this.idleWaiters.delete(w);
        w.resolve();
      }
    }
  }

  private describeOutstanding(): string {
    const s = this.stats();
    return `${s.pending} pending, ${s.running} running, ${s.timers} timer(s)`;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('in-process bus is closed');
  }
}

function subjectOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const s = (payload as Record<string, unknown>).subject;
  return typeof s === 'string' ? s : undefined;
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}
