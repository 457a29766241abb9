// Who may call the webhooks. The API server cannot sign a webhook call or add a header to it, and the function's
// URL is public (a Lambda function URL, an anonymous Azure or Google HTTP trigger), so the one credential it can
// carry is in the URL itself: the operator registers `<base>/<token>/validate` and `<base>/<token>/mutate`, with a
// random token per cluster kept in a Secret the webhook function reads. The operator rotates it; the previous
// value stays accepted until the new one has reached every warm instance (functions/operator/webhook-token.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../shared/api/meta.ts';
import { Namespaces } from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';

/** The Secret holding the accepted tokens (data keys `current` and, after a rotation, `previous`). */
export const WEBHOOK_TOKEN_SECRET = { namespace: Namespaces.clusterAPI, name: 'capi-fn-webhook-token' } as const;
export const WEBHOOK_TOKEN_KEYS = { current: 'current', previous: 'previous' } as const;
/** When `current` was generated (RFC 3339), on the Secret. */
export const WEBHOOK_TOKEN_ROTATED_AT = 'capi-fn.io/webhook-token-rotated-at';

/** How long a warm instance trusts what it read; the operator waits longer than this before using a new token. */
export const TOKEN_CACHE_TTL_MS = 30_000;
/**
 * An unknown token re-reads the Secret (it may be brand new) at most this often per instance, so anonymous
 * guessing costs the API server one read per interval, not one per request.
 */
export const TOKEN_MISS_REREAD_MS = 5_000;

/** 256 random bits, URL-safe. */
export function newWebhookToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the operator generates; anything else is refused without reading the Secret. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedToken(t: string | undefined): t is string {
  return t !== undefined && TOKEN_SHAPE.test(t);
}

/** `/<token>/validate` → the token and `/validate`; a path without a token segment has none. */
export function splitTokenPath(pathname: string): { token?: string; rest: string } {
  const m = /^\/([^/]+)(\/.*)$/.exec(pathname);
  if (!m) return { rest: pathname };
  return { token: decodeSegment(m[1]!), rest: m[2]! };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Whether `given` is one of `accepted`, in time independent of where they differ. */
export function tokenAccepted(given: string, accepted: readonly string[]): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const g = digest(given);
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(g, digest(a)) || ok;
  return ok;
}

interface TokenSecret extends KubeObject {
  data?: Record<string, string>;
}

/** The tokens a Secret accepts: `current`, and `previous` while a rotation propagates. */
export function acceptedTokens(secret: Pick<TokenSecret, 'data'> | undefined): string[] {
  const out: string[] = [];
  for (const k of [WEBHOOK_TOKEN_KEYS.current, WEBHOOK_TOKEN_KEYS.previous]) {
    const v = secret?.data?.[k];
    if (v) {
      const t = Buffer.from(v, 'base64').toString('utf8');
      if (isWellFormedToken(t)) out.push(t);
    }
  }
  return out;
}

export interface WebhookTokens {
  /** Whether `token` is accepted now; rejects when the Secret cannot be read. */
  accepts(token: string): Promise<boolean>;
}

/** The accepted tokens as the webhook function reads them, cached per warm instance. */
export function webhookTokens(
  kube: KubeClient,
  opts: { ttlMs?: number; missRereadMs?: number; now?: () => number } = {},
): WebhookTokens {
  const ttl = opts.ttlMs ?? TOKEN_CACHE_TTL_MS;
  const missReread = opts.missRereadMs ?? TOKEN_MISS_REREAD_MS;
  const now = opts.now ?? Date.now;
  let cached: { at: number; tokens: string[] } | undefined;
  let inFlight: Promise<string[]> | undefined;
  const read = (): Promise<string[]> => {
    // Concurrent callers share one read.
    if (inFlight) return inFlight;
    const p = kube
      .find<TokenSecret>({ apiVersion: 'v1', kind: 'Secret', ...WEBHOOK_TOKEN_SECRET })
      .then(acceptedTokens);
    inFlight = p;
    // A failed read is not cached: the next call tries again.
    p.then(
      (tokens) => {
        cached = { at: now(), tokens };
      },
      () => undefined,
    ).finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    return p;
  };
  return {
    async accepts(token) {
      const fresh = cached && now() - cached.at < ttl ? cached.tokens : undefined;
      if (tokenAccepted(token, fresh ?? (await read()))) return true;
      // A token issued since the last read (the operator's first registration) is found by a re-read, but
      // not more often than missReread, whoever asks.
      if (cached && now() - cached.at < missReread) return false;
      return tokenAccepted(token, await read());
    },
  };
}
