// Drain decisions and the DrainingSucceeded message, as upstream's drain package makes them.
import { describe, expect, it } from 'vitest';
import {
  drainBehavior,
  drainCompleted,
  drainConditionMessage,
  evictionFor,
  type Pod,
  planDrain,
} from './drain-plan.ts';

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

describe('MachineDrainRules in the plan', () => {
  const rules = (p: Pod) =>
    p.metadata.labels?.app === 'logs'
      ? { behavior: 'Drain' as const, order: 10, rule: 'logs-last' }
      : p.metadata.labels?.app === 'agent'
        ? { behavior: 'Skip' as const, order: 0, rule: 'agents-stay' }
        : p.metadata.labels?.app === 'batch'
          ? { behavior: 'WaitCompleted' as const, order: 0, rule: 'batch-finishes' }
          : undefined;

  it('evicts the lowest order first, keeps Skip pods, waits for WaitCompleted pods at order 0', () => {
    const plan = planDrain(
      [
        pod('web', { app: 'web' }),
        pod('logs', { app: 'logs' }),
        pod('agent', { app: 'agent' }),
        pod('job', { app: 'batch' }),
      ],
      { ...opts, rules },
    );
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(['web']);
    expect(plan.evictLater.map((p) => p.metadata.name)).toEqual(['logs']);
    expect(plan.wait.map((p) => p.metadata.name)).toEqual(['job']);
    expect(plan.skip).toEqual([
      {
        pod: expect.objectContaining({ metadata: expect.objectContaining({ name: 'agent' }) }),
        why: 'MachineDrainRule agents-stay',
      },
    ]);
  });

  it('lets the pod label override a rule', () => {
    const plan = planDrain([pod('logs', { app: 'logs', 'cluster.x-k8s.io/drain': 'skip' })], { ...opts, rules });
    expect(plan.skip.map((s) => s.why)).toEqual(['label cluster.x-k8s.io/drain=skip']);
  });

  it('evicts the higher order once the lower is gone', () => {
    const plan = planDrain([pod('logs', { app: 'logs' })], { ...opts, rules });
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(['logs']);
    expect(plan.evictLater).toEqual([]);
  });

  it('says what follows in the condition', () => {
    const msg = drainConditionMessage(
      { deleting: [pod('web')], failed: new Map(), waitCompleted: [], toEvict: [], evictLater: [pod('logs')] },
      't',
    );
    expect(msg.split('\n').at(-1)).toBe(
      'After above Pods have been removed from the Node, the following Pods will be evicted: apps/logs',
    );
  });
});

describe('evictionFor', () => {
  it('overrides the grace period to 1 s on an unreachable Node only', () => {
    expect(evictionFor(pod('web'), true)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web', namespace: 'apps' },
      deleteOptions: { gracePeriodSeconds: 1 },
    });
    expect(evictionFor(pod('web'), false)).not.toHaveProperty('deleteOptions');
  });

  it('skips a pod terminating on an unreachable Node 1 s after its deletion', () => {
    const terminating = pod('web', undefined, { deletionTimestamp: '2026-12-03T23:59:58Z' });
    expect(planDrain([terminating], { ...opts, nodeUnreachable: true }).skip.map((s) => s.why)).toEqual([
      'terminating on an unreachable node',
    ]);
    expect(planDrain([terminating], opts).wait).toHaveLength(1);
  });
});
