import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { FingerprintCache } from './fingerprint.ts';

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
