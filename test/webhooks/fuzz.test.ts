// Fuzzing the webhook's HTTP handler with random bodies and with randomly mutated docs-shaped objects: it never
// answers 5xx, a non-AdmissionReview is a 400 with a Status, and every 200 is a well-formed AdmissionReview whose
// patch (mutate only) applies to the object it was computed for.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleWebhookRequest, type WebhookHttpOptions, webhookHttpHandler } from '../../functions/webhooks/http.ts';
import type { ReviewContext } from '../../functions/webhooks/review.ts';
import { applyJsonPatch, decodeJsonPatch } from '../../local/apiserver/patch/json-patch.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { loadFixtures } from '../fixtures/index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Sets an own property even for `__proto__` (plain assignment would change the prototype instead). */
function put(o: { [k: string]: Json }, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Deterministic, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const KEYS = [
  'metadata',
  'spec',
  'status',
  'labels',
  'name',
  'namespace',
  'selector',
  'matchLabels',
  'template',
  'replicas',
  'clusterName',
  'bootstrap',
  'infrastructureRef',
  'kind',
  'apiVersion',
  '__proto__',
  'constructor',
  'a/b',
  '~',
  '',
  'deletionTimestamp',
  'cluster.x-k8s.io/control-plane',
  'featureSet',
  'matchExpressions',
  'operator',
  'values',
  'version',
  'annotations',
];
const STRINGS = [
  '',
  'x',
  'v1',
  '1.2.3',
  'openshift-cluster-api',
  'TechPreviewNoUpgrade',
  '100%',
  '-1',
  '10s',
  'In',
  'Exists',
  '\u0000',
  '😀',
  'a'.repeat(300),
  'ocp-aws-7xk2p',
  '[1-3]',
  'AWSCluster',
];

function randomJson(r: Rng, depth = 0): Json {
  const k = r.int(depth > 4 ? 5 : 8);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1, 2 ** 53, -(2 ** 31) - 1, 1.5, 1e308, 3]);
    case 3:
    case 4:
      return r.pick(STRINGS);
    case 5:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: {
      const o: { [k: string]: Json } = {};
      for (let i = r.int(5); i > 0; i--) put(o, r.pick(KEYS), randomJson(r, depth + 1));
      return o;
    }
  }
}

/** One random edit somewhere in `v`: drop, replace, retype or add. */
function mutate(r: Rng, v: Json, depth = 0): Json {
  if (v === null || typeof v !== 'object' || (depth > 0 && r.next() < 0.2)) return randomJson(r, depth);
  if (Array.isArray(v)) {
    if (v.length === 0 || r.next() < 0.2) return [...v, randomJson(r, depth + 1)];
    const i = r.int(v.length);
    const out = [...v];
    if (r.next() < 0.2) out.splice(i, 1);
    else out[i] = mutate(r, out[i]!, depth + 1);
    return out;
  }
  const keys = Object.keys(v);
  const out: { [k: string]: Json } = { ...v };
  const roll = r.next();
  if (keys.length === 0 || roll < 0.15) put(out, r.pick(KEYS), randomJson(r, depth + 1));
  else {
    const k = r.pick(keys);
    if (roll < 0.3) delete out[k];
    else put(out, k, mutate(r, out[k]!, depth + 1));
  }
  return out;
}

const fixtures = loadFixtures().map((f) => f.object as unknown as Json);
const OPS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;

function review(r: Rng, uid: string): { body: Json; object: Json | undefined } {
  const base = r.pick(fixtures) as { [k: string]: Json };
  let object: Json = base;
  for (let i = 1 + r.int(4); i > 0; i--) object = mutate(r, object);
  const op = r.pick(OPS);
  const apiVersion = typeof base.apiVersion === 'string' ? base.apiVersion : 'v1';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const meta = (base.metadata ?? {}) as { [k: string]: Json };
  const req: { [k: string]: Json } = {
    uid,
    kind: {
      group: r.next() < 0.9 ? group! : r.pick(['', 'cluster.x-k8s.io', 'x']),
      version: version!,
      kind: String(base.kind),
    },
    operation: op,
    name: r.next() < 0.9 ? String(meta.name ?? '') : '',
    object: op === 'DELETE' ? null : object,
    oldObject: op === 'CREATE' ? null : r.next() < 0.5 ? base : mutate(r, base),
  };
  if (r.next() < 0.8 && typeof meta.namespace === 'string')
    req.namespace = r.next() < 0.8 ? meta.namespace : r.pick(STRINGS);
  return {
    body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req },
    object: op === 'DELETE' ? undefined : object,
  };
}

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

function checkResult(status: number, text: string, sent: { uid?: string; object?: Json; path: string }): void {
  expect(status, text).toBeLessThan(500);
  const body = JSON.parse(text) as { [k: string]: unknown };
  if (status !== 200) {
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', code: status });
    return;
  }
  expect(body.apiVersion).toBe('admission.k8s.io/v1');
  expect(body.kind).toBe('AdmissionReview');
  const resp = body.response as {
    uid: unknown;
    allowed: unknown;
    patch?: string;
    patchType?: string;
    status?: { code: number; message: string };
  };
  expect(resp.uid).toBe(sent.uid);
  expect(typeof resp.allowed).toBe('boolean');
  if (!resp.allowed) {
    expect(resp.status?.code).toBeGreaterThanOrEqual(400);
    expect(resp.status?.message.length).toBeGreaterThan(0);
  }
  expect(resp.patch === undefined).toBe(resp.patchType === undefined);
  if (resp.patch !== undefined) {
    expect(sent.path).toBe('/mutate');
    expect(resp.patchType).toBe('JSONPatch');
    const ops = decodeJsonPatch(JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8')));
    expect(() => applyJsonPatch(structuredClone(sent.object), ops)).not.toThrow();
  }
}

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
      checkResult(res.status, res.body, { uid, path, ...(object !== undefined ? { object } : {}) });
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
      checkResult(res.status, res.body, { ...(uid !== undefined ? { uid } : {}), path: '/validate' });
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
      checkResult(res.status, res.text, { uid: `h-${i}`, path, ...(object !== undefined ? { object } : {}) });
    }
    expect((await send('GET', '/validate')).status).toBe(405);
    expect((await send('PUT', '/mutate', '{}')).status).toBe(405);
    expect((await send('POST', '/validate', 'x'.repeat(70 * 1024), 7)).status).toBe(413);
    expect((await send('POST', '/nowhere', '{}')).status).toBe(404);
    expect((await send('POST', '/validate', '{"broken"', 2)).status).toBe(400);
    expect((await send('GET', '/healthz')).status).toBe(200);
  });
});
