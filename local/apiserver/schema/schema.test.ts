import { describe, expect, it } from 'vitest';
import { fieldErrorText } from '../status-errors.ts';
import { applyDefaults } from './default.ts';
import { pruneObject } from './prune.ts';
import type { Schema } from './types.ts';
import { validateObject } from './validate.ts';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['n'],
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 3 },
        e: { type: 'string', enum: ['a', 'b'] },
        s: { type: 'string', maxLength: 2, minLength: 1, pattern: '^x' },
        t: { type: 'string', format: 'date-time' },
        ios: { 'x-kubernetes-int-or-string': true },
        open: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'integer' } },
        },
        m: { type: 'object', additionalProperties: { type: 'integer' } },
        closed: { type: 'object' },
        d: { type: 'object', default: {}, properties: { x: { type: 'string', default: 'dx' } } },
        nul: { type: 'string', nullable: true, default: 'n' },
        nn: { type: 'string', default: 'nn' },
        items: {
          type: 'array',
          minItems: 1,
          maxItems: 2,
          items: { type: 'object', properties: { k: { type: 'string' } } },
        },
      },
    },
  },
};

const texts = (o: Record<string, unknown>) => validateObject(o, schema).map(fieldErrorText);

describe('pruning', () => {
  it('drops undeclared fields and reports their paths; keeps apiVersion/kind/ObjectMeta', () => {
    const { value, unknown } = pruneObject(
      {
        apiVersion: 'g/v1',
        kind: 'K',
        metadata: { name: 'n', bogus: 1 },
        top: 1,
        spec: {
          n: 1,
          x: 1,
          open: { known: 1, any: { deep: true } },
          m: { a: 1 },
          closed: { gone: 1 },
          items: [{ k: 'a', z: 1 }],
          nn: null,
          nul: null,
        },
      },
      schema,
    );
    expect(value).toEqual({
      apiVersion: 'g/v1',
      kind: 'K',
      metadata: { name: 'n' },
      spec: { n: 1, open: { known: 1, any: { deep: true } }, m: { a: 1 }, closed: {}, items: [{ k: 'a' }], nul: null },
    });
    expect(unknown.sort()).toEqual(['metadata.bogus', 'spec.closed.gone', 'spec.items[0].z', 'spec.x', 'top']);
  });
});

describe('defaults', () => {
  it('fills absent fields of existing objects; nullable null stays', () => {
    expect(applyDefaults({ spec: { n: 1, nul: null } }, schema)).toEqual({
      spec: { n: 1, d: { x: 'dx' }, nul: null, nn: 'nn' },
    });
  });
});

describe('validation messages', () => {
  it('type, required, enum, range, string and array constraints', () => {
    expect(texts({ spec: { n: 'x' } })).toEqual([
      'spec.n: Invalid value: "string": spec.n in body must be of type integer: "string"',
    ]);
    expect(texts({ spec: {} })).toEqual(['spec.n: Required value']);
    expect(texts({ spec: { n: 5, e: 'c' } })).toEqual([
      'spec.n: Invalid value: 5: spec.n in body should be less than or equal to 3',
      'spec.e: Unsupported value: "c": supported values: "a", "b"',
    ]);
    expect(texts({ spec: { n: 1, s: 'yyy' } })).toEqual([
      'spec.s: Too long: may not be more than 2 bytes',
      'spec.s: Invalid value: "yyy": spec.s in body should match \'^x\'',
    ]);
    expect(texts({ spec: { n: 1, t: 'nope' } })).toEqual([
      'spec.t: Invalid value: "nope": spec.t in body must be of type date-time: "nope"',
    ]);
    expect(texts({ spec: { n: 1, t: '2024-01-02T03:04:05Z' } })).toEqual([]);
    expect(texts({ spec: { n: 1, ios: 1.5 } })).toEqual([
      'spec.ios: Invalid value: "number": spec.ios in body must be of type integer,string: "number"',
    ]);
    expect(texts({ spec: { n: 1, items: [] } })).toEqual([
      'spec.items: Invalid value: 0: spec.items in body should have at least 1 items',
    ]);
    expect(texts({ spec: { n: 1, items: [{}, {}, {}] } })).toEqual([
      'spec.items: Too many: 3: must have at most 2 items',
    ]);
  });
});
