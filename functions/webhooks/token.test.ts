import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../shared/kube/client.ts';
import type { Transport } from '../../shared/kube/transport.ts';
import {
  acceptedTokens,
  isWellFormedToken,
  newWebhookToken,
  splitTokenPath,
  TOKEN_MISS_REREAD_MS,
  tokenAccepted,
  WEBHOOK_TOKEN_SECRET,
  webhookTokens,
} from './token.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A cluster whose token Secret holds `data()`; counts the reads. */
function cluster(data: () => Record<string, string> | undefined) {
  let reads = 0;
  const transport: Transport = {
    server: 'scripted',
    namespace: 'default',
    request: async (req) => {
      reads++;
      expect(req.path).toBe(
        `/api/v1/namespaces/${WEBHOOK_TOKEN_SECRET.namespace}/secrets/${WEBHOOK_TOKEN_SECRET.name}`,
      );
      const d = data();
      return d
        ? {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { ...WEBHOOK_TOKEN_SECRET }, data: d }),
          }
        : {
            status: 404,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'NotFound',
              code: 404,
            }),
          };
    },
    stream: () => Promise.reject(new Error('no watches')),
  };
  return { kube: new KubeClient(transport, { maxRetries: 0 }), reads: () => reads };
}

describe('webhook token', () => {
  it('is 256 random bits, URL-safe, and what isWellFormedToken accepts', () => {
    const a = newWebhookToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isWellFormedToken(a)).toBe(true);
    expect(newWebhookToken()).not.toBe(a);
    for (const bad of [undefined, '', 'validate', 'a'.repeat(42), `${'a'.repeat(42)}/`])
      expect(isWellFormedToken(bad)).toBe(false);
  });

  it('is the first path segment', () => {
    expect(splitTokenPath('/abc/validate')).toEqual({ token: 'abc', rest: '/validate' });
    expect(splitTokenPath('/validate')).toEqual({ rest: '/validate' });
    expect(splitTokenPath('/')).toEqual({ rest: '/' });
  });

  it('matches only an accepted value', () => {
    expect(tokenAccepted('x', ['y', 'x'])).toBe(true);
    expect(tokenAccepted('x', [])).toBe(false);
    expect(tokenAccepted('x', ['xx'])).toBe(false);
  });

  it('the Secret accepts current and previous, ignoring anything malformed', () => {
    const t1 = newWebhookToken();
    const t2 = newWebhookToken();
    expect(acceptedTokens({ data: { current: b64(t1), previous: b64(t2) } })).toEqual([t1, t2]);
    expect(acceptedTokens({ data: { current: b64('short') } })).toEqual([]);
    expect(acceptedTokens(undefined)).toEqual([]);
  });

  it('a warm instance reads the Secret once per TTL for accepted tokens', async () => {
    const token = newWebhookToken();
    const c = cluster(() => ({ current: b64(token) }));
    let now = 0;
    const tokens = webhookTokens(c.kube, { ttlMs: 30_000, now: () => now });
    const answers = await Promise.all([1, 2, 3].map(() => tokens.accepts(token)));
    expect(answers).toEqual([true, true, true]);
    expect(c.reads()).toBe(1);
    now = 29_000;
    expect(await tokens.accepts(token)).toBe(true);
    expect(c.reads()).toBe(1);
    now = 31_000;
    expect(await tokens.accepts(token)).toBe(true);
    expect(c.reads()).toBe(2);
  });

  it('unknown tokens re-read the Secret at most once per interval, however many arrive', async () => {
    let current = newWebhookToken();
    const c = cluster(() => ({ current: b64(current) }));
    let now = 0;
    const tokens = webhookTokens(c.kube, { now: () => now });
    expect(await tokens.accepts(current)).toBe(true);
    for (let i = 0; i < 50; i++) expect(await tokens.accepts(newWebhookToken())).toBe(false);
    expect(c.reads()).toBe(1);
    // A token the operator has just written is found once the interval has passed.
    current = newWebhookToken();
    now = TOKEN_MISS_REREAD_MS;
    expect(await tokens.accepts(current)).toBe(true);
    expect(c.reads()).toBe(2);
  });

  it('without the Secret nothing is accepted', async () => {
    const c = cluster(() => undefined);
    expect(await webhookTokens(c.kube).accepts(newWebhookToken())).toBe(false);
  });
});
