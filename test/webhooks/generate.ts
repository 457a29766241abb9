// Seeded generators for admission reviews: random JSON, one-edit mutations of docs-shaped fixtures, and the
// AdmissionReview around them. Shared by the fuzz suite and the per-kind sweep, so a failure reproduces from its seed.
import { expect } from 'vitest';
import { applyJsonPatch, decodeJsonPatch } from '../../local/apiserver/patch/json-patch.ts';
import { seededRandom } from '../../shared/bus/random.ts';
import { loadFixtures } from '../fixtures/index.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Sets an own property even for `__proto__` (plain assignment would change the prototype instead). */
export function put(o: { [k: string]: Json }, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Deterministic, so a failure reproduces. */
export function rng(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
export type Rng = ReturnType<typeof rng>;

export const KEYS = [
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
export const STRINGS = [
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

export function randomJson(r: Rng, depth = 0): Json {
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
export function mutate(r: Rng, v: Json, depth = 0): Json {
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

export const fixtures = loadFixtures().map((f) => f.object as unknown as Json);
export const OPS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;

/** A review of `base` (a random fixture by default) after one to four random edits, with a random operation. */
export function review(
  r: Rng,
  uid: string,
  base = r.pick(fixtures) as { [k: string]: Json },
): { body: Json; object: Json | undefined } {
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

/** A webhook answer is never 5xx; a 200 is a well-formed AdmissionReview for `sent`, whose patch applies to it. */
export function checkReview(status: number, text: string, sent: { uid?: string; object?: Json; path: string }): void {
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
