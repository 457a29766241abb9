import { describe, expect, it } from 'vitest';
import { duplicateJsonFields } from './request.ts';

describe('duplicateJsonFields', () => {
  it('names each repeated key by its path, at any depth, in objects and arrays', () => {
    expect(duplicateJsonFields('{"a":1,"b":2}')).toEqual([]);
    expect(duplicateJsonFields('{"a":1,"a":2}')).toEqual(['a']);
    expect(duplicateJsonFields('{"spec":{"replicas":1,"x":{},"replicas":2}}')).toEqual(['spec.replicas']);
    expect(
      duplicateJsonFields('{"spec":{"list":[{"n":1},{"n":1,"n":2},[{"k":0,"k":1}]],"m":{"a":{"b":1,"b":2}}}}'),
    ).toEqual(['spec.list[1].n', 'spec.list[2][0].k', 'spec.m.a.b']);
    // The same key in sibling objects is not a duplicate; nor is a value equal to a key.
    expect(duplicateJsonFields('[{"a":1},{"a":2}]')).toEqual([]);
    expect(duplicateJsonFields('{"a":"a","b":"a"}')).toEqual([]);
    expect(duplicateJsonFields('{"a":1,"b":{"a":2}}')).toEqual([]);
  });

  it('reads strings with escapes, quotes and brackets inside them', () => {
    // "\u0061" is "a": a duplicate once decoded.
    expect(duplicateJsonFields('{"a":1,"\\u0061":2}')).toEqual(['a']);
    expect(duplicateJsonFields('{"q\\"k":1,"q\\"k":2}')).toEqual(['q"k']);
    // A value ending in a backslash, and brackets and commas inside values, do not confuse the scan.
    expect(duplicateJsonFields('{"v":"x\\\\","w":"{[,]}","v":3}')).toEqual(['v']);
    expect(duplicateJsonFields('{"a":{"b":"}","b":1}}')).toEqual(['a.b']);
    expect(duplicateJsonFields(' { "a" : 1 , "a" : 2 } ')).toEqual(['a']);
  });

  it('stops at a truncated body without throwing', () => {
    expect(() => duplicateJsonFields('{"a":1,"a')).not.toThrow();
    expect(() => duplicateJsonFields('{"a":1,"b\\')).not.toThrow();
    expect(duplicateJsonFields('{"a":1,"a":')).toEqual(['a']);
    expect(duplicateJsonFields('')).toEqual([]);
  });
});
