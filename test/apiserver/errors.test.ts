// Bad requests get the Status a real server returns, and none of them takes the server down.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { pbBytes, pbEnvelope } from '../../local/apiserver/protobuf.ts';
import { type Client, startTestServer, W, widgetCrd } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer({ crds: [widgetCrd()] }));
});
afterAll(() => api.stop());

const CM = '/api/v1/namespaces/default/configmaps';

describe('authentication', () => {
  it('missing or wrong token is 401 Unauthorized; /version and health are public', async () => {
    const none = await c.get(CM, { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    expect((await c.get(CM, { token: 'wrong' })).status).toBe(401);
    const v = await c.get('/version', { token: null });
    expect(v.body).toMatchObject({ major: '1', minor: '32' });
    expect((await c.get('/healthz', { token: null })).text).toBe('ok');
    expect((await c.get('/readyz')).status).toBe(200);
    expect((await c.get('/livez')).status).toBe(200);
    // Presented credentials must hold even there (kube-apiserver's anonymous access is for requests without any):
    // this is where `kubectl get --raw /version` learns the token is bad.
    expect((await c.get('/version', { token: 'wrong' })).status).toBe(401);
    expect((await c.get('/healthz', { token: 'wrong' })).status).toBe(401);
  });
});

describe('malformed requests', () => {
  it('malformed JSON is 400', async () => {
    const r = await c.call('POST', CM, { raw: '{"metadata": {' });
    expect(r.status).toBe(400);
    expect(r.body.kind).toBe('Status');
    expect(r.body.reason).toBe('BadRequest');
  });

  it('wrong apiVersion or kind for the path is 400', async () => {
    const r = await c.post(CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('the kind in the data (Secret) does not match the expected kind (ConfigMap)');
    const r2 = await c.post(CM, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expect(r2.status).toBe(400);
    expect(r2.body.message).toBe('the API version in the data (apps/v1) does not match the expected API version (v1)');
  });

  it('bodies over 3 MiB are 413', async () => {
    const r = await c.call('POST', CM, { raw: Buffer.alloc(3 * 1024 * 1024 + 10, 0x20) });
    expect(r.status).toBe(413);
    expect(r.body.reason).toBe('RequestEntityTooLarge');
    expect(r.body.message).toBe('Request entity too large: limit is 3145728');
  });

  it('unknown resources and paths are 404 with the generic message', async () => {
    for (const p of [
      '/api/v1/namespaces/default/nothings',
      '/apis/nope.io/v1/things',
      '/apis/example.com/v9/widgets',
      '/random',
    ]) {
      const r = await c.get(p);
      expect(r.status).toBe(404);
      expect(r.body.message).toBe('the server could not find the requested resource');
    }
    expect((await c.get('/api/v1/namespaces/default/nodes')).status).toBe(404);
    expect((await c.get(`${W()}/x/nosuchsub`)).status).toBe(404);
  });

  it('unsupported media types are 415', async () => {
    const r = await c.call('POST', CM, { raw: 'a=b', contentType: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe('UnsupportedMediaType');
    const p = await c.call('PATCH', `${CM}/x`, { raw: '{}', contentType: 'application/xml' });
    expect(p.status).toBe(415);
  });

  it('methods a resource does not support are 405', async () => {
    const r = await c.post(`${CM}/named`, { metadata: { name: 'named' } });
    expect(r.status).toBe(405);
    expect(r.body.reason).toBe('MethodNotAllowed');
    expect((await c.call('PUT', CM, { body: {} })).status).toBe(405);
    expect((await c.call('POST', '/version', { body: {} })).status).toBe(405);
    const wipe = await c.delete('/api/v1/namespaces');
    expect(wipe.status).toBe(405);
    expect(wipe.body.message).toBe('deletecollection is not supported on resources of kind "namespaces"');
  });

  it('protobuf-only Accept is 406', async () => {
    const r = await c.get(CM, { accept: 'application/vnd.kubernetes.protobuf' });
    expect(r.status).toBe(406);
    expect(r.body.reason).toBe('NotAcceptable');
  });

  it('protobuf bodies: ConfigMap decoded, unsupported kinds 400', async () => {
    const meta = Buffer.concat([pbBytes(1, 'pbcm'), pbBytes(11, Buffer.concat([pbBytes(1, 'k'), pbBytes(2, 'v')]))]);
    const raw = Buffer.concat([pbBytes(1, meta), pbBytes(2, Buffer.concat([pbBytes(1, 'a'), pbBytes(2, 'b')]))]);
    const r = await c.call('POST', CM, {
      raw: pbEnvelope('v1', 'ConfigMap', raw),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect(r.status).toBe(201);
    expect(r.body.metadata).toMatchObject({ name: 'pbcm', labels: { k: 'v' } });
    expect(r.body.data).toEqual({ a: 'b' });
    const bad = await c.call('POST', CM, {
      raw: pbEnvelope('v1', 'Pod', Buffer.alloc(0)),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect(bad.status).toBe(400);
  });

  it('random garbage on every verb gets a Status and the server keeps serving', async () => {
    const paths = [
      CM,
      `${CM}/g`,
      W(),
      `${W()}/g`,
      `${W()}/g/status`,
      `${W()}/g/scale`,
      '/api/v1/namespaces/default/pods/g/eviction',
      '/api/v1/namespaces',
    ];
    const types = [
      'application/json',
      'application/yaml',
      'application/merge-patch+json',
      'application/json-patch+json',
      'application/apply-patch+yaml',
      'application/vnd.kubernetes.protobuf',
      'application/strategic-merge-patch+json',
    ];
    let n = 0;
    for (const p of paths) {
      for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const t of types) {
          const raw =
            n % 3 === 0
              ? randomBytes(64)
              : n % 3 === 1
                ? '{"metadata": 5, "spec": [1,2]}'
                : '[{"op":"add","path":"/x/y/z"}]';
          n++;
          const r = await c.call(m, `${p}?fieldManager=f`, { raw, contentType: t });
          expect(r.status).toBeGreaterThanOrEqual(200);
          if (r.status >= 400) {
            expect(r.body?.kind).toBe('Status');
            expect(r.status).toBeLessThan(500);
          }
        }
      }
    }
    expect((await c.get('/healthz')).status).toBe(200);
    expect((await c.get(CM)).status).toBe(200);
  });

  it('nesting deep enough to overflow a recursive walk is a 400 Status, and the server carries on', async () => {
    // This used to be an internal error (500) from the stack overflow; the 500 Status itself is covered by
    // local/apiserver/storage/failure-http.test.ts (a write the disk refused).
    const depth = 100_000;
    const raw = `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"deep"},"spec":{"replicas":1,"extra":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    const r = await c.call('POST', W(), { raw });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(r.body.message).toContain('nests deeper than 512 levels');
    expect((await c.post(CM, { metadata: { name: 'after-deep' } })).status).toBe(201);
  });
});
