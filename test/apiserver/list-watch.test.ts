// Lists and watches: label/field selectors, pagination with consistent continue tokens, watch start points,
// bookmarks, timeouts, selector transitions, 410 for compacted history, Table output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, startTestServer, W, widget, widgetCrd } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer({ crds: [widgetCrd()], bookmarkIntervalMs: 200 }));
});
afterAll(() => api.stop());

async function ns(name: string) {
  await c.post('/api/v1/namespaces', { metadata: { name } });
  return `/api/v1/namespaces/${name}/configmaps`;
}

describe('selectors', () => {
  it('label selectors: =, ==, !=, in, notin, exists, !exists, gt, lt', async () => {
    const cm = await ns('labels');
    const mk = (name: string, labels: Record<string, string>) => c.post(cm, { metadata: { name, labels } });
    await mk('a', { env: 'prod', tier: 'web', n: '3' });
    await mk('b', { env: 'dev', tier: 'db', n: '10' });
    await mk('c', { env: 'qa' });
    const names = async (sel: string) =>
      (await c.get(`${cm}?labelSelector=${encodeURIComponent(sel)}`)).body.items.map(
        (i: { metadata: { name: string } }) => i.metadata.name,
      );
    expect(await names('env=prod')).toEqual(['a']);
    expect(await names('env==dev')).toEqual(['b']);
    expect(await names('env!=prod')).toEqual(['b', 'c']);
    expect(await names('tier!=web')).toEqual(['b', 'c']);
    expect(await names('env in (prod,qa)')).toEqual(['a', 'c']);
    expect(await names('tier notin (web)')).toEqual(['b', 'c']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c']);
    expect(await names('n>5')).toEqual(['b']);
    expect(await names('n<5')).toEqual(['a']);
    expect(await names('env,tier=db')).toEqual(['b']);
    const bad = await c.get(`${cm}?labelSelector=${encodeURIComponent('a b')}`);
    expect(bad.status).toBe(400);
  });

  it('field selectors on metadata and kind-specific fields; unknown field is 400', async () => {
    await ns('fields');
    const pods = '/api/v1/namespaces/fields/pods';
    for (const [name, node] of [
      ['p1', 'n1'],
      ['p2', 'n2'],
    ])
      await c.post(pods, { metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'i' }] } });
    await c.patch(`${pods}/p2/status`, { status: { phase: 'Running' } }, 'merge');
    const q = async (path: string) =>
      (await c.get(path)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await q(`/api/v1/pods?fieldSelector=spec.nodeName%3Dn1`)).toEqual(['p1']);
    expect(await q(`${pods}?fieldSelector=status.phase%3DRunning`)).toEqual(['p2']);
    expect(await q(`${pods}?fieldSelector=status.phase!%3DRunning,metadata.name%3Dp1`)).toEqual(['p1']);
    expect(await q(`/api/v1/pods?fieldSelector=metadata.namespace%3Dfields`)).toEqual(['p1', 'p2']);
    await c.post('/api/v1/nodes', { metadata: { name: 'fs-node' }, spec: { unschedulable: true } });
    expect(await q(`/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue`)).toEqual(['fs-node']);
    const bad = await c.get(`${pods}?fieldSelector=spec.foo%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.foo');
    const badCr = await c.get(`${W()}?fieldSelector=spec.color%3Dred`);
    expect(badCr.status).toBe(400);
    expect(badCr.body.message).toBe(
      '"spec.color" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
});

describe('pagination', () => {
  it('limit/continue pages a consistent snapshot; remainingItemCount; empty list is []', async () => {
    const cm = await ns('pages');
    expect((await c.get(cm)).body.items).toEqual([]);
    for (let i = 0; i < 5; i++) await c.post(cm, { metadata: { name: `cm${i}` } });
    const p1 = await c.get(`${cm}?limit=2`);
    expect(p1.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['cm0', 'cm1']);
    expect(p1.body.metadata.remainingItemCount).toBe(3);
    const rv = p1.body.metadata.resourceVersion;
    // Changes after the first page do not leak into later pages.
    await c.delete(`${cm}/cm3`);
    await c.post(cm, { metadata: { name: 'cm9' } });
    const p2 = await c.get(`${cm}?limit=2&continue=${p1.body.metadata.continue}`);
    expect(p2.body.metadata.resourceVersion).toBe(rv);
    expect(p2.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['cm2', 'cm3']);
    const p3 = await c.get(`${cm}?limit=2&continue=${p2.body.metadata.continue}`);
    expect(p3.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['cm4']);
    expect(p3.body.metadata.continue).toBeUndefined();
  });

  it('an expired continue token is 410 Expired; a malformed one 400', async () => {
    const cm = await ns('expire');
    for (let i = 0; i < 3; i++) await c.post(cm, { metadata: { name: `e${i}` } });
    const p1 = await c.get(`${cm}?limit=1`);
    await c.post(cm, { metadata: { name: 'later' } });
    api.compactHistory();
    const p2 = await c.get(`${cm}?limit=1&continue=${p1.body.metadata.continue}`);
    expect(p2.status).toBe(410);
    expect(p2.body.reason).toBe('Expired');
    expect((await c.get(`${cm}?limit=1&continue=garbage!`)).status).toBe(400);
  });
});

describe('watch', () => {
  it('resourceVersion unset/0: synthetic ADDED for existing objects, then changes', async () => {
    const cm = await ns('w-synth');
    await c.post(cm, { metadata: { name: 'pre' } });
    const w = c.watch(`${cm}?watch=true`);
    await w.until((e) => e.length === 1);
    expect(w.events[0]).toMatchObject({
      type: 'ADDED',
      object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'pre' } },
    });
    await c.post(cm, { metadata: { name: 'post' } });
    await c.patch(`${cm}/post`, { data: { a: 'b' } }, 'merge');
    await c.delete(`${cm}/post`);
    await w.until((e) => e.length === 4);
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED pre',
      'ADDED post',
      'MODIFIED post',
      'DELETED post',
    ]);
    const del = w.events[3];
    expect(Number(del.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(w.events[2].object.metadata.resourceVersion),
    );
  });

  it('from a resourceVersion: only later changes, resumable', async () => {
    const cm = await ns('w-resume');
    const a = await c.post(cm, { metadata: { name: 'a' } });
    await c.post(cm, { metadata: { name: 'b' } });
    await c.post(cm, { metadata: { name: 'c' } });
    const w = c.watch(`${cm}?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    await w.until((e) => e.length === 2);
    w.stop();
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
  });

  it('label-filtered watch turns (un)matching into ADDED/DELETED', async () => {
    const cm = await ns('w-label');
    const list = await c.get(cm);
    const w = c.watch(`${cm}?watch=true&labelSelector=app%3Dx&resourceVersion=${list.body.metadata.resourceVersion}`);
    await c.post(cm, { metadata: { name: 'o' } });
    await c.patch(`${cm}/o`, { metadata: { labels: { app: 'x' } } }, 'merge');
    await c.patch(`${cm}/o`, { data: { k: 'v' } }, 'merge');
    await c.patch(`${cm}/o`, { metadata: { labels: { app: 'y' } } }, 'merge');
    await c.delete(`${cm}/o`);
    await c.post(cm, { metadata: { name: 'end', labels: { app: 'x' } } });
    await w.until((e) => e.some((x) => x.object.metadata.name === 'end'));
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED o',
      'MODIFIED o',
      'DELETED o',
      'ADDED end',
    ]);
  });

  it('bookmarks when allowed; timeoutSeconds ends the stream', async () => {
    const cm = await ns('w-book');
    const list = await c.get(cm);
    const w = c.watch(
      `${cm}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=1`,
    );
    await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    const b = w.events.find((x) => x.type === 'BOOKMARK');
    expect(b.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.any(String) },
    });
    await w.untilEnded();
    const plain = c.watch(`${cm}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=1`);
    await plain.untilEnded();
    expect(plain.events.some((x) => x.type === 'BOOKMARK')).toBe(false);
  });

  it('boolean parameters as kube-apiserver reads them: only absent, 0 and false (any case) are false', async () => {
    const cm = await ns('w-bool');
    await c.post(cm, { metadata: { name: 'pre' } });
    // The Python client sends watch=True; Go's forms and an empty value are true as well.
    for (const v of ['True', 'TRUE', 't', '1', '']) {
      const w = c.watch(`${cm}?watch=${v}&timeoutSeconds=1`);
      await w.until((e) => e.length === 1);
      expect(w.events[0], `watch=${v}`).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'pre' } } });
      w.stop();
    }
    for (const v of ['false', 'False', '0']) {
      const r = await c.get(`${cm}?watch=${v}`);
      expect(r.body.kind, `watch=${v}`).toBe('ConfigMapList');
    }
    const list = await c.get(cm);
    const w = c.watch(`${cm}?watch=1&allowWatchBookmarks=True&resourceVersion=${list.body.metadata.resourceVersion}`);
    await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    w.stop();
  });

  it('a compacted resourceVersion gets 200 and a single ERROR 410 Expired event', async () => {
    const cm = await ns('w-gone');
    const a = await c.post(cm, { metadata: { name: 'a' } });
    await c.post(cm, { metadata: { name: 'b' } });
    api.compactHistory();
    const w = c.watch(`${cm}?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    await w.untilEnded();
    expect(w.status).toBe(200);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' },
    });
    expect(w.events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('Table watch events: one row each, column definitions only in the first', async () => {
    await c.post(W(), widget('tw1'));
    const w = c.watch(`${W()}?watch=true&fieldSelector=metadata.name%3Dtw1`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    await w.until((e) => e.length === 1);
    await c.patch(`${W()}/tw1`, { spec: { replicas: 4 } }, 'merge');
    await w.until((e) => e.length === 2);
    w.stop();
    expect(w.events[0].object.kind).toBe('Table');
    expect(w.events[0].object.columnDefinitions.map((d: { name: string }) => d.name)).toEqual([
      'Name',
      'Replicas',
      'Phase',
      'Color',
      'Age',
    ]);
    expect(w.events[1].object.columnDefinitions).toEqual([]);
    expect(w.events[1].object.rows[0].cells.slice(0, 3)).toEqual(['tw1', 4, null]);
    expect(w.events[1].object.rows[0].object.kind).toBe('PartialObjectMetadata');
  });
});

describe('Table lists', () => {
  it('CR printer columns, priority, PartialObjectMetadata rows', async () => {
    await c.post(W(), widget('tb1', { replicas: 3, color: 'blue' }));
    await c.patch(`${W()}/tb1/status`, { status: { phase: 'Ready' } }, 'merge');
    const t = await c.get(`${W()}?fieldSelector=metadata.name%3Dtb1`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(t.headers['content-type']).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(t.body.columnDefinitions.map((d: { name: string; priority: number }) => [d.name, d.priority])).toEqual([
      ['Name', 0],
      ['Replicas', 0],
      ['Phase', 0],
      ['Color', 1],
      ['Age', 0],
    ]);
    expect(t.body.rows[0].cells.slice(0, 4)).toEqual(['tb1', 3, 'Ready', 'blue']);
    expect(t.body.rows[0].cells[4]).toMatch(/^\d+s$/);
    expect(t.body.rows[0].object.metadata.name).toBe('tb1');
  });

  it('built-in columns: Namespace NAME STATUS AGE, Pod NAME READY STATUS RESTARTS AGE', async () => {
    const nsT = await c.get('/api/v1/namespaces/default', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(nsT.body.columnDefinitions.map((d: { name: string }) => d.name)).toEqual(['Name', 'Status', 'Age']);
    expect(nsT.body.rows[0].cells.slice(0, 2)).toEqual(['default', 'Active']);
    const pods = await c.get('/api/v1/namespaces/fields/pods', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(
      pods.body.columnDefinitions
        .filter((d: { priority: number }) => d.priority === 0)
        .map((d: { name: string }) => d.name),
    ).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  });
});
