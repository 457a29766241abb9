// The one behaviour contract every EventBus adapter passes (in-process, EventBridge+SQS on moto, Pub/Sub
// on the emulator, Azure queues on Azurite, Event Grid on our emulator + Azurite). Each test uses its own
// handler and kind names, so tests sharing one bus (and one emulator) cannot see each other's events.
//
// "Not delivered" is asserted with a sentinel: once everything expected has arrived, one more event is
// sent to the handler and awaited; anything that was going to be wrongly delivered had its chance
// first on every bus here (all of them deliver a drained queue roughly in publish order). No assertion
// depends on wall-clock speed; waits only bound how long a failing test hangs.
import { expect, it } from 'vitest';
import {
  type DeadLetter,
  type DeliveryInfo,
  type DeliveryResult,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from '../../shared/bus/types.ts';
import {
  absentExtension,
  newResourceEvent,
  parseResourceEvent,
  type ResourceEvent,
} from '../../shared/events/resource-event.ts';

export interface ContractFixture {
  bus: EventBus & RawPublisher;
  /** What one platform request cannot carry: the contract publishes `count` events of `eventBytes` in one call. */
  overLimit: { count: number; eventBytes?: number };
  /** The adapter's configured attempt bound (keep it small: 3). */
  maxAttempts: number;
  /** Delay for the publishDelayed test; at least the platform's delay granularity. */
  delayMs: number;
  /** Upper bound on any single wait (emulators redeliver on their own schedule). */
  waitMs: number;
  /**
   * The bus's routing leaves a watch's `whenExists` and `metadataChanges: false` to the handler's runtime (Knative's
   * exact-match Triggers): it delivers those events with their flags intact and the runtime drops them.
   */
  flagsInRuntime?: boolean;
}

export interface Delivery {
  raw: unknown;
  info: DeliveryInfo;
  at: number;
}

type Decide = (raw: unknown, info: DeliveryInfo) => DeliveryResult | Promise<DeliveryResult>;

/** Records deliveries per handler and lets tests wait for conditions on them, event-driven. */
export class Recorder {
  readonly deliveries = new Map<string, Delivery[]>();
  private readonly waiters = new Set<() => void>();

  handler(handler: string, decide: Decide = () => ({ status: 'done' })) {
    const list: Delivery[] = [];
    this.deliveries.set(handler, list);
    return async (raw: unknown, info: DeliveryInfo): Promise<DeliveryResult> => {
      list.push({ raw, info, at: Date.now() });
      const result = await decide(raw, info);
      for (const w of [...this.waiters]) w();
      return result;
    };
  }

  of(handler: string): Delivery[] {
    return this.deliveries.get(handler) ?? [];
  }

  idsOf(handler: string): string[] {
    return this.of(handler).map((d) => idOf(d.raw));
  }

  async until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
    if (cond()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (cond()) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; deliveries: ${this.summary()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private summary(): string {
    return JSON.stringify(
      Object.fromEntries([...this.deliveries].map(([h, ds]) => [h, ds.map((d) => `${idOf(d.raw)}#${d.info.attempt}`)])),
    );
  }
}

export function idOf(raw: unknown): string {
  if (typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string') {
    return (raw as { id: string }).id;
  }
  return '<no id>';
}

let seq = 0;
/** Short, lowercase, platform-safe unique names (queue and subscription names derive from handlers). */
export function unique(prefix: string): string {
  seq++;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${seq.toString(36)}`;
}

export interface EventSpec {
  kind: string;
  group: string;
  type?: ResourceEvent['type'];
  target?: string;
  statusOnly?: boolean;
  metaOnly?: boolean;
  name?: string;
  /** `absentExtension` names the bridge set (kinds known to have no object where this one lives). */
  absent?: string[];
}

/**
 * Waits for every expected delivery, then for one targeted sentinel per subscription (anything wrongly routed had
 * its chance first), and checks each handler got exactly its expected events.
 */
async function expectExactly(
  o: { bus: EventBus; rec: Recorder; waitMs: number; kind: string },
  subs: Subscription[],
  expected: Record<string, string[]>,
): Promise<void> {
  const { bus, rec, waitMs, kind } = o;
  await rec.until(
    'every expected delivery',
    () => Object.entries(expected).every(([h, ids]) => ids.every((id) => rec.idsOf(h).includes(id))),
    waitMs,
  );
  const sentinels = subs.map((s) => makeEvent({ kind, group: GROUP, target: s.handler }));
  await bus.publish(sentinels);
  await rec.until('sentinels', () => subs.every((s, i) => rec.idsOf(s.handler).includes(sentinels[i]!.id)), waitMs);
  for (const [i, s] of subs.entries()) {
    const got = new Set(rec.idsOf(s.handler));
    got.delete(sentinels[i]!.id);
    expect([...got].sort(), s.handler).toEqual([...expected[s.handler]!].sort());
  }
}

export function makeEvent(s: EventSpec): ResourceEvent {
  const name = s.name ?? unique('obj-');
  const opts: Parameters<typeof newResourceEvent>[0] = {
    type: s.type ?? 'io.capifn.resource.modified',
    source: 'test://bus-contract',
    ref: {
      apiVersion: s.group ? `${s.group}/v1beta1` : 'v1',
      kind: s.kind,
      namespace: 'default',
      name,
      uid: `uid-${name}`,
    },
    resourceVersion: '1',
    generation: 1,
  };
  if (s.target !== undefined) opts.targetHandler = s.target;
  if (s.statusOnly !== undefined) opts.statusOnly = s.statusOnly;
  if (s.metaOnly !== undefined) opts.metaOnly = s.metaOnly;
  if (s.absent) opts.absent = s.absent;
  return newResourceEvent(opts);
}

/** An event whose JSON serialisation is exactly `bytes` bytes (padding inside data.object). */
export function eventOfBytes(base: ResourceEvent, bytes: number): ResourceEvent {
  const probe: ResourceEvent = { ...base, data: { ...base.data, object: { pad: '' } } };
  const room = bytes - Buffer.byteLength(JSON.stringify(probe));
  if (room < 0) throw new Error(`cannot build a ${bytes}-byte event: the base is already larger`);
  return { ...base, data: { ...base.data, object: { pad: 'x'.repeat(room) } } };
}

const GROUP = 'cluster.x-k8s.io';
const INFRA = 'infrastructure.cluster.x-k8s.io';

async function poll<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function busContract(fixture: () => ContractFixture): void {
  it('delivers a published event to a matching subscriber exactly as published, attempt 1', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const handler = unique('pd');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const events = [
        makeEvent({ kind, group: GROUP }),
        makeEvent({ kind, group: GROUP, type: 'io.capifn.resource.added' }),
      ];
      await bus.publish(events);
      await rec.until('both events', () => events.every((e) => rec.idsOf(handler).includes(e.id)), waitMs);
      for (const e of events) {
        const d = rec.of(handler).find((x) => idOf(x.raw) === e.id)!;
        expect(d.raw).toEqual(e);
        expect(d.info.attempt).toBe(1);
        expect(parseResourceEvent(d.raw).ok).toBe(true);
      }
    } finally {
      await consumer.stop();
    }
  });

  it('routes by kind and group, targets only the named handler, and skips status-only changes when asked', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const kind = unique('Kind');
    const coreKind = unique('Core');
    const a: Subscription = { handler: unique('ra'), kinds: [{ group: GROUP, kind }], statusChanges: false };
    const b: Subscription = { handler: unique('rb'), kinds: [{ group: INFRA, kind }], statusChanges: true };
    const c: Subscription = {
      handler: unique('rc'),
      kinds: [
        { group: '', kind: coreKind },
        { group: GROUP, kind },
      ],
      statusChanges: true,
    };
    const consumers = await Promise.all([a, b, c].map((s) => bus.subscribe(s, rec.handler(s.handler))));
    try {
      const toA = makeEvent({ kind, group: GROUP }); // a and c
      const toB = makeEvent({ kind, group: INFRA }); // b only: same kind, other group
      const toC = makeEvent({ kind: coreKind, group: '' }); // c only: core group
      const targetedB = makeEvent({ kind: coreKind, group: '', target: b.handler }); // b only, although c watches the kind
      const statusOnly = makeEvent({ kind, group: GROUP, statusOnly: true }); // c only: a skips status-only changes
      const notStatusOnly = makeEvent({ kind, group: GROUP, statusOnly: false }); // a and c
      const addedFlagged = makeEvent({ kind, group: GROUP, statusOnly: true, type: 'io.capifn.resource.added' }); // the flag only means something on modifications: a and c
      const unwatched = makeEvent({ kind: unique('Other'), group: GROUP }); // nobody
      const targetedNobody = makeEvent({ kind, group: GROUP, target: unique('ghost') }); // nobody, although a and c watch the kind
      await bus.publish([toA, toB, toC, targetedB, statusOnly, notStatusOnly, addedFlagged, unwatched, targetedNobody]);

      const expected: Record<string, string[]> = {
        [a.handler]: [toA.id, notStatusOnly.id, addedFlagged.id],
        [b.handler]: [toB.id, targetedB.id],
        [c.handler]: [toA.id, toC.id, statusOnly.id, notStatusOnly.id, addedFlagged.id],
      };
      await expectExactly({ bus, rec, waitMs, kind }, [a, b, c], expected);
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });

  it('skips metadata-only modifications for a kind that asks (alone and with status-only skipping), nothing else', async () => {
    const { bus, waitMs, flagsInRuntime } = fixture();
    const rec = new Recorder();
    const kind = unique('Kind');
    const meta: Subscription = {
      handler: unique('mm'),
      kinds: [{ group: GROUP, kind, metadataChanges: false }],
      statusChanges: true,
    };
    const both: Subscription = {
      handler: unique('mb'),
      kinds: [{ group: GROUP, kind, metadataChanges: false, statusChanges: false }],
      statusChanges: true,
    };
    const plain: Subscription = { handler: unique('mp'), kinds: [{ group: GROUP, kind }], statusChanges: true };
    const subs = [meta, both, plain];
    const consumers = await Promise.all(subs.map((s) => bus.subscribe(s, rec.handler(s.handler))));
    try {
      const metaOnly = makeEvent({ kind, group: GROUP, statusOnly: false, metaOnly: true });
      const statusOnly = makeEvent({ kind, group: GROUP, statusOnly: true, metaOnly: false });
      const spec = makeEvent({ kind, group: GROUP, statusOnly: false, metaOnly: false });
      const unflagged = makeEvent({ kind, group: GROUP });
      const added = makeEvent({ kind, group: GROUP, metaOnly: true, type: 'io.capifn.resource.added' });
      const all = [metaOnly, statusOnly, spec, unflagged, added];
      await bus.publish(all);
      const expected: Record<string, string[]> = {
        // Where the routing leaves the flag to the runtime, the metadata-only one arrives too (and is dropped there).
        [meta.handler]: [statusOnly, spec, unflagged, added, ...(flagsInRuntime ? [metaOnly] : [])].map((e) => e.id),
        [both.handler]: [spec, unflagged, added, ...(flagsInRuntime ? [metaOnly] : [])].map((e) => e.id),
        [plain.handler]: all.map((e) => e.id),
      };
      await expectExactly({ bus, rec, waitMs, kind }, subs, expected);
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });

  it('skips a kind watched `whenExists` when the bridge flagged that none exists, and carries the flag unchanged', async () => {
    const { bus, waitMs, flagsInRuntime } = fixture();
    const rec = new Recorder();
    const kind = unique('Kind');
    const gate = unique('Gate');
    const flag = absentExtension(gate);
    const gated: Subscription = {
      handler: unique('wg'),
      kinds: [{ group: GROUP, kind, whenExists: { group: GROUP, kind: gate } }],
      statusChanges: true,
    };
    const plain: Subscription = { handler: unique('wp'), kinds: [{ group: GROUP, kind }], statusChanges: true };
    const consumers = await Promise.all([gated, plain].map((s) => bus.subscribe(s, rec.handler(s.handler))));
    try {
      const none = makeEvent({ kind, group: GROUP, absent: [flag] });
      const noneDeleted = makeEvent({ kind, group: GROUP, absent: [flag], type: 'io.capifn.resource.deleted' });
      const unknown = makeEvent({ kind, group: GROUP });
      const otherGate = makeEvent({ kind, group: GROUP, absent: [absentExtension(unique('Other'))] });
      const all = [none, noneDeleted, unknown, otherGate];
      await bus.publish(all);
      const expected: Record<string, string[]> = {
        [gated.handler]: (flagsInRuntime ? all : [unknown, otherGate]).map((e) => e.id),
        [plain.handler]: all.map((e) => e.id),
      };
      await expectExactly({ bus, rec, waitMs, kind }, [gated, plain], expected);
      // The flag arrives as published, so a runtime can drop what its bus let through.
      const raw = rec.of(plain.handler).find((d) => idOf(d.raw) === none.id)!.raw as Record<string, unknown>;
      expect(raw[flag]).toBe('true');
      expect(parseResourceEvent(raw)).toMatchObject({ ok: true, event: { [flag]: 'true' } });
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });

  it('redelivers on retry with a growing attempt count, honouring delayMs and the default backoff', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const handler = unique('rt');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler, (_raw, info) => {
        if (info.attempt === 1) return { status: 'retry', error: 'first failure', delayMs: 0 };
        if (info.attempt === 2) return { status: 'retry', error: 'second failure' };
        return { status: 'done' };
      }),
    );
    try {
      const e = makeEvent({ kind, group: GROUP });
      await bus.publish([e]);
      await rec.until('third attempt', () => rec.of(handler).some((d) => d.info.attempt === 3), waitMs);
      const attempts = rec
        .of(handler)
        .filter((d) => idOf(d.raw) === e.id)
        .map((d) => d.info.attempt);
      expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
      for (const d of rec.of(handler)) expect(d.raw).toEqual(e);
      expect(await bus.deadLetters(handler)).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters with the consumer’s reason and never delivers that event again', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const handler = unique('dl');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler, (raw) =>
        idOf(raw).startsWith('poison-')
          ? { status: 'dead-letter', reason: 'cannot reconcile: quota gone' }
          : { status: 'done' },
      ),
    );
    try {
      const e = { ...makeEvent({ kind, group: GROUP }), id: unique('poison-') };
      await bus.publish([e]);
      const dls = await poll(
        'dead letter',
        () => bus.deadLetters(handler),
        (v: DeadLetter[]) => v.length > 0,
        waitMs,
      );
      expect(dls).toHaveLength(1);
      expect(dls[0]).toMatchObject({ handler, reason: 'cannot reconcile: quota gone', attempts: 1 });
      expect(dls[0]!.raw).toEqual(e);
      expect(Number.isNaN(Date.parse(dls[0]!.at))).toBe(false);
      const sentinel = makeEvent({ kind, group: GROUP, target: handler });
      await bus.publish([sentinel]);
      await rec.until('sentinel', () => rec.idsOf(handler).includes(sentinel.id), waitMs);
      expect(rec.idsOf(handler).filter((id) => id === e.id)).toHaveLength(1);
    } finally {
      await consumer.stop();
    }
  });

  it('bounds retries: an event that always fails is dead-lettered after maxAttempts with the last error', async () => {
    const { bus, waitMs, maxAttempts } = fixture();
    const rec = new Recorder();
    const handler = unique('bd');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler, (raw, info) =>
        idOf(raw).startsWith('always-')
          ? { status: 'retry', error: `still failing (attempt ${info.attempt})`, delayMs: 0 }
          : { status: 'done' },
      ),
    );
    try {
      const e = { ...makeEvent({ kind, group: GROUP }), id: unique('always-') };
      await bus.publish([e]);
      const dls = await poll(
        'dead letter after retries',
        () => bus.deadLetters(handler),
        (v: DeadLetter[]) => v.length > 0,
        waitMs,
      );
      expect(dls).toHaveLength(1);
      expect(dls[0]!.attempts).toBe(maxAttempts);
      expect(dls[0]!.reason).toContain(`still failing (attempt ${maxAttempts})`);
      expect(dls[0]!.raw).toEqual(e);
      const sentinel = makeEvent({ kind, group: GROUP, target: handler });
      await bus.publish([sentinel]);
      await rec.until('sentinel', () => rec.idsOf(handler).includes(sentinel.id), waitMs);
      const attempts = rec
        .of(handler)
        .filter((d) => idOf(d.raw) === e.id)
        .map((d) => d.info.attempt);
      expect(Math.max(...attempts)).toBe(maxAttempts);
      expect(new Set(attempts)).toEqual(new Set(Array.from({ length: maxAttempts }, (_, i) => i + 1)));
    } finally {
      await consumer.stop();
    }
  });

  it('hands a malformed payload published raw to the consumer unchanged, which dead-letters it with the reason', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const handler = unique('mf');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler, (raw) => {
        const parsed = parseResourceEvent(raw);
        return parsed.ok ? { status: 'done' } : { status: 'dead-letter', reason: parsed.reason };
      }),
    );
    try {
      // A valid CloudEvents envelope (so every bus accepts it) with a broken capi-fn payload.
      const raw = {
        specversion: '1.0',
        id: unique('malformed-'),
        source: 'test://bus-contract',
        type: 'io.capifn.resource.exploded',
        subject: 'not/a/subject',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { ref: { apiVersion: `${GROUP}/v1beta1`, kind, name: '' }, generation: 'seven' },
      };
      await bus.publishRaw([raw]);
      await rec.until('malformed delivery', () => rec.idsOf(handler).includes(raw.id), waitMs);
      expect(rec.of(handler)[0]!.raw).toEqual(raw);
      const dls = await poll(
        'dead letter of malformed',
        () => bus.deadLetters(handler),
        (v: DeadLetter[]) => v.length > 0,
        waitMs,
      );
      expect(dls[0]!.raw).toEqual(raw);
      expect(dls[0]!.reason).toMatch(/^malformed capi-fn event: /);
      expect(dls[0]!.reason).toContain('type');
      expect(dls[0]!.reason).toContain('data.ref.name');
      expect(dls[0]!.reason).toContain('data.generation');
    } finally {
      await consumer.stop();
    }
  });

  it('publishDelayed: not delivered before its delay (targeted and kind-routed), overtaken by immediate events', async () => {
    const { bus, waitMs, delayMs } = fixture();
    const rec = new Recorder();
    const handler = unique('dy');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const targeted = makeEvent({ kind, group: GROUP, target: handler });
      const routed = makeEvent({ kind, group: GROUP });
      const far = makeEvent({ kind, group: GROUP, target: handler });
      const now = makeEvent({ kind, group: GROUP });
      const t0 = Date.now();
      await bus.publishDelayed(targeted, delayMs);
      await bus.publishDelayed(routed, delayMs);
      await bus.publishDelayed(far, 3_600_000);
      await bus.publish([now]);
      await rec.until(
        'delayed events',
        () => [targeted.id, routed.id].every((id) => rec.idsOf(handler).includes(id)),
        waitMs + delayMs,
      );
      const at = (id: string) => rec.of(handler).find((d) => idOf(d.raw) === id)!.at;
      expect(rec.idsOf(handler).indexOf(now.id)).toBeGreaterThanOrEqual(0);
      expect(at(now.id)).toBeLessThanOrEqual(at(targeted.id));
      expect(at(now.id)).toBeLessThanOrEqual(at(routed.id));
      // Not before: the platform may round the delay up, never down (1 ms of timer granularity allowed).
      expect(at(targeted.id) - t0).toBeGreaterThanOrEqual(delayMs - 1);
      expect(at(routed.id) - t0).toBeGreaterThanOrEqual(delayMs - 1);
      const delivered = rec.of(handler).find((d) => idOf(d.raw) === targeted.id)!.raw as ResourceEvent;
      expect(parseResourceEvent(delivered).ok).toBe(true);
      expect({ ...delivered, capifnnotbefore: undefined }).toEqual({ ...targeted, capifnnotbefore: undefined });
      const sentinel = makeEvent({ kind, group: GROUP, target: handler });
      await bus.publish([sentinel]);
      await rec.until('sentinel', () => rec.idsOf(handler).includes(sentinel.id), waitMs);
      expect(rec.idsOf(handler)).not.toContain(far.id);
    } finally {
      await consumer.stop();
    }
  });

  it('splits a publish larger than one platform request and delivers every event', async () => {
    const { bus, waitMs, overLimit } = fixture();
    const rec = new Recorder();
    const handler = unique('bt');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const events = Array.from({ length: overLimit.count }, () => {
        const e = makeEvent({ kind, group: GROUP });
        return overLimit.eventBytes ? eventOfBytes(e, overLimit.eventBytes) : e;
      });
      await bus.publish(events);
      await rec.until(
        `all ${events.length} events`,
        () => {
          const got = new Set(rec.idsOf(handler));
          return events.every((e) => got.has(e.id));
        },
        waitMs * 2,
      );
      const byId = new Map(rec.of(handler).map((d) => [idOf(d.raw), d.raw]));
      for (const e of events) expect(byId.get(e.id)).toEqual(e);
    } finally {
      await consumer.stop();
    }
  });

  it('respects maxEventBytes: exactly the limit is delivered, one byte more is refused and the rest still go out', async () => {
    const { bus, waitMs } = fixture();
    const rec = new Recorder();
    const handler = unique('mx');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: GROUP, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const fits = eventOfBytes(makeEvent({ kind, group: GROUP }), bus.maxEventBytes);
      const tooBig = eventOfBytes(makeEvent({ kind, group: GROUP }), bus.maxEventBytes + 1);
      const small = makeEvent({ kind, group: GROUP });
      const err = await bus.publish([fits, tooBig, small]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      const failed = (err as PublishError).failed;
      expect(failed.map((f) => f.event.id)).toEqual([tooBig.id]);
      expect(failed[0]!.error).toMatch(/byte/);
      await rec.until(
        'the events that fit',
        () => [fits.id, small.id].every((id) => rec.idsOf(handler).includes(id)),
        waitMs,
      );
      expect(rec.of(handler).find((d) => idOf(d.raw) === fits.id)!.raw).toEqual(fits);
      const sentinel = makeEvent({ kind, group: GROUP, target: handler });
      await bus.publish([sentinel]);
      await rec.until('sentinel', () => rec.idsOf(handler).includes(sentinel.id), waitMs);
      expect(rec.idsOf(handler)).not.toContain(tooBig.id);
    } finally {
      await consumer.stop();
    }
  });
}
