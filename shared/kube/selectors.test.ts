import { describe, expect, it } from 'vitest';
import { matchesSelector, selectorAsMap, selectorToString } from './selectors.ts';

describe('label selectors', () => {
  const sel = {
    matchLabels: { b: '2', a: '1' },
    matchExpressions: [
      { key: 'env', operator: 'In' as const, values: ['prod', 'dev'] },
      { key: 'tier', operator: 'NotIn' as const, values: ['db'] },
      { key: 'zone', operator: 'Exists' as const },
      { key: 'legacy', operator: 'DoesNotExist' as const },
    ],
  };

  it('renders the query form with sorted keys and values', () => {
    expect(selectorToString(sel)).toBe('a=1,b=2,env in (dev,prod),tier notin (db),zone,!legacy');
  });

  it.each([
    [{ a: '1', b: '2', env: 'dev', zone: 'z' }, true],
    [{ a: '1', b: '2', env: 'dev', zone: 'z', tier: 'web' }, true],
    [{ a: '1', b: '2', env: 'dev', zone: 'z', tier: 'db' }, false],
    [{ a: '1', b: '2', env: 'qa', zone: 'z' }, false],
    [{ a: '1', b: '2', env: 'dev' }, false],
    [{ a: '1', b: '2', env: 'dev', zone: 'z', legacy: '' }, false],
    [{ a: '1', env: 'dev', zone: 'z' }, false],
  ])('matches %j → %s', (labels, want) => {
    expect(matchesSelector(labels, sel)).toBe(want);
  });

  it('converts to an equality map only when every expression is a single-value In', () => {
    expect(
      selectorAsMap({ matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'In', values: ['2'] }] }),
    ).toEqual({ a: '1', b: '2' });
    expect(() => selectorAsMap(sel)).toThrow(/cannot be converted/);
  });
});
