import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import {
  BETTER_DELETE,
  COULD_DELETE,
  deletePriority,
  isMachineUnhealthy,
  MUST_DELETE,
  machinesToDelete,
} from './deletion-order.ts';

const now = new Date('2026-11-23T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

function machine(
  name: string,
  opts: Partial<{
    created: string;
    deleting: boolean;
    annotate: boolean;
    nodeRef: boolean;
    failure: boolean;
    nodeHealthy: 'True' | 'False' | 'Unknown';
    hc: 'True' | 'False';
  }> = {},
): Machine {
  const conditions = [];
  if (opts.nodeHealthy)
    conditions.push({ type: 'NodeHealthy', status: opts.nodeHealthy, lastTransitionTime: daysAgo(1) });
  if (opts.hc) conditions.push({ type: 'HealthCheckSucceeded', status: opts.hc, lastTransitionTime: daysAgo(1) });
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: {
      name,
      namespace: 'ns',
      creationTimestamp: opts.created ?? daysAgo(1),
      ...(opts.deleting ? { deletionTimestamp: daysAgo(0) } : {}),
      ...(opts.annotate ? { annotations: { 'cluster.x-k8s.io/delete-machine': '' } } : {}),
    },
    spec: { clusterName: 'c', bootstrap: { dataSecretName: 'worker-user-data' }, infrastructureRef: { name: name } },
    status: {
      ...(opts.nodeRef === false ? {} : { nodeRef: { kind: 'Node', name } }),
      ...(opts.failure ? { failureReason: 'UpdateError' } : {}),
      conditions,
    },
  } as Machine;
}

describe('deletion priority', () => {
  it('puts deleting, then annotated, then unhealthy machines first under every policy', () => {
    for (const policy of ['Random', 'Newest', 'Oldest'] as const) {
      expect(deletePriority(policy, machine('a', { deleting: true }), now)).toBe(MUST_DELETE);
      expect(deletePriority(policy, machine('a', { annotate: true }), now)).toBe(BETTER_DELETE);
      expect(deletePriority(policy, machine('a', { nodeRef: false }), now)).toBe(COULD_DELETE);
      expect(deletePriority(policy, machine('a', { failure: true }), now)).toBe(COULD_DELETE);
      expect(deletePriority(policy, machine('a', { nodeHealthy: 'False' }), now)).toBe(COULD_DELETE);
      expect(deletePriority(policy, machine('a', { hc: 'False' }), now)).toBe(COULD_DELETE);
    }
  });

  it('does not treat Unknown node health as unhealthy', () => {
    expect(isMachineUnhealthy(machine('a', { nodeHealthy: 'Unknown' }))).toBe(false);
    expect(isMachineUnhealthy(machine('a', { nodeHealthy: 'True' }))).toBe(false);
  });

  it('Oldest deletes the oldest healthy machines, Newest the youngest, both below unhealthy', () => {
    const ms = [
      machine('old', { created: daysAgo(30) }),
      machine('mid', { created: daysAgo(5) }),
      machine('new', { created: daysAgo(0.1) }),
    ];
    expect(machinesToDelete('Oldest', ms, 2, now).map((m) => m.metadata.name)).toEqual(['old', 'mid']);
    expect(machinesToDelete('Newest', ms, 2, now).map((m) => m.metadata.name)).toEqual(['new', 'mid']);
    for (const m of ms) {
      expect(deletePriority('Oldest', m, now)).toBeLessThan(COULD_DELETE);
      expect(deletePriority('Newest', m, now)).toBeLessThan(COULD_DELETE + 0.0001);
    }
  });

  it('Random is deterministic: equal scores break ties by name', () => {
    const ms = [machine('c'), machine('a'), machine('b')];
    expect(machinesToDelete('Random', ms, 2, now).map((m) => m.metadata.name)).toEqual(['a', 'b']);
    expect(machinesToDelete(undefined, ms, 1, now).map((m) => m.metadata.name)).toEqual(['a']);
  });

  it('counts machines already deleting as progress instead of picking more', () => {
    const ms = [
      machine('a'),
      machine('b', { deleting: true }),
      machine('c', { annotate: true }),
      machine('d', { nodeRef: false }),
    ];
    expect(machinesToDelete('Random', ms, 3, now).map((m) => m.metadata.name)).toEqual(['b', 'c', 'd']);
  });

  it('gives future creation timestamps the lowest age score', () => {
    expect(
      deletePriority('Oldest', machine('f', { created: new Date(now.getTime() + 60_000).toISOString() }), now),
    ).toBe(0);
  });
});
