// readyReplicas and availableReplicas as upstream counts them: the Node's Ready condition (noderefutil.IsNodeReady)
// and minReadySeconds from the Node's Ready transition (IsNodeAvailable), read from the Machine's NodeReady mirror.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import { computeStatus, deletingCondition } from './status.ts';

const now = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function machine(
  name: string,
  o: { nodeReady?: ['True' | 'False' | 'Unknown', number]; nodeHealthy?: ['True' | 'False', number] },
): Machine {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: { name, namespace: 'ns' },
    spec: { clusterName: 'c', bootstrap: { dataSecretName: 's' }, infrastructureRef: { name } },
    status: {
      nodeRef: { apiVersion: 'v1', kind: 'Node', name },
      ...(o.nodeHealthy
        ? { conditions: [{ type: 'NodeHealthy', status: o.nodeHealthy[0], lastTransitionTime: ago(o.nodeHealthy[1]) }] }
        : {}),
      ...(o.nodeReady
        ? {
            v1beta2: {
              conditions: [
                {
                  type: 'NodeReady',
                  status: o.nodeReady[0],
                  reason: 'NodeReady',
                  message: '',
                  lastTransitionTime: ago(o.nodeReady[1]),
                },
              ],
            },
          }
        : {}),
    },
  } as Machine;
}

function set(minReadySeconds?: number): MachineSet {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineSet',
    metadata: { name: 'workers', namespace: 'ns', generation: 1 },
    spec: {
      clusterName: 'c',
      replicas: 3,
      ...(minReadySeconds !== undefined ? { minReadySeconds } : {}),
      selector: { matchLabels: { a: 'b' } },
      template: { spec: { clusterName: 'c', bootstrap: { dataSecretName: 's' }, infrastructureRef: { name: 't' } } },
    },
  } as MachineSet;
}

describe('MachineSet readiness', () => {
  it('counts a Node that is Ready under disk pressure (NodeHealthy False) as ready, as upstream does', () => {
    const { status } = computeStatus({
      ms: set(),
      counted: [machine('a', { nodeReady: ['True', 600], nodeHealthy: ['False', 10] })],
      now,
    });
    expect(status.readyReplicas).toBe(1);
    expect(status.availableReplicas).toBe(1);
  });

  it('does not count a NotReady or unreachable Node, whatever NodeHealthy last said', () => {
    const { status } = computeStatus({
      ms: set(),
      counted: [
        machine('a', { nodeReady: ['False', 5], nodeHealthy: ['True', 600] }),
        machine('b', { nodeReady: ['Unknown', 5], nodeHealthy: ['True', 600] }),
      ],
      now,
    });
    expect(status.readyReplicas).toBe(0);
  });

  it('measures minReadySeconds from the Node’s Ready transition, not from when the Machine noticed it', () => {
    const { status, requeueAfterMs } = computeStatus({
      ms: set(60),
      counted: [
        // Ready for 90 s; the Machine's own condition only turned True 5 s ago.
        machine('a', { nodeReady: ['True', 90], nodeHealthy: ['True', 5] }),
        machine('b', { nodeReady: ['True', 30], nodeHealthy: ['True', 30] }),
      ],
      now,
    });
    expect(status.readyReplicas).toBe(2);
    expect(status.availableReplicas).toBe(1);
    // b becomes available 30 s from now; the handler looks again just after.
    expect(requeueAfterMs).toBe(31_000);
  });

  it('a Machine written before NodeReady was mirrored counts by NodeHealthy until the next pass', () => {
    const { status } = computeStatus({ ms: set(), counted: [machine('a', { nodeHealthy: ['True', 60] })], now });
    expect(status.readyReplicas).toBe(1);
  });
});

describe('the Deleting condition', () => {
  it('False while the set lives; True with what is left while it is deleted; its time moves only on a change', () => {
    const live = deletingCondition(set(), [], now);
    expect(live).toMatchObject({ type: 'Deleting', status: 'False', reason: 'NotDeleting', message: '' });
    const gone = { ...set(), metadata: { ...set().metadata, deletionTimestamp: ago(1) } } as MachineSet;
    const later = new Date(now.getTime() + 5_000);
    const two = deletingCondition(gone, [machine('a', {}), machine('b', {})], later);
    expect(two).toMatchObject({ status: 'True', reason: 'Deleting', message: 'Deleting 2 Machines' });
    expect(two.lastTransitionTime).toBe('2026-11-23T12:00:05Z');
    const withPrev = { ...gone, status: { v1beta2: { conditions: [two] } } } as MachineSet;
    const one = deletingCondition(withPrev, [machine('a', {})], new Date(now.getTime() + 60_000));
    expect(one).toMatchObject({ message: 'Deleting 1 Machine', lastTransitionTime: two.lastTransitionTime });
    expect(deletingCondition(withPrev, [], now).message).toBe('Deletion completed');
  });
});
