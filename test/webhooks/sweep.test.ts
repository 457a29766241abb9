// The bad-input sweep with counts: 10,000 generated and mutated objects spread evenly over every kind capi-fn
// serves (each docs-shaped fixture, one to four random edits, a random operation), through the webhook's HTTP
// handler with a reachable API server. Never a 5xx; every denial names its fields (in the message and as causes,
// the way kubectl prints them); every patch applies, and the patched object needs no further patch.
import { describe, expect, it } from 'vitest';
import { handleWebhookRequest, type WebhookHttpOptions } from '../../functions/webhooks/http.ts';
import { applyJsonPatch, decodeJsonPatch } from '../../local/apiserver/patch/json-patch.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { checkReview, fixtures, type Json, review, rng } from './generate.ts';

const TOTAL = 10_000;

const CONTEXTS: Array<WebhookHttpOptions['context']> = [
  async () => ({
    openshift: { infrastructureName: 'ocp-aws-7xk2p', platformType: 'AWS', provider: PLATFORM_PROVIDERS.AWS },
  }),
  async () => ({ openshift: undefined }),
];

interface Answer {
  allowed: boolean;
  patch?: string;
  status?: { code: number; message: string; details?: { causes?: Array<{ field?: string; message: string }> } };
}

const post = async (path: string, body: Json, context: WebhookHttpOptions['context']) => {
  const res = await handleWebhookRequest(
    { method: 'POST', url: `${path}?timeout=10s`, body: JSON.stringify(body) },
    { context },
  );
  return { status: res.status, text: res.body };
};

describe('the webhook sweep', () => {
  it(`${TOTAL.toLocaleString('en')} objects over every kind: no 5xx, every denial names its fields`, async () => {
    const r = rng(20261204);
    const byKind = new Map<string, Array<{ [k: string]: Json }>>();
    for (const f of fixtures as Array<{ [k: string]: Json }>) {
      const k = `${f.kind}.${String(f.apiVersion).split('/')[0]}`;
      byKind.set(k, [...(byKind.get(k) ?? []), f]);
    }
    const kinds = [...byKind.keys()].sort();
    const counts = new Map<string, Record<string, number>>(kinds.map((k) => [k, {}]));
    const unnamed: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const kind = kinds[i % kinds.length]!;
      const uid = `sweep-${i}`;
      const { body, object } = review(r, uid, r.pick(byKind.get(kind)!));
      const path = r.pick(['/mutate', '/validate']);
      const context = r.pick(CONTEXTS);
      const res = await post(path, body, context);
      checkReview(res.status, res.text, { uid, path, ...(object !== undefined ? { object } : {}) });
      const answer = (JSON.parse(res.text) as { response?: Answer }).response;
      const outcome =
        res.status !== 200
          ? `http ${res.status}`
          : answer!.patch
            ? 'patched'
            : answer!.allowed
              ? 'allowed'
              : `denied ${answer!.status!.code}`;
      const c = counts.get(kind)!;
      c[outcome] = (c[outcome] ?? 0) + 1;

      if (answer && !answer.allowed) {
        const causes = answer.status?.details?.causes ?? [];
        const named =
          causes.length > 0 && causes.every((x) => x.field && answer.status!.message.includes(`${x.field}:`));
        if (!named && unnamed.length < 10) unnamed.push(`${kind} ${uid}: ${answer.status?.message}`);
      }
      if (answer?.patch && object !== undefined) {
        // Defaulting is idempotent: the patched object, reviewed again, needs nothing more.
        const ops = decodeJsonPatch(JSON.parse(Buffer.from(answer.patch, 'base64').toString('utf8')));
        const patched = applyJsonPatch(structuredClone(object), ops) as Json;
        const again = await post(
          '/mutate',
          { ...(body as object), request: { ...(body as { request: object }).request, object: patched } },
          context,
        );
        expect((JSON.parse(again.text) as { response?: Answer }).response?.patch, `${kind} ${uid}`).toBeUndefined();
      }
    }
    const table = kinds.map((k) => `${k.padEnd(52)} ${JSON.stringify(counts.get(k))}`).join('\n');
    console.log(`webhook sweep, ${TOTAL} reviews over ${kinds.length} kinds:\n${table}`);
    expect(unnamed, 'denials that do not name their fields').toEqual([]);
    const total = (o: string) => [...counts.values()].reduce((n, c) => n + (c[o] ?? 0), 0);
    // The corpus reaches every outcome; a sweep that only ever allowed would prove nothing.
    for (const o of ['allowed', 'denied 422']) expect(total(o), o).toBeGreaterThan(TOTAL / 20);
    for (const o of ['patched', 'denied 403']) expect(total(o), o).toBeGreaterThan(TOTAL / 100);
  }, 120_000);
});
