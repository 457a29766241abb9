import { describe, expect, it } from 'vitest';
import { ReconcileGate } from './reconcile-gate.ts';

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
});
