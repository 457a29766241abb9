// Object metadata and write semantics over real HTTPS: identity, resourceVersion, conflicts, generation, status
// subresource rules, no-op writes, finalizers, dryRun and the Status errors a real server returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, startTestServer, W, widget, widgetCrd } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer({ crds: [widgetCrd()] }));
});
afterAll(() => api.stop());

const CM = '/api/v1/namespaces/default/configmaps';

describe('identity and resourceVersion', () => {
  it('fills uid, creationTimestamp and a fresh resourceVersion on create, 201', async () => {
    const r = await c.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'id1' }, data: { a: 'b' } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r.body.metadata.resourceVersion).not.toBe('0');
    expect(r.body.metadata.generation).toBeUndefined();
  });

  it('accepts bodies without apiVersion/kind (client-node) and sets them in the response', async () => {
    const r = await c.post(CM, { metadata: { name: 'nokind' } });
    expect(r.status).toBe(201);
    expect(r.body.kind).toBe('ConfigMap');
    expect(r.body.apiVersion).toBe('v1');
  });

  it('generateName: base cut to 58 chars + 5 chars from the Kubernetes alphabet', async () => {
    const base = 'x'.repeat(70);
    const r = await c.post(CM, { metadata: { generateName: base } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toMatch(/^x{58}[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const short = await c.post(CM, { metadata: { generateName: 'gen-' } });
    expect(short.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('resourceVersion is one cluster-wide counter, strictly increasing across kinds', async () => {
    const a = await c.post(CM, { metadata: { name: 'rv-a' } });
    const w = await c.post(W(), widget('rv-w'));
    const b = await c.post(CM, { metadata: { name: 'rv-b' } });
    const rvs = [a, w, b].map((r) => Number(r.body.metadata.resourceVersion));
    expect(rvs[1]).toBeGreaterThan(rvs[0]!);
    expect(rvs[2]).toBeGreaterThan(rvs[1]!);
    const list = await c.get('/api/v1/configmaps');
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(rvs[2]!);
  });

  it('409 AlreadyExists for a duplicate name', async () => {
    await c.post(CM, { metadata: { name: 'dup' } });
    const r = await c.post(CM, { metadata: { name: 'dup' } });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
      details: { name: 'dup', kind: 'configmaps', group: '' },
      code: 409,
    });
  });

  it('resourceVersion set on create is a 500', async () => {
    const r = await c.post(CM, { metadata: { name: 'withrv', resourceVersion: '5' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toBe('resourceVersion should not be set on objects to be created');
  });

  it('name or generateName is required (422 Invalid with causes)', async () => {
    const r = await c.post(CM, { metadata: {} });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.message).toBe(
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    );
    expect(r.body.details.causes[0]).toEqual({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  });

  it('404 for a missing object, group-qualified for CRs', async () => {
    const a = await c.get(`${CM}/nope`);
    expect(a.status).toBe(404);
    expect(a.body.message).toBe('configmaps "nope" not found');
    const b = await c.get(`${W()}/nope`);
    expect(b.body.message).toBe('widgets.example.com "nope" not found');
    expect(b.body.details).toEqual({ name: 'nope', group: 'example.com', kind: 'widgets' });
  });
});

describe('updates and optimistic concurrency', () => {
  it('a stale resourceVersion is a 409 Conflict', async () => {
    const created = await c.post(CM, { metadata: { name: 'occ' }, data: { a: '1' } });
    const rv = created.body.metadata.resourceVersion;
    const u1 = await c.put(`${CM}/occ`, { metadata: { name: 'occ', resourceVersion: rv }, data: { a: '2' } });
    expect(u1.status).toBe(200);
    expect(u1.body.metadata.resourceVersion).not.toBe(rv);
    const u2 = await c.put(`${CM}/occ`, { metadata: { name: 'occ', resourceVersion: rv }, data: { a: '3' } });
    expect(u2.status).toBe(409);
    expect(u2.body.reason).toBe('Conflict');
    expect(u2.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('built-in PUT without resourceVersion overwrites; CR PUT without it is 422', async () => {
    await c.post(CM, { metadata: { name: 'norv' } });
    const u = await c.put(`${CM}/norv`, { metadata: { name: 'norv' }, data: { x: 'y' } });
    expect(u.status).toBe(200);
    await c.post(W(), widget('norv'));
    const w = await c.put(`${W()}/norv`, widget('norv', { replicas: 3 }));
    expect(w.status).toBe(422);
    expect(w.body.message).toBe(
      'Widget.example.com "norv" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
  });

  it('PUT keeps uid and creationTimestamp; name mismatch is 400; missing object is 404', async () => {
    const created = await c.post(CM, { metadata: { name: 'keep' } });
    const u = await c.put(`${CM}/keep`, {
      metadata: { name: 'keep', uid: 'changed', creationTimestamp: '2000-01-01T00:00:00Z' },
    });
    expect(u.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(u.body.metadata.creationTimestamp).toBe(created.body.metadata.creationTimestamp);
    const m = await c.put(`${CM}/keep`, { metadata: { name: 'other' } });
    expect(m.status).toBe(400);
    expect(m.body.message).toBe('the name of the object (other) does not match the name on the URL (keep)');
    const missing = await c.put(`${W()}/ghost`, {
      ...widget('ghost'),
      metadata: { name: 'ghost', resourceVersion: '1' },
    });
    expect(missing.status).toBe(404);
  });

  it('namespace mismatch between body and URL is 400', async () => {
    const r = await c.post(CM, { metadata: { name: 'nsm', namespace: 'kube-system' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  });

  it('no-op writes keep the resourceVersion and emit no watch event', async () => {
    const created = await c.post(CM, { metadata: { name: 'noop' }, data: { a: '1' } });
    const rv = created.body.metadata.resourceVersion;
    const w = c.watch(`${CM}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dnoop`);
    const same = await c.put(`${CM}/noop`, { metadata: { name: 'noop', resourceVersion: rv }, data: { a: '1' } });
    expect(same.body.metadata.resourceVersion).toBe(rv);
    const mp = await c.patch(`${CM}/noop`, { data: { a: '1' } }, 'merge');
    expect(mp.body.metadata.resourceVersion).toBe(rv);
    await c.patch(`${CM}/noop`, { data: { a: '2' } }, 'merge');
    await w.until((e) => e.length >= 1);
    w.stop();
    expect(w.events.map((e) => [e.type, e.object.data.a])).toEqual([['MODIFIED', '2']]);
  });
});

describe('generation and the status subresource', () => {
  it('generation starts at 1 and moves only on spec changes when a status subresource exists', async () => {
    const cr = await c.post(W(), widget('gen', { replicas: 1 }));
    expect(cr.body.metadata.generation).toBe(1);
    const st = await c.patch(`${W()}/gen/status`, { status: { phase: 'Up' } }, 'merge');
    expect(st.body.metadata.generation).toBe(1);
    expect(st.body.status.phase).toBe('Up');
    const meta = await c.patch(`${W()}/gen`, { metadata: { labels: { a: 'b' } } }, 'merge');
    expect(meta.body.metadata.generation).toBe(1);
    const spec = await c.patch(`${W()}/gen`, { spec: { replicas: 2 } }, 'merge');
    expect(spec.body.metadata.generation).toBe(2);
  });

  it('the main endpoint ignores status; /status ignores everything else', async () => {
    const cr = await c.post(W(), { ...widget('split'), status: { phase: 'Injected' } });
    expect(cr.body.status).toBeUndefined();
    await c.patch(`${W()}/split/status`, { status: { phase: 'Real' } }, 'merge');
    const main = await c.patch(`${W()}/split`, { status: { phase: 'Hacked' }, spec: { replicas: 4 } }, 'merge');
    expect(main.body.status.phase).toBe('Real');
    expect(main.body.spec.replicas).toBe(4);
    const viaStatus = await c.patch(
      `${W()}/split/status`,
      { metadata: { labels: { sneaky: 'yes' } }, spec: { replicas: 9 }, status: { phase: 'Later' } },
      'merge',
    );
    expect(viaStatus.body.status.phase).toBe('Later');
    expect(viaStatus.body.spec.replicas).toBe(4);
    expect(viaStatus.body.metadata.labels).toBeUndefined();
  });

  it('PUT /status needs the object and writes only status', async () => {
    const cur = (await c.get(`${W()}/split`)).body;
    const r = await c.put(`${W()}/split/status`, { ...cur, spec: { replicas: 50 }, status: { phase: 'Put' } });
    expect(r.status).toBe(200);
    expect(r.body.status.phase).toBe('Put');
    expect(r.body.spec.replicas).toBe(4);
  });

  it('generation bumps when deletionTimestamp is first set', async () => {
    await c.post(W(), widget('gendel', { replicas: 1 }, { finalizers: ['example.com/hold'] }));
    const d = await c.delete(`${W()}/gendel`);
    expect(d.status).toBe(200);
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    expect(d.body.metadata.generation).toBe(2);
    const again = await c.delete(`${W()}/gendel`);
    expect(again.body.metadata.generation).toBe(2);
    expect(again.body.metadata.deletionTimestamp).toBe(d.body.metadata.deletionTimestamp);
    await c.patch(`${W()}/gendel`, { metadata: { finalizers: null } }, 'merge');
  });
});

describe('scale subresource', () => {
  it('GET/PUT/PATCH scale read and write spec.replicas', async () => {
    await c.post(W(), widget('sc', { replicas: 2 }));
    await c.patch(`${W()}/sc/status`, { status: { replicas: 1 } }, 'merge');
    const s = await c.get(`${W()}/sc/scale`);
    expect(s.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 1, selector: '' },
    });
    const p = await c.patch(`${W()}/sc/scale`, { spec: { replicas: 5 } }, 'merge');
    expect(p.body.spec.replicas).toBe(5);
    expect((await c.get(`${W()}/sc`)).body.spec.replicas).toBe(5);
    const cur = (await c.get(`${W()}/sc/scale`)).body;
    // kubectl scale --current-replicas sends the PUT without Content-Type.
    const put = await c.call('PUT', `${W()}/sc/scale`, { body: { ...cur, spec: { replicas: 6 } }, contentType: null });
    expect(put.status).toBe(200);
    expect(put.body.spec.replicas).toBe(6);
    const stale = await c.put(`${W()}/sc/scale`, { ...cur, spec: { replicas: 7 } });
    expect(stale.status).toBe(409);
    expect((await c.get(`${W()}/sc`)).body.metadata.generation).toBe(3);
  });
});

describe('finalizers and deletion', () => {
  it('an object with finalizers stays with deletionTimestamp until the last one is removed', async () => {
    await c.post(CM, { metadata: { name: 'fin', finalizers: ['example.com/a', 'example.com/b'] } });
    const d = await c.delete(`${CM}/fin`);
    expect(d.status).toBe(200);
    expect(d.body.kind).toBe('ConfigMap');
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    expect(d.body.metadata.deletionGracePeriodSeconds).toBe(0);
    const add = await c.patch(
      `${CM}/fin`,
      [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/c' }],
      'json',
    );
    expect(add.status).toBe(422);
    expect(add.body.message).toContain('no new finalizers can be added if the object is being deleted');
    const one = await c.patch(`${CM}/fin`, { metadata: { finalizers: ['example.com/b'] } }, 'merge');
    expect(one.status).toBe(200);
    expect((await c.get(`${CM}/fin`)).status).toBe(200);
    const last = await c.patch(`${CM}/fin`, { metadata: { finalizers: [] } }, 'merge');
    expect(last.status).toBe(200);
    expect((await c.get(`${CM}/fin`)).status).toBe(404);
  });

  it('immediate delete answers Status Success for most kinds and the object for pods', async () => {
    const cm = await c.post(CM, { metadata: { name: 'gone' } });
    const d = await c.delete(`${CM}/gone`);
    expect(d.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'gone', kind: 'configmaps', uid: cm.body.metadata.uid },
    });
    await c.post('/api/v1/namespaces/default/pods', {
      metadata: { name: 'pd' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const p = await c.delete('/api/v1/namespaces/default/pods/pd');
    expect(p.body.kind).toBe('Pod');
  });

  it('delete preconditions on uid and resourceVersion give 409', async () => {
    await c.post(CM, { metadata: { name: 'pre' } });
    const r = await c.delete(`${CM}/pre`, { preconditions: { uid: 'wrong' } });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain('Precondition failed: UID in precondition: wrong');
    const r2 = await c.delete(`${CM}/pre`, { preconditions: { resourceVersion: '1' } });
    expect(r2.status).toBe(409);
  });
});

describe('dryRun', () => {
  it('dryRun=All persists nothing and emits no events', async () => {
    const list = await c.get(CM);
    const w = c.watch(`${CM}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    const r = await c.post(`${CM}?dryRun=All`, { metadata: { name: 'dry' }, data: { a: 'b' } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toBeTruthy();
    expect(r.body.metadata.creationTimestamp).toBeTruthy();
    expect((await c.get(`${CM}/dry`)).status).toBe(404);
    await c.post(CM, { metadata: { name: 'dry2' }, data: { a: 'b' } });
    const del = await c.delete(`${CM}/dry2?dryRun=All`);
    expect(del.status).toBe(200);
    const upd = await c.patch(`${CM}/dry2?dryRun=All`, { data: { a: 'c' } }, 'merge');
    expect(upd.body.data.a).toBe('c');
    expect((await c.get(`${CM}/dry2`)).body.data.a).toBe('b');
    await c.post(CM, { metadata: { name: 'dry-marker' } });
    await w.until((e) => e.some((x) => x.object.metadata.name === 'dry-marker'));
    w.stop();
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['dry2', 'dry-marker']);
    const bad = await c.post(`${CM}?dryRun=Some`, { metadata: { name: 'x' } });
    expect(bad.status).toBe(422);
  });
});

describe('namespaces', () => {
  it('creating in a missing namespace is 404; in a terminating one 403', async () => {
    const r = await c.post('/api/v1/namespaces/missing/configmaps', { metadata: { name: 'x' } });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "missing" not found');
    await c.post('/api/v1/namespaces', { metadata: { name: 'term' } });
    await c.post('/api/v1/namespaces/term/configmaps', {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    const d = await c.delete('/api/v1/namespaces/term');
    expect(d.status).toBe(200);
    expect(d.body.status.phase).toBe('Terminating');
    const f = await c.post('/api/v1/namespaces/term/configmaps', { metadata: { name: 'late' } });
    expect(f.status).toBe(403);
    expect(f.body.message).toBe(
      'configmaps "late" is forbidden: unable to create new content in namespace term because it is being terminated',
    );
    expect(f.body.details.causes[0].reason).toBe('NamespaceTerminating');
  });
});

describe('events', () => {
  it('core/v1 and events.k8s.io/v1 are two views of the same events', async () => {
    const core = await c.post('/api/v1/namespaces/default/events', {
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Widget', name: 'w', namespace: 'default', uid: 'u-1' },
      reason: 'Scaled',
      message: 'scaled to 3',
      type: 'Normal',
      count: 2,
      source: { component: 'ctrl' },
    });
    expect(core.status).toBe(201);
    const v1 = (await c.get('/apis/events.k8s.io/v1/namespaces/default/events/e1')).body;
    expect(v1).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      regarding: { kind: 'Widget', name: 'w', uid: 'u-1' },
      note: 'scaled to 3',
      reason: 'Scaled',
      deprecatedCount: 2,
      deprecatedSource: { component: 'ctrl' },
    });
    expect(v1.involvedObject).toBeUndefined();
    const created = await c.post('/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'e2' },
      eventTime: `${new Date().toISOString().slice(0, 19)}.000000Z`, // recent: older Events expire (event TTL)
      reportingController: 'example.com/ctrl',
      reportingInstance: 'i',
      action: 'Scale',
      reason: 'Scaled',
      regarding: { kind: 'Widget', name: 'w2', namespace: 'default', uid: 'u-2' },
      note: 'hello',
      type: 'Normal',
    });
    expect(created.status).toBe(201);
    const asCore = (await c.get('/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3Du-2')).body.items;
    expect(asCore).toHaveLength(1);
    expect(asCore[0]).toMatchObject({
      apiVersion: 'v1',
      message: 'hello',
      involvedObject: { name: 'w2' },
      reportingComponent: 'example.com/ctrl',
    });
  });
});
