// Fuzzing the webhook's HTTP handler with random bodies and with randomly mutated docs-shaped objects: it never
// answers 5xx, a non-AdmissionReview is a 400 with a Status, and every 200 is a well-formed AdmissionReview whose
// patch (mutate only) applies to the object it was computed for.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleWebhookRequest, type WebhookHttpOptions, webhookHttpHandler } from '../../functions/webhooks/http.ts';
import type { ReviewContext } from '../../functions/webhooks/review.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { checkReview, mutate, randomJson, review, rng } from './generate.ts';

const CONTEXTS: Array<WebhookHttpOptions['context']> = [
  async () => ({
    openshift: { infrastructureName: 'ocp-aws-7xk2p', platformType: 'AWS', provider: PLATFORM_PROVIDERS.AWS },
  }),
  async () => ({ openshift: undefined }),
  async () => ({ openshift: { infrastructureName: '', platformType: 'None', provider: undefined } }),
  async (): Promise<ReviewContext> => {
    throw new Error('API server unreachable');
  },
];

describe('webhook fuzzing', () => {
  it('mutated docs-shaped objects: never 5xx, always a well-formed AdmissionReview whose patch applies', async () => {
    const r = rng(20261123);
    const seen = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const uid = `uid-${i}`;
      const { body, object } = review(r, uid);
      const path = r.pick(['/mutate', '/validate']);
      const res = await handleWebhookRequest(
        { method: 'POST', url: `${path}?timeout=10s`, body: JSON.stringify(body) },
        { context: r.pick(CONTEXTS) },
      );
      checkReview(res.status, res.body, { uid, path, ...(object !== undefined ? { object } : {}) });
      const resp = (JSON.parse(res.body) as { response?: { allowed: boolean; patch?: string } }).response;
      const k =
        res.status !== 200 ? `http${res.status}` : resp?.patch ? 'patched' : resp?.allowed ? 'allowed' : 'denied';
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    // The corpus exercises every outcome, not just one.
    for (const k of ['patched', 'allowed', 'denied'])
      expect(seen.get(k) ?? 0, JSON.stringify([...seen])).toBeGreaterThan(50);
  });

  it('random bodies: a 400 with a Status, or (when it happens to be an AdmissionReview) a 200', async () => {
    const r = rng(7);
    const shapes: Array<() => string> = [
      () => JSON.stringify(randomJson(r)),
      () => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: randomJson(r) }),
      () =>
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            ...(mutate(r, {
              uid: 'u',
              kind: { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'Machine' },
              operation: 'CREATE',
              object: randomJson(r),
            }) as object),
          },
        }),
      () => JSON.stringify(review(r, 'u').body).slice(0, r.int(200)),
      () => r.pick(['', 'null', '[]', '{', '"x"', '\u0000\u0001', 'true']),
    ];
    for (let i = 0; i < 1500; i++) {
      const text = r.pick(shapes)();
      const res = await handleWebhookRequest(
        { method: 'POST', url: r.pick(['/mutate', '/validate']), body: text },
        { context: CONTEXTS[0]! },
      );
      let uid: string | undefined;
      try {
        uid = (JSON.parse(text) as { request?: { uid?: string } }).request?.uid;
      } catch {
        uid = undefined;
      }
      checkReview(res.status, res.body, { ...(uid !== undefined ? { uid } : {}), path: '/validate' });
      if (res.status === 200) expect(uid).toBeDefined();
    }
  });
});

describe('over HTTP (Node http request/response)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer(
      webhookHttpHandler({
        context: CONTEXTS[0]!,
        maxBodyBytes: 64 * 1024,
        tokens: { accepts: async (t) => t === TOKEN },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const TOKEN = 'f'.repeat(43);
  /** `path` as the API server calls it: under the registered token (healthz is outside it). */
  const send = (method: string, path: string, body?: string | Buffer, chunks = 1) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: path === '/healthz' ? path : `/${TOKEN}${path}`,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        },
      );
      req.on('error', reject);
      if (body !== undefined) {
        const buf = Buffer.from(body);
        const size = Math.ceil(buf.length / chunks) || 1;
        for (let i = 0; i < buf.length; i += size) req.write(buf.subarray(i, i + size));
      }
      req.end();
    });

  it('streams bodies in pieces, refuses other methods and oversized bodies, never 5xx', async () => {
    const r = rng(99);
    for (let i = 0; i < 150; i++) {
      const { body, object } = review(r, `h-${i}`);
      const path = r.pick(['/mutate', '/validate']);
      const res = await send('POST', `${path}?timeout=5s`, JSON.stringify(body), 1 + r.int(5));
      checkReview(res.status, res.text, { uid: `h-${i}`, path, ...(object !== undefined ? { object } : {}) });
    }
    expect((await send('GET', '/validate')).status).toBe(405);
    expect((await send('PUT', '/mutate', '{}')).status).toBe(405);
    expect((await send('POST', '/validate', 'x'.repeat(70 * 1024), 7)).status).toBe(413);
    expect((await send('POST', '/nowhere', '{}')).status).toBe(404);
    expect((await send('POST', '/validate', '{"broken"', 2)).status).toBe(400);
    expect((await send('GET', '/healthz')).status).toBe(200);
  });
});
