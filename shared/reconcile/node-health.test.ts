import { describe, expect, it } from 'vitest';
import { setMetaCondition } from '../conditions/conditions.ts';
import { nodeReadyCondition } from './node-health.ts';

const now = new Date('2026-11-23T12:00:00Z');

describe('the Machine’s NodeReady mirror', () => {
  it('carries the Node’s Ready status, message and transition time', () => {
    const c = nodeReadyCondition(
      {
        conditions: [
          { type: 'Ready', status: 'False', message: 'runtime down', lastTransitionTime: '2026-11-23T11:00:00Z' },
        ],
      },
      undefined,
      3,
      now,
    );
    expect(c).toEqual({
      type: 'NodeReady',
      status: 'False',
      reason: 'NodeNotReady',
      message: 'runtime down',
      lastTransitionTime: '2026-11-23T11:00:00Z',
      observedGeneration: 3,
    });
    expect(nodeReadyCondition({ conditions: [{ type: 'Ready', status: 'Unknown' }] }, undefined, 1, now)).toMatchObject(
      {
        status: 'Unknown',
        reason: 'NodeReadyUnknown',
        lastTransitionTime: '2026-11-23T12:00:00Z',
      },
    );
  });

  it('no Node: Unknown while none exists, False once the referenced Node is gone; the time moves only on a change', () => {
    const none = nodeReadyCondition(undefined, undefined, 1, now, 'NodeDoesNotExist');
    expect(none).toMatchObject({ status: 'Unknown', reason: 'NodeDoesNotExist' });
    const later = new Date(now.getTime() + 60_000);
    expect(nodeReadyCondition(undefined, none, 1, later, 'NodeDoesNotExist').lastTransitionTime).toBe(
      none.lastTransitionTime,
    );
    expect(nodeReadyCondition(undefined, none, 1, later, 'NodeDeleted')).toMatchObject({
      status: 'False',
      reason: 'NodeDeleted',
      lastTransitionTime: '2026-11-23T12:01:00Z',
    });
    expect(nodeReadyCondition({ conditions: [] }, undefined, 1, now)).toMatchObject({
      status: 'Unknown',
      reason: 'NodeConditionsUnknown',
    });
  });

  it('replaces the condition of its type and keeps the list sorted', () => {
    const paused = {
      type: 'Paused',
      status: 'False' as const,
      reason: 'NotPaused',
      message: '',
      lastTransitionTime: 'x',
    };
    const old = { ...paused, type: 'NodeReady', status: 'Unknown' as const };
    const next = { ...paused, type: 'NodeReady', status: 'True' as const };
    expect(setMetaCondition([paused, old], next)).toEqual([next, paused]);
  });
});
