// Drain decisions and the DrainingSucceeded message, as upstream's drain package makes them.
import { describe, expect, it } from 'vitest';
import { drainBehavior, drainCompleted, drainConditionMessage, type Pod, planDrain } from './drain-plan.ts';

const now = new Date('2026-12-04T00:00:00Z');
const pod = (name: string, labels?: Record<string, string>, extra: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps', ...(labels ? { labels } : {}), ...extra },
  status: { phase: 'Running' },
});
const opts = { nodeUnreachable: false, existingDaemonSets: new Set<string>(), now };

describe('the cluster.x-k8s.io/drain label', () => {
  it('is read in any letter case, wait-completed also without its hyphen', () => {
    for (const v of ['skip', 'Skip', 'SKIP']) expect(drainBehavior(v)).toBe('skip');
    for (const v of ['wait-completed', 'WaitCompleted', 'Wait-Completed', 'waitcompleted'])
      expect(drainBehavior(v)).toBe('wait-completed');
    for (const v of [undefined, '', 'drain', 'wait--completed']) expect(drainBehavior(v)).toBeUndefined();
  });

  it('skips, waits for or evicts accordingly', () => {
    const plan = planDrain(
      [
        pod('a', { 'cluster.x-k8s.io/drain': 'Skip' }),
        pod('b', { 'cluster.x-k8s.io/drain': 'WaitCompleted' }),
        pod('c'),
      ],
      opts,
    );
    expect(plan.skip.map((s) => s.pod.metadata.name)).toEqual(['a']);
    expect(plan.wait.map((p) => p.metadata.name)).toEqual(['b']);
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(['c']);
  });
});

describe('drainConditionMessage', () => {
  it('lists what is terminating, each refused eviction with its pods, and what is waited for', () => {
    const failed = new Map([
      [
        "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently",
        [pod('web-1'), pod('web-2'), pod('web-3'), pod('web-4')],
      ],
      ['This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', [pod('db')]],
    ]);
    const outcome = { deleting: [pod('cache')], failed, waitCompleted: [pod('job-1'), pod('job-2')], toEvict: [] };
    expect(drainCompleted(outcome)).toBe(false);
    expect(drainConditionMessage(outcome, '2026-12-04T00:00:00Z')).toBe(
      [
        'Drain not completed yet (started at 2026-12-04T00:00:00Z):',
        '* Pod apps/cache: deletionTimestamp set, but still not removed from the Node',
        "* Pods apps/web-1, apps/web-2, apps/web-3, ... (1 more): cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently",
        '* Pod apps/db: failed to evict Pod, This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        '* Pods apps/job-1, apps/job-2: waiting for completion',
      ].join('\n'),
    );
  });

  it('shows five failures and counts the pods of the rest', () => {
    const failed = new Map(
      Array.from({ length: 7 }, (_, i) => [`error ${i}`, i === 6 ? [pod(`p${i}`), pod(`q${i}`)] : [pod(`p${i}`)]]),
    );
    const lines = drainConditionMessage({ deleting: [], failed, waitCompleted: [], toEvict: [] }, 't').split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[5]).toBe('* Pod apps/p4: failed to evict Pod, error 4');
    expect(lines[6]).toBe('* 3 Pods with other issues');
  });

  it('is complete when nothing is left', () => {
    expect(drainCompleted({ deleting: [], failed: new Map(), waitCompleted: [], toEvict: [] })).toBe(true);
  });
});
