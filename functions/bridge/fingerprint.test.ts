import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { CONTROLLER_DELETING } from '../../shared/events/resource-event.ts';
import { FingerprintCache, ProjectionCache } from './fingerprint.ts';

const base = (): KubeObject => ({
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'LocalMachine',
  metadata: { name: 'm', namespace: 'ns', uid: 'u1', resourceVersion: '1', labels: { a: 'b' } },
  spec: { image: 'x' },
  status: { ready: false },
});

describe('FingerprintCache', () => {
  it('classifies a modification as status-only, metadata-only or neither; unknown history is neither', () => {
    const c = new FingerprintCache();
    const o = base();
    expect(c.observe(o)).toEqual({ statusOnly: false, metaOnly: false });
    const rv = (n: number, x: KubeObject) => ({ ...x, metadata: { ...x.metadata, resourceVersion: String(n) } });
    expect(c.observe(rv(2, { ...o, status: { ready: true } }))).toEqual({ statusOnly: true, metaOnly: false });
    const fin = rv(3, { ...o, status: { ready: true }, metadata: { ...o.metadata, finalizers: ['f'] } });
    expect(c.observe(fin)).toEqual({ statusOnly: false, metaOnly: true });
    const owned = {
      ...fin,
      metadata: { ...fin.metadata, ownerReferences: [{ apiVersion: 'v', kind: 'K', name: 'n', uid: 'o' }] },
    };
    expect(c.observe(rv(4, owned))).toEqual({ statusOnly: false, metaOnly: true });
    // A spec change is neither, with or without metadata.
    expect(c.observe(rv(5, { ...owned, spec: { image: 'y' } }))).toEqual({ statusOnly: false, metaOnly: false });
    // A deletion mark is never metadata-only.
    const deleting = {
      ...owned,
      spec: { image: 'y' },
      metadata: { ...owned.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    };
    expect(c.observe(rv(6, deleting))).toEqual({ statusOnly: false, metaOnly: false });
    // Metadata and status together: neither.
    const both = { ...deleting, status: { ready: false }, metadata: { ...deleting.metadata, labels: { a: 'c' } } };
    expect(c.observe(rv(7, both))).toEqual({ statusOnly: false, metaOnly: false });
    // Only resourceVersion/managedFields: counted status-only (no spec or metadata change), as before.
    expect(c.observe(rv(8, { ...both, metadata: { ...both.metadata, managedFields: [] } }))).toEqual({
      statusOnly: true,
      metaOnly: false,
    });
  });
});

describe('ProjectionCache', () => {
  it('says unchanged only when nothing but the ignored paths (status among them) changed since the state it knows', () => {
    const c = new ProjectionCache([['spec', 'providerID'], ['metadata', 'labels', 'x.io/hash'], ['status']]);
    const o = base();
    const v = (n: number, x: KubeObject) => ({ ...x, metadata: { ...x.metadata, resourceVersion: String(n) } });
    expect(c.observe(o)).toBe(false);
    expect(c.observe(v(2, { ...o, status: { ready: true } }))).toBe(true);
    const copied = v(3, {
      ...o,
      spec: { image: 'x', providerID: 'local:///m' },
      metadata: { ...o.metadata, labels: { a: 'b', 'x.io/hash': 'h' } },
    });
    expect(c.observe(copied)).toBe(true);
    // Another label, the spec, a finalizer, the deletion: each one counts.
    expect(c.observe(v(4, { ...copied, metadata: { ...copied.metadata, labels: { a: 'c', 'x.io/hash': 'h' } } }))).toBe(
      false,
    );
    expect(c.observe(v(5, { ...copied, spec: { image: 'y', providerID: 'local:///m' } }))).toBe(false);
    const last = v(6, { ...copied, spec: { image: 'y', providerID: 'local:///m' } });
    expect(c.observe({ ...last, metadata: { ...last.metadata, finalizers: ['f'] } })).toBe(false);
    expect(c.observe({ ...last, metadata: { ...last.metadata, finalizers: ['f'], deletionTimestamp: 'now' } })).toBe(
      false,
    );
    c.forget('u1');
    expect(c.observe(last)).toBe(false);
  });

  it('ignores all of the metadata, the deletion included, when told to', () => {
    const c = new ProjectionCache([['metadata']]);
    const o = base();
    c.observe(o);
    expect(c.observe({ ...o, metadata: { ...o.metadata, labels: {}, deletionTimestamp: 'now' } })).toBe(true);
    expect(c.observe({ ...o, spec: { image: 'z' } })).toBe(false);
    // Status counts unless it is among the paths.
    expect(c.observe({ ...o, spec: { image: 'z' }, status: { ready: true } })).toBe(false);
  });

  it('counts no modification of an object whose controller of the named kind is known to be deleting', () => {
    const machine = { group: 'cluster.x-k8s.io', kind: 'Machine' };
    const deletingUids = new Set<string>();
    const known = (c: { group: string; kind: string }, uid: string) =>
      c.group === machine.group && c.kind === machine.kind && deletingUids.has(uid);
    const c = new ProjectionCache(
      [
        ['metadata', 'deletionTimestamp'],
        [CONTROLLER_DELETING, machine.group, machine.kind],
      ],
      known,
    );
    const owner = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', name: 'm', uid: 'm1', controller: true };
    const o = { ...base(), metadata: { ...base().metadata, ownerReferences: [owner] } };
    c.observe(o);
    // Its controller alive: a status change counts, its own deletion starting (an ignored path) does not.
    expect(c.observe({ ...o, status: { ready: true } })).toBe(false);
    const deleting = { ...o, status: { ready: true }, metadata: { ...o.metadata, deletionTimestamp: 'now' } };
    expect(c.observe(deleting)).toBe(true);
    expect(c.observe({ ...deleting, status: { ready: false } })).toBe(false);
    // Its controller deleting: nothing counts, a spec change included.
    deletingUids.add('m1');
    expect(c.observe({ ...deleting, status: { ready: false, conditions: [{ type: 'Deleting' }] } })).toBe(true);
    expect(c.observe({ ...deleting, spec: { image: 'y' } })).toBe(true);
    // Another kind of controller, or a non-controller owner, with that UID: everything counts again.
    const other = { ...owner, apiVersion: 'example.com/v1' };
    expect(c.observe({ ...deleting, metadata: { ...deleting.metadata, ownerReferences: [other] } })).toBe(false);
    const notController = { ...owner, controller: false };
    expect(
      c.observe({
        ...deleting,
        spec: { image: 'z' },
        metadata: { ...deleting.metadata, ownerReferences: [notController] },
      }),
    ).toBe(false);
    // Without the entry, or without a way to know, a deleting controller changes nothing.
    const plain = new ProjectionCache([['metadata', 'deletionTimestamp']], known);
    plain.observe(deleting);
    expect(plain.observe({ ...deleting, status: { ready: false } })).toBe(false);
    const blind = new ProjectionCache([[CONTROLLER_DELETING, machine.group, machine.kind]]);
    blind.observe(deleting);
    expect(blind.observe({ ...deleting, status: { ready: false } })).toBe(false);
  });
});

describe('ProjectionCache leaves the object alone', () => {
  it('drops ignored paths from copies only: the event’s object keeps every field', () => {
    const c = new ProjectionCache([
      ['metadata', 'labels', 'x.io/hash'],
      ['spec', 'providerID'],
      [CONTROLLER_DELETING, 'cluster.x-k8s.io', 'Machine'],
    ]);
    const o = {
      ...base(),
      metadata: { ...base().metadata, labels: { 'x.io/hash': 'h' }, deletionTimestamp: 'now' },
      spec: { image: 'x', providerID: 'p' },
    };
    const before = JSON.stringify(o);
    c.observe(o);
    c.observe(o);
    expect(JSON.stringify(o)).toBe(before);
  });
});

describe('fingerprints ignore key order', () => {
  it('the same object written with its keys in another order is no change', () => {
    const c = new ProjectionCache([['status']]);
    const f = new FingerprintCache();
    const o = base();
    c.observe(o);
    f.observe(o);
    const m = o.metadata;
    const reordered = {
      spec: { ...(o.spec as Record<string, unknown>) },
      metadata: { uid: m.uid, labels: m.labels, resourceVersion: '2', namespace: m.namespace, name: m.name },
      kind: o.kind,
      apiVersion: o.apiVersion,
      status: { ready: true },
    } as KubeObject;
    expect(c.observe(reordered)).toBe(true);
    expect(f.observe(reordered)).toEqual({ statusOnly: true, metaOnly: false });
  });
});

describe('fingerprints of free-form maps', () => {
  it('a `__proto__` key counts like any other', () => {
    const c = new ProjectionCache([]);
    const withKey = (v: string) => {
      const data = JSON.parse(`{"z":"1","__proto__":"${v}"}`) as Record<string, unknown>;
      return { ...base(), data } as KubeObject;
    };
    c.observe(withKey('x'));
    expect(c.observe(withKey('y'))).toBe(false);
    expect(c.observe(withKey('y'))).toBe(true);
  });
});
