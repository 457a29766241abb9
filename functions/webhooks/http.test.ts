import { describe, expect, it } from 'vitest';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { DEFAULT_BUDGET_MS, handleWebhookRequest, type WebhookHttpOptions, webhookHttpHandler } from './http.ts';
import type { ReviewContext } from './review.ts';

const AWS: ReviewContext = {
  openshift: { infrastructureName: 'c', platformType: 'AWS', provider: PLATFORM_PROVIDERS.AWS },
};
const GCP: ReviewContext = {
  openshift: { infrastructureName: 'c', platformType: 'GCP', provider: PLATFORM_PROVIDERS.GCP },
};
const opts = (context: WebhookHttpOptions['context']): WebhookHttpOptions => ({ context });
const body = (kind: string, group = 'infrastructure.cluster.x-k8s.io') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group, version: 'v1beta1', kind },
      operation: 'CREATE',
      namespace: 'openshift-cluster-api',
      name: 't',
      object: {
        apiVersion: `${group}/v1beta1`,
        kind,
        metadata: { name: 't', namespace: 'openshift-cluster-api' },
        spec: { template: { spec: { instanceType: 'm5.large' } } },
      },
    },
  });

describe('handleWebhookRequest', () => {
  it.each([
    ['GET', '/validate', '', 405],
    ['POST', '/elsewhere', '{}', 404],
    ['POST', '/validate', 'not json', 400],
    ['POST', '/validate', '{"apiVersion":"v1","kind":"Pod"}', 400],
    ['POST', '/validate', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}', 400],
    ['POST', '/validate', 'null', 400],
  ])('%s %s %s → %i', async (method, url, b, code) => {
    const r = await handleWebhookRequest(
      { method, url, body: b },
      opts(async () => AWS),
    );
    expect(r.status).toBe(code);
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code });
  });

  it('answers an AdmissionReview with one, echoing the uid', async () => {
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate?timeout=10s', body: body('AWSMachineTemplate') },
      opts(async () => AWS),
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1' },
    });
  });

  it('loads the kind’s schema on its first review: an unknown field is refused by name', async () => {
    // Nothing in this file loads a kind (review.test.ts does, for its direct calls): the handler must.
    const wrong = JSON.parse(body('AWSMachineTemplate')) as { request: { object: { spec: object } } };
    wrong.request.object.spec = { template: { spec: { instanceType: 'm5.large', instancetype: 'typo' } } };
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: JSON.stringify(wrong) },
      opts(async () => AWS),
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).response).toMatchObject({
      allowed: false,
      status: { message: expect.stringContaining('spec.template.spec.instancetype: Invalid value') },
    });
  });

  it('413 for an oversized body', async () => {
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: 'x'.repeat(100) },
      { ...opts(async () => AWS), maxBodyBytes: 10 },
    );
    expect(r.status).toBe(413);
  });

  it('when the cluster facts cannot be read in time it refuses with a reason, inside the budget', async () => {
    const never = () => new Promise<ReviewContext>(() => {});
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: body('AWSMachineTemplate') },
      { ...opts(never), budgetMs: 50 },
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).response).toMatchObject({
      uid: 'u1',
      allowed: false,
      status: { code: 503, message: expect.stringContaining('could not read Infrastructure/cluster') },
    });
    const failing = async () => {
      throw new Error('connection refused');
    };
    const f = await handleWebhookRequest(
      { method: 'POST', url: '/mutate', body: body('AWSMachineTemplate') },
      opts(failing),
    );
    expect(JSON.parse(f.body).response.status.message).toContain('connection refused');
  });

  it('never refuses on cached facts: a denial is re-checked with a fresh read', async () => {
    const calls: Array<boolean | undefined> = [];
    // The cache still says GCP; the cluster moved to AWS.
    const ctx = async (o?: { fresh?: boolean }) => {
      calls.push(o?.fresh);
      return o?.fresh ? AWS : GCP;
    };
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: body('AWSMachineTemplate') },
      opts(ctx),
    );
    expect(JSON.parse(r.body).response.allowed).toBe(true);
    expect(calls).toEqual([undefined, true]);
    calls.length = 0;
    const denied = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: body('GCPMachineTemplate') },
      opts(async (o) => {
        calls.push(o?.fresh);
        return AWS;
      }),
    );
    expect(JSON.parse(denied.body).response.allowed).toBe(false);
    expect(calls).toEqual([undefined, true]);
  });

  it('healthz', async () => {
    expect(
      (
        await handleWebhookRequest(
          { method: 'GET', url: '/healthz', body: '' },
          opts(async () => AWS),
        )
      ).status,
    ).toBe(200);
  });

  it('the budget is the function’s own: the registered 10 s less a margin', () => {
    expect(DEFAULT_BUDGET_MS).toBe(9_000);
  });

  it('ignores the caller’s ?timeout= (audit 5): a slow read is refused within the function’s bound', async () => {
    const never = () => new Promise<ReviewContext>(() => {});
    // Were ?timeout=3600s honoured, this would still be waiting (for an hour less a second).
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate?timeout=3600s', body: body('AWSMachineTemplate') },
      { ...opts(never), budgetMs: 50 },
    );
    expect(JSON.parse(r.body).response).toMatchObject({ uid: 'u1', allowed: false, status: { code: 503 } });
  });
});

describe('an internal failure of the review (audit 6)', () => {
  it('is a 500 carrying only a correlation ID; the detail is logged under it', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const log = {
      debug() {},
      info() {},
      warn() {},
      error: (o: object) => logged.push(o as Record<string, unknown>),
      child: () => log,
    };
    // Facts whose reading throws stand in for a bug inside review().
    const broken = {
      get openshift(): never {
        throw new Error('token: sha256~LEAKED');
      },
    } as ReviewContext;
    const r = await handleWebhookRequest(
      { method: 'POST', url: '/validate', body: body('AWSMachineTemplate') },
      { context: async () => broken, log },
    );
    expect(r.status).toBe(500);
    expect(r.body).not.toMatch(/LEAKED|AWSMachineTemplate|token/);
    const id = JSON.parse(r.body).details.uid;
    expect(r.headers['x-correlation-id']).toBe(id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ correlationId: id, uid: 'u1', kind: 'AWSMachineTemplate' });
  });
});

describe('webhookHttpHandler (the embedded default’s HTTPS server) authenticates before reading', () => {
  const TOKEN = 'k'.repeat(43);
  async function serve() {
    const { createServer } = await import('node:http');
    const server = createServer(
      webhookHttpHandler({
        context: async () => AWS,
        maxBodyBytes: 1024,
        tokens: { accepts: async (t) => t === TOKEN },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    return {
      post: async (path: string, b: string) => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: b });
        return { status: r.status, body: await r.text() };
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('a wrong or missing token is 401 even for a body over the limit (it is never read)', async () => {
    const s = await serve();
    try {
      const big = 'x'.repeat(64 * 1024);
      expect((await s.post('/validate', big)).status).toBe(401);
      expect((await s.post(`/${'z'.repeat(43)}/validate`, big)).status).toBe(401);
      // With the token the same body is read, and refused for its size.
      expect((await s.post(`/${TOKEN}/validate`, big)).status).toBe(413);
      const ok = await s.post(`/${TOKEN}/validate`, body('AWSMachineTemplate'));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).response).toMatchObject({ uid: 'u1', allowed: true });
    } finally {
      await s.close();
    }
  });
});
