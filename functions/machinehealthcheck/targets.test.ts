// MachineHealthCheck verdicts (upstream's needsRemediation), as a table: Machine + Node + Cluster + now → verdict.
import { describe, expect, it } from 'vitest';
import { judge, type TargetMachine, type TargetNode, type Verdict } from './targets.ts';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1_000);
const iso = (s: number) => at(s).toISOString();
const ready = (status: string, since: number): TargetNode => ({
  status: { conditions: [{ type: 'Ready', status, lastTransitionTime: iso(since) }] },
});
const clusterOK = {
  infrastructureReady: true,
  conditions: [
    { type: 'InfrastructureReady', status: 'True', lastTransitionTime: iso(-600) },
    { type: 'ControlPlaneInitialized', status: 'True', lastTransitionTime: iso(-600) },
  ],
} as never;
const spec = {
  unhealthyConditions: [
    { type: 'Ready', status: 'False', timeout: '300s' },
    { type: 'Ready', status: 'Unknown', timeout: '5m' },
  ],
  nodeStartupTimeout: '10m',
};
const machine = (o: Partial<TargetMachine['metadata']> = {}, status: TargetMachine['status'] = {}): TargetMachine => ({
  metadata: { name: 'm', creationTimestamp: iso(-60), ...o },
  status,
});
const withNode = { nodeRef: { name: 'n' } };

const cases: Array<[string, TargetMachine, TargetNode | 'missing' | undefined, number, unknown, Verdict]> = [
  ['a Ready Node is healthy', machine({}, withNode), ready('True', -100), 0, clusterOK, { kind: 'healthy', note: '' }],
  [
    'the remediate-machine annotation wins over everything',
    machine({ annotations: { 'cluster.x-k8s.io/remediate-machine': '' } }, withNode),
    ready('True', -100),
    0,
    clusterOK,
    { kind: 'unhealthy', reason: 'HasRemediateMachineAnnotation', message: expect.any(String) as never },
  ],
  [
    'a failed Machine',
    machine({}, { ...withNode, failureReason: 'UpdateError', failureMessage: 'instance i-1 no longer exists' }),
    ready('True', -100),
    0,
    clusterOK,
    {
      kind: 'unhealthy',
      reason: 'MachineHasFailure',
      message: 'Machine has failed: UpdateError: instance i-1 no longer exists',
    },
  ],
  [
    'a Node that existed and is gone',
    machine({}, withNode),
    'missing',
    0,
    clusterOK,
    { kind: 'unhealthy', reason: 'NodeNotFound', message: 'Node n no longer exists' },
  ],
  [
    'Ready=False within its timeout: still healthy, judged again when it expires',
    machine({}, withNode),
    ready('False', -100),
    0,
    clusterOK,
    { kind: 'healthy', note: expect.stringContaining('timeout has not expired') as never, recheckAt: at(201) },
  ],
  [
    'Ready=False past its timeout',
    machine({}, withNode),
    ready('False', -301),
    0,
    clusterOK,
    {
      kind: 'unhealthy',
      reason: 'UnhealthyNode',
      message: 'Condition Ready on Node is reporting status False for more than 300s',
    },
  ],
  [
    'Ready=Unknown past its own timeout',
    machine({}, withNode),
    ready('Unknown', -400),
    0,
    clusterOK,
    {
      kind: 'unhealthy',
      reason: 'UnhealthyNode',
      message: 'Condition Ready on Node is reporting status Unknown for more than 5m',
    },
  ],
  [
    'no Node within nodeStartupTimeout: neither healthy nor unhealthy, rechecked at the deadline',
    machine(),
    undefined,
    0,
    clusterOK,
    { kind: 'not-healthy', note: 'waiting for a Node', recheckAt: at(541) },
  ],
  [
    'no Node after nodeStartupTimeout',
    machine(),
    undefined,
    541,
    clusterOK,
    { kind: 'unhealthy', reason: 'NodeStartupTimeout', message: 'Node failed to report startup in 10m' },
  ],
  [
    'the startup clock starts when the Machine infrastructure became ready, if later',
    machine(
      {},
      { conditions: [{ type: 'InfrastructureReady', status: 'True', lastTransitionTime: iso(100) } as never] },
    ),
    undefined,
    650,
    clusterOK,
    { kind: 'not-healthy', note: 'waiting for a Node', recheckAt: at(701) },
  ],
  [
    'control plane not initialized: a worker is not judged',
    machine(),
    undefined,
    3_600,
    { infrastructureReady: true, conditions: [] },
    { kind: 'not-healthy', note: 'the Cluster control plane is not initialized yet' },
  ],
  [
    'a deleting Machine with a Node is not healthy',
    machine({ deletionTimestamp: iso(-1) }, withNode),
    ready('True', -100),
    0,
    clusterOK,
    { kind: 'not-healthy', note: 'the Machine is being deleted' },
  ],
];

describe('MachineHealthCheck verdicts', () => {
  it.each(cases)('%s', (_what, m, node, now, cluster, want) => {
    expect(judge(m, node, cluster as never, spec, at(now))).toEqual(want);
  });

  it('nodeStartupTimeout 0 disables the startup check', () => {
    expect(judge(machine(), undefined, clusterOK, { ...spec, nodeStartupTimeout: '0s' }, at(99_999))).toEqual({
      kind: 'not-healthy',
      note: 'waiting for a Node (nodeStartupTimeout 0: no limit)',
    });
  });
});
