import { describe, expect, it } from 'vitest';
import {
  fromLabelSelectorObject,
  labelSelectorToString,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.ts';

describe('label selectors', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a=b', { a: 'b' }, true],
    ['a==b', { a: 'c' }, false],
    ['a!=b', {}, true],
    ['a!=b', { a: 'b' }, false],
    ['a in (b, c)', { a: 'c' }, true],
    ['a notin (b,c)', {}, true],
    ['a notin (b,c)', { a: 'b' }, false],
    ['a', { a: '' }, true],
    ['!a', { a: 'x' }, false],
    ['n>3', { n: '4' }, true],
    ['n<3', { n: 'x' }, false],
    ['a=b,c', { a: 'b' }, false],
    ['example.com/role=web', { 'example.com/role': 'web' }, true],
    ['', { anything: 'x' }, true],
  ];
  for (const [sel, labels, want] of cases) {
    it(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} → ${want}`, () => {
      expect(matchLabels(parseLabelSelector(sel), labels)).toBe(want);
    });
  }

  it('rejects malformed selectors and invalid keys/values', () => {
    for (const bad of ['a b', 'a in b', '-a=b', 'a=b c', 'n>x', `a=${'x'.repeat(64)}`, 'a in (b']) {
      expect(() => parseLabelSelector(bad), bad).toThrow();
    }
  });

  it('converts metav1.LabelSelector objects and renders them as strings', () => {
    const sel = fromLabelSelectorObject({
      matchLabels: { app: 'x' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    })!;
    expect(labelSelectorToString(sel)).toBe('app=x,tier in (a,b),!gone');
    expect(matchLabels(sel, { app: 'x', tier: 'b' })).toBe(true);
    expect(matchLabels(sel, { app: 'x', tier: 'b', gone: '1' })).toBe(false);
  });
});

describe('field selectors', () => {
  it('parses =, ==, != and escapes', () => {
    expect(parseFieldSelector('a=b,c==d,e!=f')).toEqual([
      { field: 'a', op: '=', value: 'b' },
      { field: 'c', op: '=', value: 'd' },
      { field: 'e', op: '!=', value: 'f' },
    ]);
    expect(parseFieldSelector('a=x\\,y')).toEqual([{ field: 'a', op: '=', value: 'x,y' }]);
    expect(() => parseFieldSelector('nonsense')).toThrow();
  });

  it('matches missing fields as empty', () => {
    expect(matchFields(parseFieldSelector('spec.nodeName='), {})).toBe(true);
    expect(matchFields(parseFieldSelector('status.phase!=Running'), { 'status.phase': 'Pending' })).toBe(true);
  });
});
