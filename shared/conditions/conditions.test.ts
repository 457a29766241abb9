import { describe, expect, it } from 'vitest';
import { aggregate, falseCondition, mirror, setCondition, summary, trueCondition } from './conditions.ts';

const t0 = new Date('2026-11-23T10:00:00.700Z');
const t1 = new Date('2026-11-23T10:05:00Z');

describe('v1beta1 conditions', () => {
  it('keeps lastTransitionTime when nothing changes and returns an equal list (no write on replay)', () => {
    const a = setCondition(
      undefined,
      falseCondition('InfrastructureReady', 'WaitingForInfrastructure', 'Info', 'x'),
      t0,
    );
    expect(a[0]!.lastTransitionTime).toBe('2026-11-23T10:00:00Z');
    const b = setCondition(a, falseCondition('InfrastructureReady', 'WaitingForInfrastructure', 'Info', 'x'), t1);
    expect(b).toEqual(a);
  });

  it('moves lastTransitionTime when status, reason, severity or message change', () => {
    const a = setCondition(undefined, falseCondition('X', 'A', 'Info', 'm'), t0);
    expect(setCondition(a, falseCondition('X', 'A', 'Info', 'other'), t1)[0]!.lastTransitionTime).toBe(
      '2026-11-23T10:05:00Z',
    );
    expect(setCondition(a, falseCondition('X', 'A', 'Warning', 'm'), t1)[0]!.lastTransitionTime).toBe(
      '2026-11-23T10:05:00Z',
    );
  });

  it('orders Ready first, then alphabetically', () => {
    let c = setCondition(undefined, trueCondition('Zeta'), t0);
    c = setCondition(c, trueCondition('Alpha'), t0);
    c = setCondition(c, trueCondition('Ready'), t0);
    expect(c.map((x) => x.type)).toEqual(['Ready', 'Alpha', 'Zeta']);
  });

  it('mirrors a source Ready or falls back', () => {
    const src = [
      {
        type: 'Ready',
        status: 'False' as const,
        severity: 'Warning' as const,
        reason: 'InstanceStopped',
        message: 'stopped',
        lastTransitionTime: 'x',
      },
    ];
    expect(mirror('InfrastructureReady', src, trueCondition('InfrastructureReady'))).toEqual({
      type: 'InfrastructureReady',
      status: 'False',
      reason: 'InstanceStopped',
      severity: 'Warning',
      message: 'stopped',
    });
    expect(
      mirror(
        'InfrastructureReady',
        undefined,
        falseCondition('InfrastructureReady', 'WaitingForInfrastructure', 'Info'),
      ),
    ).toMatchObject({ status: 'False', reason: 'WaitingForInfrastructure' });
  });

  it('summarises with the worst group and the first listed type in it', () => {
    let c = setCondition(undefined, falseCondition('BootstrapReady', 'WaitingForDataSecret', 'Info', 'b'), t0);
    c = setCondition(c, falseCondition('InfrastructureReady', 'Broken', 'Error', 'i'), t0);
    expect(summary(c, ['InfrastructureReady', 'BootstrapReady'])).toMatchObject({
      status: 'False',
      reason: 'Broken',
      severity: 'Error',
      message: 'i',
    });
    expect(summary(c, ['InfrastructureReady', 'BootstrapReady'], { stepCounter: true }).message).toBe(
      '0 of 2 completed',
    );
    const ok = setCondition(setCondition(undefined, trueCondition('A'), t0), trueCondition('B'), t0);
    expect(summary(ok, ['A', 'B'])).toEqual({ type: 'Ready', status: 'True' });
  });

  it('aggregates many objects into "x of N completed" with the chosen source named', () => {
    const ready = [{ type: 'Ready', status: 'True' as const, lastTransitionTime: 'x' }];
    const waiting = [
      {
        type: 'Ready',
        status: 'False' as const,
        severity: 'Info' as const,
        reason: 'WaitingForNodeRef',
        lastTransitionTime: 'x',
      },
    ];
    expect(
      aggregate('MachinesReady', [
        { kind: 'Machine', name: 'b', conditions: waiting },
        { kind: 'Machine', name: 'a', conditions: ready },
        { kind: 'Machine', name: 'c', conditions: waiting },
      ]),
    ).toEqual({
      type: 'MachinesReady',
      status: 'False',
      reason: 'WaitingForNodeRef @ Machine/b',
      severity: 'Info',
      message: '1 of 3 completed',
    });
  });
});
