import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../shared/bus/in-process.ts';
import type { DeliveryResult } from '../../shared/bus/types.ts';
import { busContract, type ContractFixture, idOf, makeEvent, Recorder, unique } from './contract.ts';

describe('in-process bus: contract', () => {
  let fixture: ContractFixture;
  beforeAll(() => {
    fixture = {
      bus: new InProcessBus({ maxAttempts: 3, backoff: { baseMs: 5, maxMs: 20 } }),
      overLimit: { count: 500 },
      maxAttempts: 3,
      delayMs: 150,
      waitMs: 5_000,
    };
  });
  afterAll(() => fixture.bus.close());
  busContract(() => fixture);
});

const G = 'cluster.x-k8s.io';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('in-process bus: concurrency, serialisation, chaos, idle', () => {
  it('never runs two deliveries of one subject at once, and caps concurrency per subscription', async () => {
    const bus = new InProcessBus({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const runningSubjects = new Set<string>();
    let overlap = false;
    const gate = deferred();
    const seen: string[] = [];
    await bus.subscribe({ handler: 'h', kinds: [{ group: G, kind: 'Machine' }], statusChanges: true }, async (raw) => {
      const subject = (raw as { subject: string }).subject;
      if (runningSubjects.has(subject)) overlap = true;
      runningSubjects.add(subject);
      running++;
      peak = Math.max(peak, running);
      seen.push(idOf(raw));
      if (seen.length <= 3) await gate.promise;
      running--;
      runningSubjects.delete(subject);
      return { status: 'done' };
    });
    const same = Array.from({ length: 4 }, () => makeEvent({ kind: 'Machine', group: G, name: 'm0' }));
    const others = Array.from({ length: 6 }, (_, i) => makeEvent({ kind: 'Machine', group: G, name: `m${i + 1}` }));
    await bus.publish([...same, ...others]);
    // Three slots, one of them taken by m0; the other m0 events wait behind it.
    expect(peak).toBe(3);
    gate.resolve();
    await bus.idle();
    expect(overlap).toBe(false);
    expect(seen).toHaveLength(10);
    expect(seen.filter((id) => same.some((e) => e.id === id))).toEqual(same.map((e) => e.id));
    await bus.close();
  });

  it('chaos: duplicates every event and delivers concurrent copies at the same time', async () => {
    const bus = new InProcessBus({ chaos: { duplicates: 2, concurrentCopies: 3, seed: 7 } });
    let running = 0;
    let peak = 0;
    const rec: string[] = [];
    await bus.subscribe({ handler: 'h', kinds: [{ group: G, kind: 'Machine' }], statusChanges: true }, async (raw) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      rec.push(idOf(raw));
      running--;
      return { status: 'done' };
    });
    const e = makeEvent({ kind: 'Machine', group: G, name: 'one' });
    await bus.publish([e]);
    await bus.idle();
    expect(rec).toEqual(Array(6).fill(e.id));
    expect(peak).toBeGreaterThanOrEqual(3);
    await bus.close();
  });

  it('chaos: shuffle reorders pending events reproducibly from a seed, and never loses one', async () => {
    const order = async (seed: number) => {
      const bus = new InProcessBus({ concurrency: 1, serializeBySubject: false, chaos: { shuffle: true, seed } });
      const got: string[] = [];
      const gate = deferred();
      await bus.subscribe(
        { handler: 'h', kinds: [{ group: G, kind: 'Machine' }], statusChanges: true },
        async (raw) => {
          await gate.promise;
          got.push((raw as { data: { ref: { name: string } } }).data.ref.name);
          return { status: 'done' };
        },
      );
      await bus.publish(Array.from({ length: 20 }, (_, i) => makeEvent({ kind: 'Machine', group: G, name: `n${i}` })));
      gate.resolve();
      await bus.idle();
      await bus.close();
      return got;
    };
    const a = await order(42);
    const b = await order(42);
    const sorted = Array.from({ length: 20 }, (_, i) => `n${i}`);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual([...sorted].sort());
    expect(a).not.toEqual(sorted);
  });

  it('idle waits for retries and near timers but not for delayed events beyond the horizon; close cancels timers', async () => {
    const bus = new InProcessBus({ backoff: { baseMs: 30, maxMs: 30, jitter: 0 } });
    const rec = new Recorder();
    await bus.subscribe(
      { handler: 'h', kinds: [{ group: G, kind: 'Machine' }], statusChanges: true },
      rec.handler(
        'h',
        (_raw, info): DeliveryResult => (info.attempt < 3 ? { status: 'retry', error: 'x' } : { status: 'done' }),
      ),
    );
    const retried = makeEvent({ kind: 'Machine', group: G });
    const soon = makeEvent({ kind: 'Machine', group: G, target: 'h' });
    const later = makeEvent({ kind: 'Machine', group: G, target: 'h' });
    await bus.publish([retried]);
    await bus.publishDelayed(soon, 50);
    await bus.publishDelayed(later, 600_000);
    await bus.idle({ ignoreDelayedBeyondMs: 60_000 });
    expect(
      rec
        .of('h')
        .filter((d) => idOf(d.raw) === retried.id)
        .map((d) => d.info.attempt),
    ).toEqual([1, 2, 3]);
    expect(rec.idsOf('h')).toContain(soon.id);
    expect(rec.idsOf('h')).not.toContain(later.id);
    expect(bus.stats().timers).toBe(1);
    await expect(bus.idle({ timeoutMs: 20 })).rejects.toThrow(/1 timer/);
    await bus.close();
    expect(bus.stats().timers).toBe(0);
    await expect(bus.publish([retried])).rejects.toThrow(/closed/);
  });

  it('a consumer that throws is retried like a returned retry; each delivery gets its own copy of the payload', async () => {
    const bus = new InProcessBus({ backoff: { baseMs: 1, maxMs: 1 } });
    const rec = new Recorder();
    const mutated: unknown[] = [];
    await bus.subscribe(
      { handler: 'h', kinds: [{ group: G, kind: 'Machine' }], statusChanges: true },
      rec.handler('h', (raw, info) => {
        mutated.push(structuredClone(raw));
        (raw as { data: { ref: { name: string } } }).data.ref.name = 'changed by consumer';
        if (info.attempt === 1) throw new Error('boom');
        return { status: 'done' };
      }),
    );
    const e = makeEvent({ kind: 'Machine', group: G });
    await bus.publish([e]);
    await bus.idle();
    expect(rec.of('h').map((d) => d.info.attempt)).toEqual([1, 2]);
    expect(mutated).toEqual([e, e]);
    await bus.close();
  });

  it('refuses a second subscription for the same handler and stops delivering after stop()', async () => {
    const bus = new InProcessBus();
    const rec = new Recorder();
    const sub = { handler: unique('h'), kinds: [{ group: G, kind: 'Machine' }], statusChanges: true };
    const c = await bus.subscribe(sub, rec.handler(sub.handler));
    await expect(bus.subscribe(sub, rec.handler(sub.handler))).rejects.toThrow(/already subscribed/);
    await c.stop();
    await bus.publish([makeEvent({ kind: 'Machine', group: G })]);
    await bus.idle();
    expect(rec.of(sub.handler)).toEqual([]);
    await bus.close();
  });

  it("keeps a handler's queue across a consumer's restart: what was pending, retrying or published meanwhile reaches the next consumer", async () => {
    // As an SQS queue outlives its Lambda: the local host restarting (the chaos matrix does) must lose nothing.
    const bus = new InProcessBus({ backoff: { baseMs: 30, maxMs: 30 } });
    const sub = { handler: unique('h'), kinds: [{ group: G, kind: 'Machine' }], statusChanges: true };
    const release = deferred();
    const first: string[] = [];
    const c = await bus.subscribe(sub, async (raw) => {
      first.push(idOf(raw));
      await release.promise;
      // The consumer is going away: this delivery asks to be retried.
      return { status: 'retry', error: 'stopping' } satisfies DeliveryResult;
    });
    const a = makeEvent({ kind: 'Machine', group: G });
    await bus.publish([a]);
    const stopping = c.stop();
    release.resolve();
    await stopping;
    const b = makeEvent({ kind: 'Machine', group: G });
    await bus.publish([b]);
    // Nothing waits for a consumer that is gone.
    await bus.idle({ ignoreDelayedBeyondMs: 0, timeoutMs: 1_000 });
    const second: string[] = [];
    await bus.subscribe(sub, async (raw) => {
      second.push(idOf(raw));
      return { status: 'done' };
    });
    await bus.idle({ timeoutMs: 5_000 });
    expect(first).toEqual([a.id]);
    expect(second.sort()).toEqual([a.id, b.id].sort());
    await bus.close();
  });
});
