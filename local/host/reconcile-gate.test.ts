import { describe, expect, it } from 'vitest';
import { MAX_WAIT_MS, OBJECTS_PER_EVENT, ReconcileGate, WAIT_PER_OBJECT_MS } from './reconcile-gate.ts';

function deferred() {
  let resolve: () => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ReconcileGate', () => {
  it('never overlaps runs for one target, and runs a waiting delivery after the current run', async () => {
    const gate = new ReconcileGate();
    const first = deferred();
    const log: string[] = [];
    const a = gate.run('ms', 'Machine modified', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = gate.run('ms', 'Machine modified', async () => {
      log.push('b start');
      return 'b';
    });
    await tick();
    expect(log).toEqual(['a start']);
    first.resolve();
    expect(await a).toBe('a');
    expect(await b).toBe('b');
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('acknowledges a delivery without a run when one with the same hint is already waiting', async () => {
    const gate = new ReconcileGate();
    const first = deferred();
    let runs = 0;
    const run = async () => {
      runs++;
      if (runs === 1) await first.promise;
      return runs;
    };
    const a = gate.run('ms', 'Machine modified', run);
    const b = gate.run('ms', 'Machine modified', run);
    const c = gate.run('ms', 'Machine modified', run);
    // A different kind of hint keeps its own waiting run.
    const d = gate.run('ms', 'Node modified', run);
    expect(await c).toBeUndefined();
    first.resolve();
    await Promise.all([a, b, d]);
    expect(runs).toBe(3);
    expect(gate.stats).toEqual({ runs: 3, coalesced: 1, deferred: 0 });
  });

  it('lets other targets run concurrently and a failed run release the target', async () => {
    const gate = new ReconcileGate();
    const first = deferred();
    const a = gate.run('one', 'h', () => first.promise.then(() => 'one'));
    expect(await gate.run('two', 'h', async () => 'two')).toBe('two');
    const b = gate.run('one', 'h', async () => 'after');
    first.reject(new Error('boom'));
    await expect(a).rejects.toThrow('boom');
    expect(await b).toBe('after');
    expect(await gate.run('one', 'h', async () => 'free')).toBe('free');
  });

  describe('after a run that listed many objects (fan-in)', () => {
    /** A gate whose target "ms" last listed `listed` objects, and the requeues it asked for. */
    async function primed(listed: number) {
      const gate = new ReconcileGate();
      await gate.run('ms', 'MachineSet modified', async () => ({ listed }));
      const deferred: number[] = [];
      const defer = async (delayMs: number) => {
        deferred.push(delayMs);
      };
      return { gate, deferred, defer };
    }

    it('acknowledges fan-in deliveries until ceil(listed / OBJECTS_PER_EVENT) have arrived, with one requeue for them', async () => {
      const { gate, deferred, defer } = await primed(40);
      const threshold = Math.ceil(40 / OBJECTS_PER_EVENT);
      let runs = 0;
      const run = async () => ({ listed: 40, run: ++runs });
      for (let i = 1; i < threshold; i++)
        expect(await gate.run('ms', i % 2 ? 'Machine modified' : 'Machine deleted', run, defer)).toBeUndefined();
      expect(runs).toBe(0);
      // The first gathered delivery scheduled the requeue that answers them all, listed × WAIT_PER_OBJECT_MS later.
      expect(deferred).toEqual([40 * WAIT_PER_OBJECT_MS]);
      // The one that completes the count runs.
      expect(await gate.run('ms', 'Machine modified', run, defer)).toEqual({ listed: 40, run: 1 });
      // A new count starts with that run, and a new requeue with its first delivery.
      expect(await gate.run('ms', 'Machine modified', run, defer)).toBeUndefined();
      expect(deferred).toHaveLength(2);
      expect(gate.stats).toMatchObject({ runs: 2, deferred: 2, coalesced: threshold });
    });

    it("waits at most MAX_WAIT_MS, never holds back the target's own events or requeues, and keeps no budget after a failed run", async () => {
      const { gate, deferred, defer } = await primed(1_000_000);
      expect(await gate.run('ms', 'Machine modified', async () => 'ran', defer)).toBeUndefined();
      expect(deferred).toEqual([MAX_WAIT_MS]);
      // Not a fan-in delivery (no defer: the target's own event, or the requeue itself): it runs.
      expect(await gate.run('ms', 'MachineSet modified', async () => ({ listed: 1_000_000 }))).toEqual({
        listed: 1_000_000,
      });
      await expect(
        gate.run('ms', 'MachineSet modified', async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await gate.run('ms', 'Machine modified', async () => 'now', defer)).toBe('now');
    });

    it('schedules again when scheduling failed (the delivery fails and is retried)', async () => {
      const { gate } = await primed(40);
      let fail = true;
      const scheduled: number[] = [];
      const defer = async (d: number) => {
        if (fail) throw new Error('bus down');
        scheduled.push(d);
      };
      await expect(gate.run('ms', 'Machine modified', async () => 'x', defer)).rejects.toThrow('bus down');
      fail = false;
      expect(await gate.run('ms', 'Machine modified', async () => 'x', defer)).toBeUndefined();
      expect(scheduled).toEqual([40 * WAIT_PER_OBJECT_MS]);
    });

    it('leaves the next delivery to schedule again when a run started while its requeue was being published', async () => {
      const { gate } = await primed(40);
      const scheduled: number[] = [];
      let release: () => void = () => {};
      const slow = (d: number) =>
        new Promise<void>((resolve) => {
          scheduled.push(d);
          release = resolve;
        });
      const fast = async (d: number) => {
        scheduled.push(d);
      };
      const gathered = gate.run('ms', 'Machine modified', async () => 'x', slow);
      // The requeue arrives (a targeted event: no defer) and runs before the publish returns.
      expect(await gate.run('ms', 'requeue', async () => ({ listed: 40 }))).toEqual({ listed: 40 });
      release();
      expect(await gathered).toBeUndefined();
      // The next fan-in delivery is not covered by a requeue already spent: it schedules one.
      expect(await gate.run('ms', 'Machine modified', async () => 'x', fast)).toBeUndefined();
      expect(scheduled).toHaveLength(2);
    });

    it('keeps no budget for a run that listed a few objects', async () => {
      const { gate, defer } = await primed(OBJECTS_PER_EVENT);
      expect(await gate.run('ms', 'Machine modified', async () => 'now', defer)).toBe('now');
    });
  });
});
