import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { claimedIntent, formatIntent, parseIntent, planScale, type ScaleInput } from './scale.ts';

const now = new Date('2026-11-23T12:00:00Z');
const m = (name: string, extra: Partial<Machine['metadata']> = {}): Machine =>
  ({
    metadata: { name, creationTimestamp: '2026-11-20T00:00:00Z', ...extra },
    spec: {},
    status: { nodeRef: { name } },
  }) as Machine;

let counter = 0;
const base = (o: Partial<ScaleInput>): ScaleInput => ({
  replicas: 3,
  counted: [],
  owned: [],
  intent: [],
  existingNames: new Set(),
  deletePolicy: 'Random',
  createDisabled: false,
  machineNameBase: 'ms',
  now,
  newName: (b) => `${b}-n${counter++}`,
  ...o,
});

describe('planScale', () => {
  it('records an intent with exactly the missing names before creating anything', () => {
    counter = 0;
    const a = m('ms-a');
    expect(planScale(base({ counted: [a], owned: [a], existingNames: new Set(['ms-a']) }))).toEqual({
      action: 'record-intent',
      names: ['ms-n0', 'ms-n1'],
    });
  });

  it('never reuses an existing name', () => {
    counter = 0;
    const plan = planScale(base({ replicas: 1, existingNames: new Set(['ms-n0']) }));
    expect(plan).toEqual({ action: 'record-intent', names: ['ms-n1'] });
  });

  it('completes an intent: creates only the missing names still needed and drops the rest', () => {
    const a = m('ms-a');
    const plan = planScale(
      base({
        replicas: 2,
        counted: [a],
        owned: [a],
        intent: ['ms-a', 'ms-b', 'ms-c'],
        existingNames: new Set(['ms-a']),
      }),
    );
    expect(plan).toEqual({ action: 'complete-intent', create: ['ms-b'], drop: ['ms-c'] });
  });

  it('finishes an intent whose machines all exist', () => {
    const ms = [m('ms-a'), m('ms-b')];
    expect(
      planScale(
        base({
          replicas: 2,
          counted: ms,
          owned: ms,
          intent: ['ms-a', 'ms-b'],
          existingNames: new Set(['ms-a', 'ms-b']),
        }),
      ),
    ).toEqual({
      action: 'complete-intent',
      create: [],
      drop: [],
    });
  });

  it('drops every pending intent name after a scale-down', () => {
    const ms = [m('ms-a'), m('ms-b')];
    expect(
      planScale(
        base({ replicas: 1, counted: ms, owned: ms, intent: ['ms-c'], existingNames: new Set(['ms-a', 'ms-b']) }),
      ),
    ).toEqual({
      action: 'complete-intent',
      create: [],
      drop: ['ms-c'],
    });
  });

  it('deletes the surplus by deletion priority', () => {
    const ms = [m('ms-c'), m('ms-a'), m('ms-b', { annotations: { 'cluster.x-k8s.io/delete-machine': 'yes' } })];
    const plan = planScale(base({ replicas: 1, counted: ms, owned: ms }));
    expect(plan.action).toBe('delete');
    expect(plan.action === 'delete' && plan.machines.map((x) => x.metadata.name)).toEqual(['ms-b', 'ms-a']);
  });

  it('does nothing at the desired count', () => {
    const ms = [m('a'), m('b'), m('c')];
    expect(planScale(base({ counted: ms, owned: ms }))).toEqual({ action: 'none' });
  });

  it('is blocked by the disable-machine-create annotation and by selector drift', () => {
    expect(planScale(base({ createDisabled: true })).action).toBe('blocked');
    const drifted = [m('x'), m('y'), m('z')];
    const plan = planScale(base({ counted: [], owned: drifted }));
    expect(plan).toMatchObject({ action: 'blocked', reason: 'SelectorDrift' });
  });

  it('round-trips the intent annotation and tolerates garbage', () => {
    expect(parseIntent(formatIntent(['a', 'b']))).toEqual(['a', 'b']);
    expect(parseIntent('not json')).toEqual([]);
    expect(parseIntent(undefined)).toEqual([]);
  });
});

describe('claiming an intent', () => {
  it('keeps the names and counts the claims, so each claim is a different write', () => {
    const first = claimedIntent(formatIntent(['ms-a', 'ms-b']));
    expect(JSON.parse(first)).toEqual({ names: ['ms-a', 'ms-b'], claims: 1 });
    expect(JSON.parse(claimedIntent(first))).toEqual({ names: ['ms-a', 'ms-b'], claims: 2 });
    expect(parseIntent(claimedIntent(first))).toEqual(['ms-a', 'ms-b']);
    expect(parseIntent(claimedIntent('not json'))).toEqual([]);
  });
});
