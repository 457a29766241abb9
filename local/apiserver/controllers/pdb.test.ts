import { describe, expect, it } from 'vitest';
import { computePdbStatus } from './pdb.ts';

const pod = (name: string, ready: boolean, labels = { app: 'a' }, deleting = false) => ({
  metadata: { name, labels, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const pdb = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({
  metadata: { name: 'b', generation: 2 },
  spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
  status,
});

describe('PodDisruptionBudget status', () => {
  const pods = [
    pod('p1', true),
    pod('p2', true),
    pod('p3', false),
    pod('p4', true, { app: 'x' }),
    pod('p5', true, { app: 'a' }, true),
  ];

  it('minAvailable as a number and a percentage', () => {
    expect(computePdbStatus(pdb({ minAvailable: 1 }), pods, Date.now())).toMatchObject({
      observedGeneration: 2,
      expectedPods: 4,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
    });
    expect(computePdbStatus(pdb({ minAvailable: '100%' }), pods, Date.now())).toMatchObject({
      desiredHealthy: 4,
      disruptionsAllowed: 0,
    });
  });

  it('maxUnavailable, and pods recently disrupted count as unhealthy', () => {
    const now = Date.now();
    expect(computePdbStatus(pdb({ maxUnavailable: 1 }), pods, now)).toMatchObject({
      desiredHealthy: 3,
      disruptionsAllowed: 0,
    });
    const withDisrupted = computePdbStatus(
      pdb({ minAvailable: 1 }, { disruptedPods: { p1: new Date(now).toISOString() } }),
      pods,
      now,
    );
    expect(withDisrupted).toMatchObject({
      currentHealthy: 1,
      disruptionsAllowed: 0,
      disruptedPods: { p1: expect.any(String) },
    });
    const expired = computePdbStatus(
      pdb({ minAvailable: 1 }, { disruptedPods: { p1: new Date(now - 3 * 60_000).toISOString() } }),
      pods,
      now,
    );
    expect(expired.disruptedPods).toBeUndefined();
  });
});
