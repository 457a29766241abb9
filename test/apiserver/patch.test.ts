// Patch types over HTTPS: JSON patch, merge patch, strategic merge patch for built-ins (415 for CRs), and
// server-side apply with managedFields, conflicts, force and removal of fields an applier stopped applying.
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
const PODS = '/api/v1/namespaces/default/pods';

describe('JSON patch and merge patch', () => {
  it('applies RFC 6902 ops including test; a failing test is 422, garbage 400', async () => {
    await c.post(CM, { metadata: { name: 'jp' }, data: { a: '1', b: '2' } });
    const r = await c.patch(
      `${CM}/jp`,
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: 'x' },
        { op: 'remove', path: '/data/b' },
        { op: 'add', path: '/data/c', value: '3' },
        { op: 'copy', from: '/data/c', path: '/data/d' },
        { op: 'move', from: '/data/d', path: '/data/e' },
      ],
      'json',
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ a: 'x', c: '3', e: '3' });
    const failing = await c.patch(`${CM}/jp`, [{ op: 'test', path: '/data/a', value: 'nope' }], 'json');
    expect(failing.status).toBe(422);
    expect(failing.body.message).toBe('the server rejected our request due to an error in our request');
    const garbage = await c.patch(`${CM}/jp`, { not: 'a list' }, 'json');
    expect(garbage.status).toBe(400);
  });

  it('merge patch: null deletes, lists replace; metadata.resourceVersion in a patch is a precondition', async () => {
    await c.post(CM, { metadata: { name: 'mp', labels: { a: 'b', c: 'd' } }, data: { k: 'v' } });
    const r = await c.patch(`${CM}/mp`, { metadata: { labels: { a: null, e: 'f' } } }, 'merge');
    expect(r.body.metadata.labels).toEqual({ c: 'd', e: 'f' });
    const stale = await c.patch(`${CM}/mp`, { metadata: { resourceVersion: '1' }, data: { k: 'w' } }, 'merge');
    expect(stale.status).toBe(409);
    const ok = await c.patch(
      `${CM}/mp`,
      { metadata: { resourceVersion: r.body.metadata.resourceVersion }, data: { k: 'w' } },
      'merge',
    );
    expect(ok.status).toBe(200);
    expect((await c.patch(`${CM}/missing`, { data: {} }, 'merge')).status).toBe(404);
  });
});

describe('strategic merge patch', () => {
  it('merges containers, env and volumes by name, finalizers as a set, conditions by type; directives consumed', async () => {
    await c.post(PODS, {
      metadata: { name: 'smp', finalizers: ['example.com/a'] },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'a:1',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '2' },
            ],
          },
          { name: 'b', image: 'b:1' },
        ],
        volumes: [{ name: 'v1', emptyDir: {} }],
      },
    });
    const r = await c.patch(
      `${PODS}/smp`,
      {
        metadata: { finalizers: ['example.com/b'] },
        spec: {
          containers: [
            {
              name: 'a',
              image: 'a:2',
              env: [
                { name: 'Y', $patch: 'delete' },
                { name: 'Z', value: '3' },
              ],
            },
            { name: 'c', image: 'c:1' },
          ],
          volumes: [{ name: 'v2', emptyDir: {} }],
          $setElementOrder: undefined,
        },
      },
      'strategic',
    );
    expect(r.status).toBe(200);
    const spec = r.body.spec;
    expect(spec.containers.map((x: { name: string; image: string }) => `${x.name}=${x.image}`)).toEqual([
      'a=a:2',
      'b=b:1',
      'c=c:1',
    ]);
    expect(spec.containers[0].env).toEqual([
      { name: 'X', value: '1' },
      { name: 'Z', value: '3' },
    ]);
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['v1', 'v2']);
    expect(r.body.metadata.finalizers).toEqual(['example.com/a', 'example.com/b']);
    const del = await c.patch(
      `${PODS}/smp`,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] } },
      'strategic',
    );
    expect(del.body.metadata.finalizers).toEqual(['example.com/b']);
    const st = await c.patch(
      `${PODS}/smp/status`,
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'False' },
            { type: 'Init', status: 'True' },
          ],
        },
      },
      'strategic',
    );
    const st2 = await c.patch(
      `${PODS}/smp/status`,
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      'strategic',
    );
    expect(st.status).toBe(200);
    expect(st2.body.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Init', status: 'True' },
    ]);
    const replaced = await c.patch(
      `${PODS}/smp`,
      { spec: { volumes: [{ $patch: 'replace' }, { name: 'only', emptyDir: {} }] } },
      'strategic',
    );
    expect(replaced.body.spec.volumes).toEqual([{ name: 'only', emptyDir: {} }]);
    expect(JSON.stringify(replaced.body)).not.toContain('$patch');
    await c.patch(`${PODS}/smp`, { metadata: { finalizers: null } }, 'merge');
  });

  it('node taints merge by key and ownerReferences by uid', async () => {
    await c.post('/api/v1/nodes', {
      metadata: { name: 'smp-node' },
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
    });
    const r = await c.patch(
      '/api/v1/nodes/smp-node',
      { spec: { taints: [{ key: 'b', effect: 'NoExecute' }], unschedulable: true } },
      'strategic',
    );
    expect(r.body.spec.taints.map((t: { key: string }) => t.key)).toEqual(['a', 'b']);
    await c.post(CM, {
      metadata: {
        name: 'owned',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'smp-node', uid: r.body.metadata.uid }],
      },
    });
    const o = await c.patch(
      `${CM}/owned`,
      {
        metadata: {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'Node', name: 'smp-node', uid: r.body.metadata.uid, controller: true },
          ],
        },
      },
      'strategic',
    );
    expect(o.body.metadata.ownerReferences).toHaveLength(1);
    expect(o.body.metadata.ownerReferences[0].controller).toBe(true);
  });

  it('custom resources reject strategic merge patch with 415', async () => {
    await c.post(W(), widget('nosmp'));
    const r = await c.patch(`${W()}/nosmp`, { spec: { replicas: 2 } }, 'strategic');
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe('UnsupportedMediaType');
    expect(r.body.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });
});

describe('server-side apply', () => {
  const cfg = (data: Record<string, string>, labels?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ssa', ...(labels ? { labels } : {}) },
    data,
  });

  it('creates when missing (201), needs fieldManager, records Apply managedFields', async () => {
    const noMgr = await c.patch(`${CM}/ssa`, cfg({ a: '1' }), 'apply');
    expect(noMgr.status).toBe(422);
    expect(noMgr.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const r = await c.patch(`${CM}/ssa?fieldManager=alice`, cfg({ a: '1', b: '2' }, { team: 'x' }), 'apply');
    expect(r.status).toBe(201);
    expect(r.body.metadata.managedFields).toEqual([
      {
        manager: 'alice',
        operation: 'Apply',
        apiVersion: 'v1',
        time: expect.any(String),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } },
      },
    ]);
  });

  it('YAML bodies work; force on a non-apply patch is 422', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-yaml\ndata:\n  k: v\n';
    const r = await c.call('PATCH', `${CM}/ssa-yaml?fieldManager=yamler`, {
      raw: yaml,
      contentType: 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(201);
    expect(r.body.data).toEqual({ k: 'v' });
    const f = await c.patch(`${CM}/ssa-yaml?force=true`, { data: { k: 'w' } }, 'merge');
    expect(f.status).toBe(422);
    expect(f.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
  });

  it('conflicts with another manager are 409 listing fields unless force=true', async () => {
    const bob = await c.patch(`${CM}/ssa?fieldManager=bob`, cfg({ a: '9' }), 'apply');
    expect(bob.status).toBe(409);
    expect(bob.body.reason).toBe('Conflict');
    expect(bob.body.message).toBe('Apply failed with 1 conflict: conflict with "alice": .data.a');
    expect(bob.body.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.a' },
    ]);
    const shared = await c.patch(`${CM}/ssa?fieldManager=bob`, cfg({ a: '1' }), 'apply');
    expect(shared.status).toBe(200);
    const forced = await c.patch(`${CM}/ssa?fieldManager=bob&force=true`, cfg({ a: '9' }), 'apply');
    expect(forced.status).toBe(200);
    expect(forced.body.data.a).toBe('9');
    const owners = Object.fromEntries(
      forced.body.metadata.managedFields.map((m: { manager: string; fieldsV1: Record<string, unknown> }) => [
        m.manager,
        m.fieldsV1,
      ]),
    );
    expect(owners.alice).toEqual({ 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } });
    expect(owners.bob).toEqual({ 'f:data': { 'f:a': {} } });
  });

  it('fields the manager applied before and now omits are removed unless someone else owns them', async () => {
    const r = await c.patch(`${CM}/ssa?fieldManager=alice`, cfg({ b: '2' }), 'apply');
    expect(r.status).toBe(200);
    // alice dropped the label (only she owned it) and data.a (bob owns it now, so it stays).
    expect(r.body.metadata.labels).toBeUndefined();
    expect(r.body.data).toEqual({ a: '9', b: '2' });
  });

  it('Update operations are recorded with the manager from fieldManager or the User-Agent', async () => {
    await c.post(`${CM}?fieldManager=creator`, { metadata: { name: 'upd', labels: { a: 'b' } }, data: { k: 'v' } });
    const r = await c.patch(`${CM}/upd`, { data: { k2: 'v2' } }, 'merge', {
      headers: { 'User-Agent': 'kubectl/v1.32.4 (linux/amd64)' },
    });
    const mf = r.body.metadata.managedFields;
    expect(mf.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toEqual([
      'creator/Update',
      'kubectl/Update',
    ]);
    expect(mf[0].fieldsV1).toEqual({
      'f:data': { '.': {}, 'f:k': {} },
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
    });
    expect(mf[1].fieldsV1).toEqual({ 'f:data': { 'f:k2': {} } });
    const cleared = await c.patch(`${CM}/upd`, { metadata: { managedFields: [{}] } }, 'merge');
    expect(cleared.body.metadata.managedFields).toBeUndefined();
  });

  it('custom resources: apply, list-type map merging by key, status subresource apply', async () => {
    const a = await c.patch(
      `${W()}/ssaw?fieldManager=one`,
      widget('ssaw', { replicas: 1, ports: [{ name: 'http', port: 80 }] }),
      'apply',
    );
    expect(a.status).toBe(201);
    const b = await c.patch(
      `${W()}/ssaw?fieldManager=two`,
      widget('ssaw', { replicas: 1, ports: [{ name: 'https', port: 443 }] }),
      'apply',
    );
    expect(b.status).toBe(200);
    expect(b.body.spec.ports).toEqual([
      { name: 'http', port: 80 },
      { name: 'https', port: 443 },
    ]);
    const st = await c.patch(
      `${W()}/ssaw/status?fieldManager=ctrl`,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'ssaw' }, status: { phase: 'Up' } },
      'apply',
    );
    expect(st.body.status.phase).toBe('Up');
    const ctrl = st.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'ctrl');
    expect(ctrl).toMatchObject({
      operation: 'Apply',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:phase': {} } },
    });
    const wrongKind = await c.patch(
      `${W()}/ssaw?fieldManager=one`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssaw' } },
      'apply',
    );
    expect(wrongKind.status).toBe(400);
  });
});
