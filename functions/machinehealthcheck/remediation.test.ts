// Whether remediation is allowed, and what the MachineHealthCheck and the MachineSet write, as tables.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { planRemediation } from '../machineset/remediation.ts';
import { allowance, scaledMax, targetConditions } from './remediation.ts';

describe('MachineHealthCheck allowance', () => {
  it.each([
    [{ maxUnhealthy: '40%' }, 5, 3, { allowed: true, remediationsAllowed: 0 }],
    [{ maxUnhealthy: '40%' }, 5, 2, { allowed: false, remediationsAllowed: 0 }],
    [{ maxUnhealthy: 1 }, 3, 2, { allowed: true, remediationsAllowed: 0 }],
    [{ maxUnhealthy: 1 }, 3, 1, { allowed: false, remediationsAllowed: 0 }],
    [{}, 3, 0, { allowed: true, remediationsAllowed: 0 }],
    [{ maxUnhealthy: '100%' }, 4, 3, { allowed: true, remediationsAllowed: 3 }],
    [{ unhealthyRange: '[1-3]', maxUnhealthy: 0 }, 5, 4, { allowed: true, remediationsAllowed: 2 }],
    [{ unhealthyRange: '[1-3]' }, 5, 5, { allowed: false, remediationsAllowed: 0 }],
    [{ unhealthyRange: '[1-3]' }, 5, 1, { allowed: false, remediationsAllowed: 0 }],
  ])('%j with %i targets, %i healthy', (spec, expected, healthy, want) => {
    expect(allowance(spec, expected, healthy)).toMatchObject(want);
  });

  it('says why not, in upstream’s words', () => {
    expect(allowance({ maxUnhealthy: 1 }, 3, 1).message).toBe(
      'Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 3, unhealthy: 2, maxUnhealthy: 1)',
    );
    expect(scaledMax('33%', 10)).toBe(3);
  });
});

describe('conditions on a target', () => {
  const unhealthy = { kind: 'unhealthy', reason: 'UnhealthyNode', message: 'Ready False' } as const;
  it('marks an unhealthy machine for its owner only when allowed, never over the owner’s own progress', () => {
    expect(
      targetConditions(unhealthy, [], { allowed: true, external: false, deleting: false }).map(
        (c) => `${c.type}=${c.status}/${c.reason ?? ''}`,
      ),
    ).toEqual(['HealthCheckSucceeded=False/UnhealthyNode', 'OwnerRemediated=False/WaitingForRemediation']);
    expect(targetConditions(unhealthy, [], { allowed: false, external: false, deleting: false })).toHaveLength(1);
    expect(targetConditions(unhealthy, [], { allowed: true, external: true, deleting: false })).toHaveLength(1);
    const inProgress = [{ type: 'OwnerRemediated', status: 'False', reason: 'Remediating', lastTransitionTime: 'x' }];
    expect(
      targetConditions(unhealthy, inProgress as never, { allowed: true, external: false, deleting: false }),
    ).toHaveLength(1);
    expect(targetConditions({ kind: 'healthy' }, [], { allowed: true, external: false, deleting: false })).toEqual([
      { type: 'HealthCheckSucceeded', status: 'True' },
    ]);
    expect(targetConditions({ kind: 'not-healthy' }, [], { allowed: true, external: false, deleting: false })).toEqual(
      [],
    );
  });
});

describe('MachineSet remediation plan', () => {
  const m = (name: string, created: number, conds: Array<[string, string]>, annotations = {}): Machine =>
    ({
      metadata: { name, creationTimestamp: new Date(created * 1000).toISOString(), annotations },
      status: { conditions: conds.map(([type, status]) => ({ type, status, lastTransitionTime: 'x' })) },
    }) as never;
  it('deletes the marked ones, annotated first then newest; clears a recovered machine’s mark', () => {
    const bad = [
      ['HealthCheckSucceeded', 'False'],
      ['OwnerRemediated', 'False'],
    ] as Array<[string, string]>;
    const plan = planRemediation([
      m('old', 1, bad),
      m('new', 3, bad),
      m('asked', 0, bad, { 'cluster.x-k8s.io/remediate-machine': '' }),
      m('recovered', 2, [
        ['HealthCheckSucceeded', 'True'],
        ['OwnerRemediated', 'False'],
      ]),
      m('not-marked', 2, [['HealthCheckSucceeded', 'False']]),
      { ...m('deleting', 4, bad), metadata: { name: 'deleting', deletionTimestamp: 'x' } } as never,
    ]);
    expect(plan.remediate.map((x) => x.metadata.name)).toEqual(['asked', 'new', 'old']);
    expect(plan.recovered.map((x) => x.metadata.name)).toEqual(['recovered']);
  });
});
