// Level-triggered and idempotent (DESIGN.md rule 1): replaying every event after convergence makes
// zero writes, and status writes do not loop.
import { afterEach, describe, expect, it } from 'vitest';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, sampleObjects } from '../support/sample.ts';
import { scaleTo, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('replay after convergence', () => {
  it('makes zero writes when every event is delivered again', async () => {
    env = await startCapiEnv();
    const published: ResourceEvent[] = [];
    const publish = env.bus.publish.bind(env.bus);
    env.bus.publish = async (events) => {
      published.push(...events);
      await publish(events);
    };
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleTo(env.kube, MS, 4);
    await waitConverged(env, MS, 4);
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    // Quiet: no handler keeps writing once converged (no status loop).
    const settled = env.ledger.writes.length;
    await new Promise((r) => setTimeout(r, 500));
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(env.ledger.writes.length).toBe(settled);

    const before = env.ledger.writes.length;
    const replay = published.map((e) => ({ ...e, id: `replay-${e.id}` }));
    expect(replay.length).toBeGreaterThan(20);
    await env.bus.publish(replay);
    await eventually('replayed events drained', async () => {
      await env!.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
      return true;
    });
    expect(env.ledger.writes.slice(before)).toEqual([]);
  });
});
