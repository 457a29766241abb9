// Admission webhooks against a real HTTPS webhook server: AdmissionReview v1 requests, JSONPatch mutation,
// denial, failure policy, timeouts, caBundle verification, service references, rule matching, warnings.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { createCa, issueServerCert } from '../../local/apiserver/tls.ts';
import { type Client, startTestServer, W, widget, widgetCrd } from './helpers.ts';

type Review = { request: Record<string, unknown> & { uid: string; object: Record<string, unknown> | null } };
type Behaviour = (r: Review) => Record<string, unknown> | 'hang' | 'trickle' | 'huge';

let api: ApiServer;
let c: Client;
let hook: Server;
let hookUrl: string;
let caBundle: string;
let otherCaBundle: string;
const seen = new Map<string, Review[]>();
const behaviours = new Map<string, Behaviour>();

const allow = (): Behaviour => () => ({ allowed: true });

beforeAll(async () => {
  const ca = await createCa('test-webhook-ca');
  const cert = await issueServerCert(ca, ['127.0.0.1', 'hook.webhooks.svc'], 'hook');
  caBundle = Buffer.from(ca.certPem).toString('base64');
  otherCaBundle = Buffer.from((await createCa('other')).certPem).toString('base64');
  hook = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (ch: Buffer) => chunks.push(ch));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      seen.set(path, [...(seen.get(path) ?? []), review]);
      const b = behaviours.get(path) ?? allow();
      const out = b(review);
      if (out === 'hang') return;
      if (out === 'trickle') {
        // Headers at once, then a byte every 200 ms: never idle long enough for a socket timeout.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const t = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(t));
        return;
      }
      if (out === 'huge') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, ...out },
        }),
      );
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `https://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  ({ api, c } = await startTestServer({
    crds: [widgetCrd()],
    resolveService: (ns, name, port) => (ns === 'webhooks' && name === 'hook' && port === 443 ? hookUrl : undefined),
  }));
});

afterAll(async () => {
  await api.stop();
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
});

function webhook(name: string, path: string, rules: object[], extra: Record<string, unknown> = {}) {
  return {
    name,
    clientConfig: { url: `${hookUrl}${path}`, caBundle },
    rules,
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Fail',
    ...extra,
  };
}

const cmRule = (ops = ['CREATE']) => ({
  operations: ops,
  apiGroups: [''],
  apiVersions: ['v1'],
  resources: ['configmaps'],
});

async function config(kind: 'Mutating' | 'Validating', name: string, hooks: object[]) {
  const res = kind === 'Mutating' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
  const r = await c.post(`/apis/admissionregistration.k8s.io/v1/${res}`, {
    metadata: { name },
    webhooks: hooks,
  });
  expect(r.status).toBe(201);
  return async () => {
    await c.delete(`/apis/admissionregistration.k8s.io/v1/${res}/${name}`);
  };
}

const NS = '/api/v1/namespaces';

describe('mutating webhooks', () => {
  it('receive an AdmissionReview v1 and their JSONPatch is applied', async () => {
    await c.post(NS, { metadata: { name: 'mut' } });
    behaviours.set('/mutate', () => ({
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }])).toString(
        'base64',
      ),
      warnings: ['be careful'],
    }));
    const done = await config('Mutating', 'mut', [
      webhook('mut.example.com', '/mutate', [cmRule()], {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mut' } },
      }),
    ]);
    const r = await c.post(`${NS}/mut/configmaps?fieldManager=me`, { metadata: { name: 'm1' }, data: { a: 'b' } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.labels).toEqual({ mutated: 'yes' });
    expect(r.headers.warning).toBe('299 - "be careful"');
    const req = seen.get('/mutate')!.at(-1)!.request;
    expect(req).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
      requestResource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'm1',
      namespace: 'mut',
      operation: 'CREATE',
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'me' },
    });
    expect(req.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect((req.userInfo as { username: string }).username).toBeTruthy();
    expect(req.object).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'm1', namespace: 'mut' },
      data: { a: 'b' },
    });
    // Another namespace does not match the namespaceSelector.
    const before = seen.get('/mutate')!.length;
    await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'unmatched' } });
    expect(seen.get('/mutate')!.length).toBe(before);
    await done();
  });
  it('reinvocationPolicy IfNeeded re-runs a webhook once when a later one changed the object', async () => {
    const label = (key: string, value: string) =>
      Buffer.from(JSON.stringify([{ op: 'add', path: `/metadata/labels/${key}`, value }])).toString('base64');
    behaviours.set('/first', (r) => {
      const meta = (r.request.object?.metadata ?? {}) as { labels?: Record<string, string> };
      const labels = meta.labels ?? {};
      return { allowed: true, patchType: 'JSONPatch', patch: label('seen', labels.second ?? 'none') };
    });
    behaviours.set('/second', () => ({ allowed: true, patchType: 'JSONPatch', patch: label('second', 'set') }));
    const rule = { ...cmRule(), operations: ['CREATE'] };
    const sel = { objectSelector: { matchLabels: { reinvoke: 'yes' } } };
    const d1 = await config('Mutating', 'a-first', [
      webhook('first.example.com', '/first', [rule], { ...sel, reinvocationPolicy: 'IfNeeded' }),
    ]);
    const d2 = await config('Mutating', 'b-second', [webhook('second.example.com', '/second', [rule], sel)]);
    const r = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'reinv', labels: { reinvoke: 'yes' } },
    });
    expect(r.status).toBe(201);
    expect(r.body.metadata.labels).toEqual({ reinvoke: 'yes', seen: 'set', second: 'set' });
    expect(seen.get('/first')).toHaveLength(2);
    expect(seen.get('/second')).toHaveLength(1);
    await d1();
    await d2();
  });
});

describe('validating webhooks', () => {
  it('a denial carries the webhook message and its code (>= 400), else 400', async () => {
    behaviours.set('/deny403', () => ({ allowed: false, status: { code: 403, message: 'no way' } }));
    behaviours.set('/deny200', () => ({ allowed: false, status: { code: 200, message: 'odd code' } }));
    const done = await config('Validating', 'deny', [
      webhook('deny.example.com', '/deny403', [cmRule()], { objectSelector: { matchLabels: { deny: '403' } } }),
      webhook('deny2.example.com', '/deny200', [cmRule()], { objectSelector: { matchLabels: { deny: '200' } } }),
    ]);
    const a = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'd1', labels: { deny: '403' } },
    });
    expect(a.status).toBe(403);
    expect(a.body.message).toBe('admission webhook "deny.example.com" denied the request: no way');
    expect(a.body.status).toBe('Failure');
    const b = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'd2', labels: { deny: '200' } },
    });
    expect(b.status).toBe(400);
    expect(b.body.message).toBe('admission webhook "deny2.example.com" denied the request: odd code');
    expect((await c.get('/api/v1/namespaces/default/configmaps/d1')).status).toBe(404);
    await done();
  });

  it('UPDATE and DELETE send oldObject; subresource rules match only that subresource', async () => {
    behaviours.set('/ops', allow());
    behaviours.set('/status', () => ({ allowed: false, status: { message: 'status is frozen' } }));
    const done = await config('Validating', 'ops', [
      webhook('ops.example.com', '/ops', [
        {
          operations: ['UPDATE', 'DELETE'],
          apiGroups: ['example.com'],
          apiVersions: ['*'],
          resources: ['widgets'],
          scope: 'Namespaced',
        },
      ]),
      webhook('status.example.com', '/status', [
        { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['widgets/status'] },
      ]),
    ]);
    await c.post(W(), widget('adm'));
    expect(seen.get('/ops')).toBeUndefined();
    await c.patch(`${W()}/adm`, { spec: { replicas: 3 } }, 'merge');
    const upd = seen.get('/ops')!.at(-1)!.request;
    expect(upd.operation).toBe('UPDATE');
    expect((upd.oldObject as { spec: { replicas: number } }).spec.replicas).toBe(1);
    expect((upd.object as { spec: { replicas: number } }).spec.replicas).toBe(3);
    expect(upd.options).toMatchObject({ kind: 'PatchOptions' });
    const st = await c.patch(`${W()}/adm/status`, { status: { phase: 'x' } }, 'merge');
    expect(st.status).toBe(400);
    expect(st.body.message).toBe('admission webhook "status.example.com" denied the request: status is frozen');
    expect(seen.get('/status')!.at(-1)!.request.subResource).toBe('status');
    await c.delete(`${W()}/adm`);
    const del = seen.get('/ops')!.at(-1)!.request;
    expect(del.operation).toBe('DELETE');
    expect(del.object).toBeNull();
    expect((del.oldObject as { metadata: { name: string } }).metadata.name).toBe('adm');
    expect(del.options).toMatchObject({ kind: 'DeleteOptions' });
    await done();
  });

  it('dryRun requests reach webhooks with dryRun: true', async () => {
    behaviours.set('/dry', allow());
    const done = await config('Validating', 'dry', [
      webhook('dry.example.com', '/dry', [cmRule()], { sideEffects: 'NoneOnDryRun' }),
    ]);
    const r = await c.post('/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'dryhook' } });
    expect(r.status).toBe(201);
    expect(seen.get('/dry')!.at(-1)!.request.dryRun).toBe(true);
    await done();
  });
});

describe('webhook failures', () => {
  it('failurePolicy Fail → 500 failed calling webhook; Ignore → the request proceeds', async () => {
    const dead = {
      ...webhook('dead.example.com', '/x', [cmRule()]),
      clientConfig: { url: 'https://127.0.0.1:1/x', caBundle },
    };
    const done = await config('Validating', 'dead', [{ ...dead, objectSelector: { matchLabels: { hook: 'dead' } } }]);
    const r = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'f1', labels: { hook: 'dead' } },
    });
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(
      /^Internal error occurred: failed calling webhook "dead.example.com": failed to call webhook: /,
    );
    await done();
    const done2 = await config('Validating', 'dead-ignore', [{ ...dead, failurePolicy: 'Ignore' }]);
    expect((await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'f2' } })).status).toBe(201);
    await done2();
  });

  it('timeoutSeconds bounds the call; an untrusted certificate is a call failure', async () => {
    behaviours.set('/hang', () => 'hang');
    const done = await config('Validating', 'slow', [
      webhook('slow.example.com', '/hang', [cmRule()], { timeoutSeconds: 1 }),
    ]);
    const r = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 't1' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('failed calling webhook "slow.example.com"');
    expect(seen.get('/hang')![0]!.request).toBeTruthy();
    await done();
    behaviours.set('/untrusted', allow());
    const done2 = await config('Validating', 'untrusted', [
      {
        ...webhook('untrusted.example.com', '/untrusted', [cmRule()]),
        clientConfig: { url: `${hookUrl}/untrusted`, caBundle: otherCaBundle },
      },
    ]);
    const u = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 't2' } });
    expect(u.status).toBe(500);
    expect(seen.get('/untrusted')).toBeUndefined();
    await done2();
  });

  it('timeoutSeconds bounds the whole call, not only idle time; an oversized answer is a call failure (audit 14)', async () => {
    behaviours.set('/trickle', () => 'trickle');
    const done = await config('Validating', 'trickle', [
      webhook('trickle.example.com', '/trickle', [cmRule()], {
        timeoutSeconds: 1,
        objectSelector: { matchLabels: { hook: 'trickle' } },
      }),
    ]);
    const r = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 't3', labels: { hook: 'trickle' } },
    });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('failed calling webhook "trickle.example.com"');
    expect(r.body.message).toContain('context deadline exceeded');
    await done();
    behaviours.set('/huge', () => 'huge');
    const done2 = await config('Validating', 'huge', [
      webhook('huge.example.com', '/huge', [cmRule()], { objectSelector: { matchLabels: { hook: 'huge' } } }),
    ]);
    const h = await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 't4', labels: { hook: 'huge' } },
    });
    expect(h.status).toBe(500);
    expect(h.body.message).toContain('the webhook response is larger than 3145728 bytes');
    await done2();
  });

  it('service references resolve through resolveService and verify <name>.<namespace>.svc', async () => {
    behaviours.set('/svc', () => ({ allowed: false, status: { message: 'via service' } }));
    const done = await config('Validating', 'svc', [
      {
        ...webhook('svc.example.com', '/svc', [cmRule()]),
        clientConfig: { service: { namespace: 'webhooks', name: 'hook', path: '/svc' }, caBundle },
      },
    ]);
    const r = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 's1' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('admission webhook "svc.example.com" denied the request: via service');
    await done();
  });

  it('webhook configuration objects are never sent to webhooks', async () => {
    behaviours.set('/all', () => ({ allowed: false, status: { message: 'nothing passes' } }));
    const everything = { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] };
    const done = await config('Validating', 'all', [webhook('all.example.com', '/all', [everything])]);
    // The configuration itself can still be deleted although the webhook denies everything.
    await done();
    expect((seen.get('/all') ?? []).length).toBe(0);
    expect((await c.get('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/all')).status).toBe(404);
  });

  it('invalid configurations are rejected', async () => {
    const r = await c.post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      metadata: { name: 'bad' },
      webhooks: [{ name: 'short', clientConfig: { url: 'http://x' }, rules: [], admissionReviewVersions: ['v1'] }],
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('webhooks[0].sideEffects: Required value');
    expect(r.body.message).toContain("'https' is the only allowed URL scheme");
  });
});
