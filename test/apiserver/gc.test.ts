// Owner-reference garbage collection (background, foreground + blockOwnerDeletion, orphan) and namespace deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, eventually, startTestServer, W, widget, widgetCrd } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer({ crds: [widgetCrd()] }));
});
afterAll(() => api.stop());

const CM = '/api/v1/namespaces/default/configmaps';

async function owner(name: string) {
  const r = await c.post(W(), widget(name));
  return { apiVersion: 'example.com/v1', kind: 'Widget', name, uid: r.body.metadata.uid as string };
}

async function child(name: string, refs: object[], extra: Record<string, unknown> = {}) {
  const r = await c.post(CM, { metadata: { name, ownerReferences: refs, ...extra } });
  expect(r.status).toBe(201);
}

const exists = async (path: string) => (await c.get(path)).status === 200;

describe('garbage collection', () => {
  it('background: the owner goes at once, dependents follow', async () => {
    const o = await owner('bg');
    await child('bg-1', [o]);
    await child('bg-2', [o]);
    const d = await c.delete(`${W()}/bg`, { propagationPolicy: 'Background' });
    expect(d.body.kind).toBe('Status');
    expect(await exists(`${W()}/bg`)).toBe(false);
    await eventually(
      'dependents collected',
      async () => !(await exists(`${CM}/bg-1`)) && !(await exists(`${CM}/bg-2`)),
    );
  });

  it('owner identity is the UID: a same-named owner with another UID counts as absent', async () => {
    const o = await owner('uidown');
    await child('uid-1', [{ ...o, uid: '00000000-0000-0000-0000-000000000000' }]);
    await eventually('dangling dependent collected', async () => !(await exists(`${CM}/uid-1`)));
    await child('uid-2', [o]);
    expect(await exists(`${CM}/uid-2`)).toBe(true);
  });

  it('foreground: the owner stays with foregroundDeletion until blocking dependents are gone', async () => {
    const o = await owner('fg');
    await child('fg-block', [{ ...o, blockOwnerDeletion: true }], { finalizers: ['example.com/hold'] });
    await child('fg-free', [o]);
    const d = await c.delete(`${W()}/fg`, { propagationPolicy: 'Foreground' });
    expect(d.status).toBe(200);
    expect(d.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    await eventually('non-blocking dependent collected', async () => !(await exists(`${CM}/fg-free`)));
    const blocker = await eventually('blocking dependent deleting', async () => {
      const r = await c.get(`${CM}/fg-block`);
      return r.body.metadata.deletionTimestamp ? r.body : undefined;
    });
    expect(blocker.metadata.finalizers).toEqual(['example.com/hold']);
    expect(await exists(`${W()}/fg`)).toBe(true);
    await c.patch(`${CM}/fg-block`, { metadata: { finalizers: null } }, 'merge');
    await eventually('owner gone', async () => !(await exists(`${W()}/fg`)));
  });

  it('orphan: dependents lose the owner reference and survive', async () => {
    const o = await owner('orph');
    const other = await owner('orph-other');
    await child('orph-1', [o, other]);
    await child('orph-2', [o]);
    const d = await c.delete(`${W()}/orph`, { propagationPolicy: 'Orphan' });
    expect(d.body.metadata.finalizers).toEqual(['orphan']);
    await eventually('owner gone', async () => !(await exists(`${W()}/orph`)));
    const one = (await c.get(`${CM}/orph-1`)).body;
    expect(one.metadata.ownerReferences).toEqual([other]);
    const two = (await c.get(`${CM}/orph-2`)).body;
    expect(two.metadata.ownerReferences).toBeUndefined();
  });

  it('a dependent with one solid owner survives and its dangling references are removed', async () => {
    const a = await owner('multi-a');
    const b = await owner('multi-b');
    await child('multi-1', [a, b]);
    await c.delete(`${W()}/multi-a`);
    await eventually('dangling ref dropped', async () => {
      const r = await c.get(`${CM}/multi-1`);
      return r.status === 200 && r.body.metadata.ownerReferences?.length === 1;
    });
    expect((await c.get(`${CM}/multi-1`)).body.metadata.ownerReferences[0].uid).toBe(b.uid);
  });
});

describe('namespace deletion', () => {
  it('deletes everything in the namespace (built-ins and CRs), reports conditions, then goes', async () => {
    await c.post('/api/v1/namespaces', { metadata: { name: 'doomed' } });
    const ns = (await c.get('/api/v1/namespaces/doomed')).body;
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.metadata.labels['kubernetes.io/metadata.name']).toBe('doomed');
    await c.post('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
    await c.post(W('doomed'), widget('w', { replicas: 1 }, { finalizers: ['example.com/hold'] }));
    const d = await c.delete('/api/v1/namespaces/doomed');
    expect(d.body.status.phase).toBe('Terminating');
    await eventually(
      'configmap deleted',
      async () => (await c.get('/api/v1/namespaces/doomed/configmaps/a')).status === 404,
    );
    const cur = await eventually('content condition', async () => {
      const r = (await c.get('/api/v1/namespaces/doomed')).body;
      return r.status.conditions?.find((x: { type: string }) => x.type === 'NamespaceFinalizersRemaining')?.status ===
        'True'
        ? r
        : undefined;
    });
    expect(cur.status.conditions.find((x: { type: string }) => x.type === 'NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
    });
    // spec.finalizers is only changed through /finalize; a normal update keeps it.
    const upd = await c.patch('/api/v1/namespaces/doomed', { spec: { finalizers: [] } }, 'merge');
    expect(upd.body.spec.finalizers).toEqual(['kubernetes']);
    await c.patch(`${W('doomed')}/w`, { metadata: { finalizers: null } }, 'merge');
    await eventually('namespace gone', async () => (await c.get('/api/v1/namespaces/doomed')).status === 404);
  });

  it('PUT /finalize removes spec.finalizers; an empty terminating namespace then disappears', async () => {
    await c.post('/api/v1/namespaces', { metadata: { name: 'fin-ns', finalizers: ['example.com/keep'] } });
    await c.delete('/api/v1/namespaces/fin-ns');
    await eventually('kubernetes finalizer removed by the controller', async () => {
      const r = (await c.get('/api/v1/namespaces/fin-ns')).body;
      return r.spec.finalizers.length === 0;
    });
    const ns = (await c.get('/api/v1/namespaces/fin-ns')).body;
    const put = await c.put('/api/v1/namespaces/fin-ns/finalize', { ...ns, spec: { finalizers: ['example.com/x'] } });
    expect(put.body.spec.finalizers).toEqual(['example.com/x']);
    const put2 = await c.put('/api/v1/namespaces/fin-ns/finalize', { ...put.body, spec: { finalizers: [] } });
    expect(put2.status).toBe(200);
    await c.patch('/api/v1/namespaces/fin-ns', { metadata: { finalizers: null } }, 'merge');
    await eventually('namespace gone', async () => (await c.get('/api/v1/namespaces/fin-ns')).status === 404);
  });
});
