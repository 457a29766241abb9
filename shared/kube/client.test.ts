// The client's protocol handling against a real HTTP server that answers like kube-apiserver does
// in the situations a reconciler must survive (throttling, conflicts, pagination, watch 410).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.ts';
import { isConflict, isGone, isNotFound, KubeError } from './errors.ts';
import { HttpsTransport } from './transport.ts';

type Route = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
let route: Route = (_req, _body, res) => res.end('{}');
const seen: Array<{ method: string; url: string; body: string; contentType: string | undefined }> = [];
let server: http.Server;
let client: KubeClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, contentType: req.headers['content-type'] });
      route(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new KubeClient(
    new HttpsTransport({
      server: `http://127.0.0.1:${port}`,
      namespace: 'default',
      credentials: async () => ({ headers: { authorization: 'Bearer t' } }),
      description: 'test',
    }),
    { sleep: async () => {} },
  );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function status(res: http.ServerResponse, code: number, reason: string, message: string, extra: object = {}) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra }));
}

const ms = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };

describe('KubeClient', () => {
  it('classifies NotFound and maps kinds to resource paths', async () => {
    seen.length = 0;
    route = (_q, _b, res) => status(res, 404, 'NotFound', 'machinesets.cluster.x-k8s.io "x" not found');
    await expect(client.get({ ...ms, namespace: 'ns', name: 'x' })).rejects.toSatisfy(isNotFound);
    expect(seen[0]!.url).toBe('/apis/cluster.x-k8s.io/v1beta1/namespaces/ns/machinesets/x');
    expect(await client.find({ ...ms, namespace: 'ns', name: 'x' })).toBeUndefined();
  });

  it('refuses an update without resourceVersion and surfaces 409 as Conflict', async () => {
    const obj = { ...ms, metadata: { name: 'a', namespace: 'ns' }, spec: {} };
    await expect(client.update(obj)).rejects.toThrow(/optimistic concurrency/);
    route = (_q, _b, res) => status(res, 409, 'Conflict', 'the object has been modified');
    await expect(client.update({ ...obj, metadata: { ...obj.metadata, resourceVersion: '5' } })).rejects.toSatisfy(
      isConflict,
    );
  });

  it('honours Retry-After on 429 and retries until success', async () => {
    let n = 0;
    route = (_q, _b, res) => {
      if (n++ < 2) {
        res.setHeader('retry-after', '1');
        status(res, 429, 'TooManyRequests', 'slow down');
      } else res.end(JSON.stringify({ metadata: { name: 'a' } }));
    };
    const got = await client.get({ ...ms, namespace: 'ns', name: 'a' });
    expect(got.metadata.name).toBe('a');
    expect(n).toBe(3);
  });

  it('gives up after the retry bound with the throttling error', async () => {
    route = (_q, _b, res) => status(res, 429, 'TooManyRequests', 'slow down', { details: { retryAfterSeconds: 2 } });
    const err = await client.get({ ...ms, namespace: 'ns', name: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).retryAfterSeconds).toBe(2);
    expect((err as KubeError).transient).toBe(true);
  });

  it('keeps field causes of Invalid errors', async () => {
    route = (_q, _b, res) =>
      status(res, 422, 'Invalid', 'MachineSet.cluster.x-k8s.io "a" is invalid', {
        details: { causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.clusterName' }] },
      });
    const err = (await client
      .create({ ...ms, metadata: { name: 'a', namespace: 'ns' } })
      .catch((e: unknown) => e)) as KubeError;
    expect(err.reason).toBe('Invalid');
    expect(err.causes[0]!.field).toBe('spec.clusterName');
  });

  it('follows continue tokens and fills apiVersion/kind on items', async () => {
    seen.length = 0;
    route = (req, _b, res) => {
      const u = new URL(req.url!, 'http://x');
      const page = u.searchParams.get('continue');
      res.end(
        JSON.stringify(
          page
            ? { metadata: { resourceVersion: '9' }, items: [{ metadata: { name: 'b' } }] }
            : { metadata: { resourceVersion: '7', continue: 'tok' }, items: [{ metadata: { name: 'a' } }] },
        ),
      );
    };
    const all = await client.listAll(ms, { namespace: 'ns', labelSelector: 'a=b', limit: 1 });
    expect(all.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(all.items[1]!.kind).toBe('MachineSet');
    expect(all.metadata.resourceVersion).toBe('7');
    expect(seen[1]!.url).toContain('continue=tok');
    expect(seen[0]!.url).toContain('labelSelector=a%3Db');
  });

  it('sends merge patches with the resourceVersion precondition', async () => {
    seen.length = 0;
    route = (_q, _b, res) => res.end(JSON.stringify({ metadata: { name: 'a' } }));
    await client.patch(
      { ...ms, namespace: 'ns', name: 'a' },
      { status: { replicas: 1 } },
      { type: 'merge', subresource: 'status', resourceVersion: '12' },
    );
    expect(seen[0]!.contentType).toBe('application/merge-patch+json');
    expect(seen[0]!.url).toMatch(/\/machinesets\/a\/status\?fieldManager=capi-fn$/);
    expect(JSON.parse(seen[0]!.body)).toEqual({ status: { replicas: 1 }, metadata: { resourceVersion: '12' } });
  });

  it('streams watch events and turns an ERROR 410 event into Gone', async () => {
    route = (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '3' } } })}\n`);
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '4' } } })}\n`);
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (4)' } })}\n`,
      );
    };
    const got: string[] = [];
    const err = await (async () => {
      for await (const ev of client.watch(ms, { namespace: 'ns', resourceVersion: '1', allowWatchBookmarks: true })) {
        got.push(`${ev.type}:${ev.object.metadata.resourceVersion}`);
      }
    })().catch((e: unknown) => e);
    expect(got).toEqual(['ADDED:3', 'BOOKMARK:4']);
    expect(isGone(err)).toBe(true);
  });

  it('discovers unknown kinds once through the group-version resource list', async () => {
    seen.length = 0;
    route = (req, _b, res) => {
      if (req.url === '/apis/example.com/v1')
        res.end(
          JSON.stringify({
            resources: [
              { name: 'widgets', kind: 'Widget', namespaced: true },
              { name: 'widgets/status', kind: 'Widget', namespaced: true },
            ],
          }),
        );
      else res.end(JSON.stringify({ metadata: { name: 'w' } }));
    };
    await client.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'ns', name: 'w' });
    await client.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'ns', name: 'w' });
    expect(seen.map((s) => s.url)).toEqual([
      '/apis/example.com/v1',
      '/apis/example.com/v1/namespaces/ns/widgets/w',
      '/apis/example.com/v1/namespaces/ns/widgets/w',
    ]);
  });
});
