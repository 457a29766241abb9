import { describe, expect, it } from 'vitest';
import { MAX_WAIT_MS, OBJECTS_PER_EVENT, ReconcileGate } from './reconcile-gate.ts';

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
    expect(gate.stats).toEqual({ runs: 3, coalesced: 1 });
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
    /** A gate whose target "ms" last listed `listed` objects, on a clock the test moves. */
    async function primed(listed: number) {
      let t = 0;
      const gate = new ReconcileGate(() => t);
      await gate.run('ms', 'MachineSet modified', async () => ({ listed }));
      return { gate, advance: (ms: number) => (t += ms) };
    }

    it('gathers ceil(listed / OBJECTS_PER_EVENT) fan-in deliveries into one run', async () => {
      const { gate } = await primed(40);
      const threshold = Math.ceil(40 / OBJECTS_PER_EVENT);
      let runs = 0;
      const run = async () => {
        runs++;
        return { listed: 40 };
      };
      const first = gate.run('ms', 'Machine modified', run, true);
      const folded: Promise<unknown>[] = [];
      for (let i = 1; i < threshold - 1; i++) folded.push(gate.run('ms', 'Machine modified', run, true));
      await tick();
      expect(runs).toBe(0);
      // The last one needed: one run starts (the waiting one or this one), and everything gathered is answered by it.
      const last = gate.run('ms', 'Machine modified', run, true);
      const results = [await first, ...(await Promise.all(folded)), await last];
      expect(results.filter((r) => r !== undefined)).toEqual([{ listed: 40 }]);
      expect(runs).toBe(1);
    });

    it('runs a lone fan-in delivery by itself once it has waited listed × WAIT_PER_OBJECT_MS', async () => {
      const gate = new ReconcileGate();
      await gate.run('ms', 'MachineSet modified', async () => ({ listed: 40 }));
      let ran = false;
      const lone = gate.run(
        'ms',
        'Machine deleted',
        async () => {
          ran = true;
          return 'ran';
        },
        true,
      );
      await tick();
      expect(ran).toBe(false);
      // Nothing else arrives: its own timer (40 × WAIT_PER_OBJECT_MS) lets it run.
      expect(await lone).toBe('ran');
    });

    it("never holds back the target's own events or a failed run, and waits at most MAX_WAIT_MS", async () => {
      const { gate, advance } = await primed(1_000_000);
      let own = 0;
      const ownRun = async () => ({ listed: 1_000_000, own: ++own });
      expect(await gate.run('ms', 'MachineSet modified', ownRun)).toMatchObject({ own: 1 });
      let ran = 0;
      const waiting = gate.run('ms', 'Machine modified', async () => ++ran, true);
      await tick();
      expect(ran).toBe(0);
      // The own event's run started after the fan-in delivery arrived and read fresher state: it answers it.
      expect(await gate.run('ms', 'MachineSet modified', ownRun)).toMatchObject({ own: 2 });
      expect(await waiting).toBeUndefined();
      // However many objects were listed, a fan-in delivery waits MAX_WAIT_MS at most: the next one after that runs.
      const lone = gate.run('ms', 'Machine deleted', async () => ++ran, true);
      await tick();
      expect(ran).toBe(0);
      advance(MAX_WAIT_MS);
      expect(await gate.run('ms', 'Machine modified', async () => ++ran, true)).toBe(1);
      expect(await lone).toBe(2);
      // A run that throws leaves no budget behind: the next fan-in delivery runs at once.
      await expect(
        gate.run('ms', 'MachineSet modified', async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await gate.run('ms', 'Machine modified', async () => 'now', true)).toBe('now');
    });

    it('keeps no budget for a run that listed a few objects', async () => {
      const { gate } = await primed(OBJECTS_PER_EVENT);
      expect(await gate.run('ms', 'Machine modified', async () => 'now', true)).toBe('now');
    });
  });
});
