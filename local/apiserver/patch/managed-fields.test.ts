import { describe, expect, it } from 'vitest';
import {
  applyConfig,
  conflictMessage,
  diffFields,
  fieldsOf,
  fromFieldsV1,
  type ListTypeLookup,
  type ManagedEntry,
  recordUpdate,
  renderPath,
  toFieldsV1,
} from './managed-fields.ts';

const lookup: ListTypeLookup = (p) =>
  p.join('.') === 'spec.ports'
    ? { type: 'map', keys: ['name'] }
    : p.join('.') === 'metadata.finalizers'
      ? { type: 'set' }
      : { type: 'atomic' };

describe('field sets', () => {
  it('FieldsV1 round-trips, with "." for owned containers', () => {
    const set = fieldsOf({ spec: { ports: [{ name: 'a', port: 1 }], x: 1 }, metadata: { finalizers: ['f'] } }, lookup);
    const v1 = toFieldsV1(set);
    expect(v1).toEqual({
      'f:spec': { 'f:ports': { 'k:{"name":"a"}': { '.': {}, 'f:name': {}, 'f:port': {} } }, 'f:x': {} },
      'f:metadata': { 'f:finalizers': { 'v:"f"': {} } },
    });
    expect(fromFieldsV1(v1)).toEqual(set);
  });

  it('diffFields reports added maps as owned, changed leaves and removals', () => {
    const { changed, removed } = diffFields(
      { data: { a: '1', b: '2' } },
      { data: { a: '9' }, labels: { x: 'y' } },
      lookup,
    );
    expect(toFieldsV1(changed)).toEqual({ 'f:data': { 'f:a': {} }, 'f:labels': { '.': {}, 'f:x': {} } });
    expect(toFieldsV1(removed)).toEqual({ 'f:data': { 'f:b': {} } });
  });

  it('renders paths as structured-merge-diff prints them', () => {
    const [p] = [...fieldsOf({ spec: { ports: [{ name: 'a' }] } }, lookup)].filter((x) => x.includes('f:name'));
    expect(renderPath(p!)).toBe('.spec.ports[name="a"].name');
  });
});

describe('server-side apply', () => {
  it('conflicts, force, shared ownership and removal of dropped fields', () => {
    const first = applyConfig({}, { data: { a: '1', b: '2' } }, [], 'alice', 'v1', undefined, false, lookup);
    expect(first.object).toEqual({ data: { a: '1', b: '2' } });
    const conflict = applyConfig(
      first.object,
      { data: { a: 'x' } },
      first.entries,
      'bob',
      'v1',
      undefined,
      false,
      lookup,
    );
    expect(conflictMessage(conflict.conflicts)).toBe('Apply failed with 1 conflict: conflict with "alice": .data.a');
    const shared = applyConfig(
      first.object,
      { data: { a: '1' } },
      first.entries,
      'bob',
      'v1',
      undefined,
      false,
      lookup,
    );
    expect(shared.conflicts).toEqual([]);
    const dropped = applyConfig(
      shared.object,
      { data: { b: '2' } },
      shared.entries,
      'alice',
      'v1',
      undefined,
      false,
      lookup,
    );
    expect(dropped.object).toEqual({ data: { a: '1', b: '2' } });
    const gone = applyConfig(
      dropped.object,
      { data: {} },
      dropped.entries.filter((e) => e.manager === 'alice'),
      'alice',
      'v1',
      undefined,
      false,
      lookup,
    );
    expect(gone.object).toEqual({ data: { a: '1' } });
    const forced = applyConfig(first.object, { data: { a: 'x' } }, first.entries, 'bob', 'v1', undefined, true, lookup);
    expect(forced.object).toEqual({ data: { a: 'x', b: '2' } });
    expect(forced.entries.find((e) => e.manager === 'alice')!.fields.size).toBe(1);
  });

  it('keeps a map the applier owned as such (an adopted create) while it, or another manager, has fields in it', () => {
    // What CAPI's SSA adoption leaves: the create's labels map (`.`) and keys moved to the applier's Apply entry.
    const live = { metadata: { labels: { a: '1', b: '2' }, annotations: { n: '1', other: 'o' } } };
    const entries: ManagedEntry[] = [
      {
        manager: 'capi',
        operation: 'Apply',
        apiVersion: 'v1',
        fields: fromFieldsV1({
          'f:metadata': { 'f:labels': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:annotations': { '.': {}, 'f:n': {} } },
        }),
      },
      {
        manager: 'other',
        operation: 'Update',
        apiVersion: 'v1',
        fields: fromFieldsV1({ 'f:metadata': { 'f:annotations': { 'f:other': {} } } }),
      },
    ];
    const r = applyConfig(
      live,
      { metadata: { labels: { a: '1', t: 'g' } } },
      entries,
      'capi',
      'v1',
      undefined,
      true,
      lookup,
    );
    expect(r.object).toEqual({ metadata: { labels: { a: '1', t: 'g' }, annotations: { other: 'o' } } });
  });

  it('two conflicting managers are grouped in the message', () => {
    const a = applyConfig({}, { data: { a: '1' } }, [], 'm1', 'v1', undefined, false, lookup);
    const b = recordUpdate(
      a.entries,
      'm2',
      'v1',
      undefined,
      diffFields({}, { data: { b: '1' } }, lookup).changed,
      new Set(),
    );
    const r = applyConfig(
      { data: { a: '1', b: '1' } },
      { data: { a: '2', b: '2' } },
      b,
      'm3',
      'v1',
      undefined,
      false,
      lookup,
    );
    expect(conflictMessage(r.conflicts)).toBe(
      'Apply failed with 2 conflicts: conflicts with "m1":\n- .data.a\nconflicts with "m2" using v1:\n- .data.b',
    );
  });
});
