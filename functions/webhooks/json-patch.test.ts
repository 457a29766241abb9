import { describe, expect, it } from 'vitest';
import { applyJsonPatch, decodeJsonPatch } from '../../local/apiserver/patch/json-patch.ts';
import { diffPatch, pointerToken } from './json-patch.ts';

const apply = (before: object, ops: unknown) => applyJsonPatch(structuredClone(before), decodeJsonPatch(ops));

describe('diffPatch', () => {
  it('adds a missing map whole, escaping label keys', () => {
    const ops = diffPatch(
      { metadata: { name: 'a' } },
      { metadata: { name: 'a', labels: { 'cluster.x-k8s.io/cluster-name': 'c' } } },
    );
    expect(ops).toEqual([{ op: 'add', path: '/metadata/labels', value: { 'cluster.x-k8s.io/cluster-name': 'c' } }]);
    const into = diffPatch({ metadata: { labels: { a: 'b' } } }, { metadata: { labels: { a: 'b', 'x/y~z': '1' } } });
    expect(into).toEqual([{ op: 'add', path: '/metadata/labels/x~1y~0z', value: '1' }]);
  });

  it('replaces changed scalars and whole arrays, removes dropped keys', () => {
    expect(diffPatch({ a: 1, b: [1, 2], c: 'x' }, { a: 2, b: [1, 3] })).toEqual([
      { op: 'remove', path: '/c' },
      { op: 'replace', path: '/a', value: 2 },
      { op: 'replace', path: '/b', value: [1, 3] },
    ]);
  });

  it('is empty for equal objects', () => {
    expect(diffPatch({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toEqual([]);
  });

  it('turns any before into any after (round trip through an RFC 6902 implementation)', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const keys = ['a', 'b/c', 'd~e', 'metadata', 'spec', '', '0'];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.3) return [1, 'x', true, null, 0][Math.floor(rnd() * 5)];
      if (r < 0.45) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (const k of keys) if (rnd() < 0.35) o[k] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 300; i++) {
      const before = { root: value(0) };
      const after = { root: value(0), other: value(1) };
      expect(apply(before, diffPatch(before, after))).toEqual(after);
    }
  });

  it('pointerToken escapes ~ before /', () => {
    expect(pointerToken('a~/b')).toBe('a~0~1b');
  });
});
