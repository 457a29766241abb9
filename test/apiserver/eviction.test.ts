// pods/eviction honouring PodDisruptionBudgets, with PDB status computed from the pods' Ready condition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, eventually, startTestServer } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer());
});
afterAll(() => api.stop());

async function setup(ns: string, pods: Array<{ name: string; ready: boolean; phase?: string; app?: string }>) {
  await c.post('/api/v1/namespaces', { metadata: { name: ns } });
  for (const p of pods) {
    await c.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: p.name, labels: { app: p.app ?? 'a' } },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img' }] },
    });
    await c.patch(
      `/api/v1/namespaces/${ns}/pods/${p.name}/status`,
      { status: { phase: p.phase ?? 'Running', conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }] } },
      'strategic',
    );
  }
}

const evict = (ns: string, name: string, body?: object) =>
  c.post(
    `/api/v1/namespaces/${ns}/pods/${name}/eviction`,
    body ?? { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, deleteOptions: {} },
  );

async function pdb(ns: string, spec: object) {
  const r = await c.post(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
    metadata: { name: 'budget' },
    spec,
  });
  expect(r.status).toBe(201);
  return eventually('pdb observed', async () => {
    const g = (await c.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/budget`)).body;
    return g.status?.observedGeneration === g.metadata.generation ? g : undefined;
  });
}

describe('PodDisruptionBudget status', () => {
  it('counts healthy pods from the Ready condition', async () => {
    await setup('pdb-status', [
      { name: 'p1', ready: true },
      { name: 'p2', ready: true },
      { name: 'p3', ready: false },
      { name: 'other', ready: true, app: 'b' },
    ]);
    const st = (await pdb('pdb-status', { minAvailable: 1, selector: { matchLabels: { app: 'a' } } })).status;
    expect(st).toMatchObject({ expectedPods: 3, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 });
    await c.patch(
      '/api/v1/namespaces/pdb-status/pods/p3/status',
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      'strategic',
    );
    await eventually(
      'p3 healthy',
      async () =>
        (await c.get('/apis/policy/v1/namespaces/pdb-status/poddisruptionbudgets/budget')).body.status
          .currentHealthy === 3,
    );
    const pct = await c.patch(
      '/apis/policy/v1/namespaces/pdb-status/poddisruptionbudgets/budget',
      { spec: { minAvailable: null, maxUnavailable: '50%' } },
      'merge',
    );
    expect(pct.body.metadata.generation).toBe(2);
    const after = await eventually('re-observed', async () => {
      const g = (await c.get('/apis/policy/v1/namespaces/pdb-status/poddisruptionbudgets/budget')).body;
      return g.status.observedGeneration === 2 ? g.status : undefined;
    });
    expect(after).toMatchObject({ expectedPods: 3, desiredHealthy: 1, disruptionsAllowed: 2 });
  });
});

describe('eviction', () => {
  it('evicts while the budget allows, then answers 429 with the budget numbers', async () => {
    await setup('ev', [
      { name: 'p1', ready: true },
      { name: 'p2', ready: true },
    ]);
    await pdb('ev', { minAvailable: 1, selector: { matchLabels: { app: 'a' } } });
    const ok = await evict('ev', 'p1');
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    expect((await c.get('/api/v1/namespaces/ev/pods/p1')).status).toBe(404);
    const no = await evict('ev', 'p2');
    expect(no.status).toBe(429);
    expect(no.body.reason).toBe('TooManyRequests');
    expect(no.body.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(no.body.details.causes).toEqual([
      { reason: 'DisruptionBudget', message: 'The disruption budget budget needs 1 healthy pods and has 1 currently' },
    ]);
    expect((await c.get('/api/v1/namespaces/ev/pods/p2')).status).toBe(200);
  });

  it('pending/succeeded pods and pods without a budget are evicted; name mismatch 400; missing pod 404', async () => {
    await setup('ev2', [
      { name: 'pending', ready: false, phase: 'Pending' },
      { name: 'free', ready: true, app: 'nobudget' },
      { name: 'guarded', ready: true },
    ]);
    await pdb('ev2', { minAvailable: 5, selector: { matchLabels: { app: 'a' } } });
    expect((await evict('ev2', 'pending')).status).toBe(201);
    expect((await evict('ev2', 'free')).status).toBe(201);
    const mismatch = await evict('ev2', 'guarded', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'other' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toBe('name in URL does not match name in Eviction object');
    expect((await evict('ev2', 'ghost')).status).toBe(404);
  });

  it('more than one matching budget is a 500', async () => {
    await setup('ev3', [{ name: 'p', ready: true }]);
    await pdb('ev3', { maxUnavailable: 1, selector: { matchLabels: { app: 'a' } } });
    await c.post('/apis/policy/v1/namespaces/ev3/poddisruptionbudgets', {
      metadata: { name: 'second' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'a' } } },
    });
    const r = await evict('ev3', 'p');
    expect(r.status).toBe(500);
    expect(r.body.message).toBe(
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  });
});
