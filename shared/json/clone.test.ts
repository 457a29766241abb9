import { describe, expect, it } from 'vitest';
import { cloneJson } from './clone.ts';

describe('cloneJson', () => {
  it('copies JSON data deeply, as structuredClone does', () => {
    const v = {
      a: [1, 'x', null, true, { b: { c: [[]] } }],
      u: undefined,
      n: -0,
      e: {},
      s: 'é\u2028',
    };
    const c = cloneJson(v);
    expect(c).toStrictEqual(structuredClone(v));
    expect(Object.keys(c)).toEqual(Object.keys(v));
    expect(c).not.toBe(v);
    expect(c.a).not.toBe(v.a);
    expect(c.a[4]).not.toBe(v.a[4]);
    (c.a[4] as { b: { c: unknown[][] } }).b.c[0]!.push(1);
    expect(v.a[4]).toEqual({ b: { c: [[]] } });
    expect(cloneJson(undefined)).toBeUndefined();
    expect(cloneJson('s')).toBe('s');
  });

  it('keeps a "__proto__" key a key, as JSON.parse made it', () => {
    const v = JSON.parse('{"spec":{"__proto__":{"paused":true},"x":1}}') as { spec: Record<string, unknown> };
    const c = cloneJson(v);
    expect(Object.getPrototypeOf(c.spec)).toBe(Object.prototype);
    expect((c.spec as { paused?: boolean }).paused).toBeUndefined();
    expect(Object.keys(c.spec)).toEqual(['__proto__', 'x']);
    expect(JSON.stringify(c)).toBe(JSON.stringify(v));
  });

  it('leaves what is not plain data to structuredClone', () => {
    const d = new Date(0);
    const m = new Map([['k', { v: 1 }]]);
    const bytes = new Uint8Array([1, 2]);
    const c = cloneJson({ d, m, bytes, bare: Object.assign(Object.create(null), { x: 1 }) });
    expect(c.d).toBeInstanceOf(Date);
    expect(c.d).not.toBe(d);
    expect(c.d.getTime()).toBe(0);
    expect(c.m).toBeInstanceOf(Map);
    expect(c.m.get('k')).toEqual({ v: 1 });
    expect(c.m.get('k')).not.toBe(m.get('k'));
    expect(c.bytes).toEqual(bytes);
    expect(c.bytes).not.toBe(bytes);
    expect(c.bare).toEqual({ x: 1 });
  });
});
