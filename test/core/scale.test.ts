// The correctness properties of DESIGN.md against the embedded API server, the real bus and runtime.
import { afterEach, describe, expect, it } from 'vitest';
import { type CapiEnv, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, sampleObjects } from '../support/sample.ts';
import { scaleWalk } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('MachineSet scaling on the local provider', () => {
  it('converges to exactly the requested machines through 0 → 5 → 2 → 7 → 0', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(env, MS, [0, 5, 2, 7, 0]);
    expect(await env.bus.deadLetters()).toEqual([]);
  });

  it('holds with every event delivered three times, shuffled, and eight concurrent copies', async () => {
    env = await startCapiEnv({ chaos: { duplicates: 3, shuffle: true, concurrentCopies: 8, seed: 7 } });
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(env, MS, [0, 5, 2, 7, 0], { timeoutMs: 120_000 });
  }, 300_000);
});
