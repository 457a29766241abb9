import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { WHILE_DELETING } from '../../shared/events/resource-event.ts';
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

  it('ignores the paths marked while deleting only in an object being deleted, its deletion start included', () => {
    const marks = [
      ['metadata', 'deletionTimestamp'],
      ['metadata', 'deletionGracePeriodSeconds'],
      ['metadata', 'finalizers'],
    ];
    const c = new ProjectionCache([...marks, [WHILE_DELETING, 'status']]);
    const o = { ...base(), metadata: { ...base().metadata, finalizers: ['f'] } };
    c.observe(o);
    // Alive, its status counts.
    const ready = { ...o, status: { ready: true } };
    expect(c.observe(ready)).toBe(false);
    // The deletion starting (ignored marks) is no change, with or without a status change of its own.
    const deleting = {
      ...ready,
      metadata: { ...ready.metadata, deletionTimestamp: 'now', deletionGracePeriodSeconds: 0 },
    };
    expect(c.observe(deleting)).toBe(true);
    // While it is deleted, neither is its status, nor its finalizer going...
    expect(c.observe({ ...deleting, status: { ready: false, conditions: [{ type: 'Deleting' }] } })).toBe(true);
    const released = { ...deleting, metadata: { ...deleting.metadata, finalizers: [] } };
    expect(c.observe(released)).toBe(true);
    // ...but anything else is.
    expect(c.observe({ ...released, spec: { image: 'y' } })).toBe(false);
    // Without the mark the same status change while deleting counts.
    const both = new ProjectionCache([...marks, [WHILE_DELETING, 'status']]);
    both.observe(o);
    expect(both.observe({ ...deleting, status: { ready: false } })).toBe(true);
    const plain = new ProjectionCache(marks);
    plain.observe(deleting);
    expect(plain.observe({ ...deleting, status: { ready: false } })).toBe(false);
  });
});

describe('ProjectionCache leaves the object alone', () => {
  it('drops ignored paths from copies only: the event’s object keeps every field', () => {
    const c = new ProjectionCache([
      ['metadata', 'labels', 'x.io/hash'],
      ['spec', 'providerID'],
      [WHILE_DELETING, 'status'],
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
      spec: { ...o.spec },
      metadata: { uid: m.uid, labels: m.labels, resourceVersion: '2', namespace: m.namespace, name: m.name },
      kind: o.kind,
      apiVersion: o.apiVersion,
      status: { ready: true },
    } as KubeObject;
    expect(c.observe(reordered)).toBe(true);
    expect(f.observe(reordered)).toEqual({ statusOnly: true, metaOnly: false });
  });
});
