// Which MachineDrainRules apply to a Machine and which one decides for a pod, as upstream selects them.
import { describe, expect, it } from 'vitest';
import type { MachineDrainRule } from '../../shared/api/capi/machinedrainrule.ts';
import type { Pod } from './drain-plan.ts';
import { podDrainBehavior, rulesForMachine } from './drain-rules.ts';

const rule = (name: string, spec: MachineDrainRule['spec']): MachineDrainRule =>
  ({
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineDrainRule',
    metadata: { name, namespace: 'ns' },
    spec,
  }) as MachineDrainRule;
const pod = (ns: string, labels: Record<string, string>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: ns, labels },
});
const nsLabels = (ns: string) => ({
  'kubernetes.io/metadata.name': ns,
  ...(ns === 'monitoring' ? { tier: 'ops' } : {}),
});

describe('rulesForMachine', () => {
  const all = [
    rule('z-everywhere', { drain: { behavior: 'Drain', order: 5 } }),
    rule('a-workers-prod', {
      drain: { behavior: 'Skip' },
      machines: [
        {
          selector: { matchExpressions: [{ key: 'cluster.x-k8s.io/control-plane', operator: 'DoesNotExist' }] },
          clusterSelector: { matchLabels: { env: 'prod' } },
        },
      ],
    }),
  ];

  it('keeps the rules whose machine entry matches both selectors, sorted by name', () => {
    expect(rulesForMachine(all, {}, { env: 'prod' }).map((r) => r.metadata.name)).toEqual([
      'a-workers-prod',
      'z-everywhere',
    ]);
    expect(rulesForMachine(all, {}, { env: 'dev' }).map((r) => r.metadata.name)).toEqual(['z-everywhere']);
    expect(
      rulesForMachine(all, { 'cluster.x-k8s.io/control-plane': '' }, { env: 'prod' }).map((r) => r.metadata.name),
    ).toEqual(['z-everywhere']);
  });
});

describe('podDrainBehavior', () => {
  const rules = [
    rule('a-monitoring-last', {
      drain: { behavior: 'Drain', order: 100 },
      pods: [{ namespaceSelector: { matchLabels: { tier: 'ops' } } }],
    }),
    rule('b-batch', { drain: { behavior: 'WaitCompleted' }, pods: [{ selector: { matchLabels: { app: 'batch' } } }] }),
    rule('c-all', { drain: { behavior: 'Drain', order: -1 } }),
  ];

  it('takes the first rule by name that selects the pod, by its labels or its namespace’s', () => {
    expect(podDrainBehavior(pod('monitoring', { app: 'batch' }), rules, nsLabels)).toEqual({
      behavior: 'Drain',
      order: 100,
      rule: 'a-monitoring-last',
    });
    expect(podDrainBehavior(pod('apps', { app: 'batch' }), rules, nsLabels)).toMatchObject({
      behavior: 'WaitCompleted',
      order: 0,
    });
    expect(podDrainBehavior(pod('apps', { app: 'web' }), rules, nsLabels)).toMatchObject({ rule: 'c-all', order: -1 });
    expect(podDrainBehavior(pod('apps', { app: 'web' }), rules.slice(0, 2), nsLabels)).toBeUndefined();
  });
});
