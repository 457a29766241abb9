// "A handler killed between any two external calls still converges with no duplicate and no orphan":
// every delivery's first attempt dies right after its k-th API or cloud call, for every k up to the
// most calls any delivery makes in this scenario; the retry then finds what the dead attempt left.
import { afterEach, describe, expect, it } from 'vitest';
import { type CapiEnv, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, sampleObjects } from '../support/sample.ts';
import { scaleWalk } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
/** Covers the longest deliveries of the scale-up and deletion paths (measured: see the closing note). */
const MAX_K = Number(process.env.CAPI_FN_CRASH_MAX_K ?? 24);

let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('crash after the k-th external call', () => {
  it(`covers every call of the longest delivery (MAX_K = ${MAX_K})`, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(env, MS, [3, 1, 0]);
    const longest = Math.max(...env.ledger.maxCallsPerDelivery.values());
    expect(longest, `a delivery made ${longest} external calls: raise MAX_K to cover them`).toBeLessThanOrEqual(MAX_K);
    expect(longest).toBeGreaterThan(3);
  });

  for (let k = 1; k <= MAX_K; k++) {
    it(`converges with no duplicate and no orphan when every first attempt dies after call ${k}`, async () => {
      env = await startCapiEnv({ crashAfter: k });
      await createAll(env.kube, sampleObjects({ replicas: 0 }));
      await scaleWalk(env, MS, [3, 1, 0], { timeoutMs: 90_000 });
      // A crash happened whenever some delivery made at least k calls (the longest varies with batching).
      const longest = Math.max(...env.ledger.maxCallsPerDelivery.values());
      expect(env.ledger.crashes > 0 || longest < k, `no crash although a delivery made ${longest} calls`).toBe(true);
      if (k <= 10) expect(env.ledger.crashes).toBeGreaterThan(0);
      expect(env.cloud.live()).toEqual([]);
    }, 120_000);
  }
});
