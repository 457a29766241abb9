import { describe, expect, it } from 'vitest';
import { applyJsonPatch, decodeJsonPatch, PatchApplyError, PatchDecodeError } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';

const run = (doc: unknown, ops: unknown) => applyJsonPatch(doc, decodeJsonPatch(ops));

describe('JSON patch (RFC 6902)', () => {
  it('add/remove/replace/move/copy/test, arrays and escaping', () => {
    const doc = { a: { 'b/c': 1, 'm~n': 2 }, list: [1, 2, 3] };
    expect(
      run(doc, [
        { op: 'add', path: '/list/1', value: 9 },
        { op: 'add', path: '/list/-', value: 4 },
        { op: 'remove', path: '/list/0' },
        { op: 'replace', path: '/a/b~1c', value: 'x' },
        { op: 'test', path: '/a/m~0n', value: 2 },
        { op: 'move', from: '/a/m~0n', path: '/moved' },
        { op: 'copy', from: '/moved', path: '/copied' },
      ]),
    ).toEqual({ a: { 'b/c': 'x' }, list: [9, 2, 3, 4], moved: 2, copied: 2 });
    expect(doc.list).toEqual([1, 2, 3]);
  });

  it('failing operations are apply errors; malformed patches are decode errors', () => {
    expect(() => run({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(PatchApplyError);
    expect(() => run({ a: 1 }, [{ op: 'remove', path: '/b' }])).toThrow(PatchApplyError);
    expect(() => run({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }])).toThrow(PatchApplyError);
    expect(() => run({ l: [] }, [{ op: 'add', path: '/l/5', value: 1 }])).toThrow(PatchApplyError);
    expect(() => decodeJsonPatch({})).toThrow(PatchDecodeError);
    expect(() => run({}, [{ op: 'frobnicate', path: '/a' }])).toThrow(PatchDecodeError);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes nulls, replaces arrays and scalars', () => {
    expect(
      applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2], s: 'x' }, { a: { b: null, d: 3 }, l: [3], s: { n: 1 } }),
    ).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
      s: { n: 1 },
    });
    expect(applyMergePatch({ a: 1 }, ['x'])).toEqual(['x']);
  });
});
