// The webhook as HTTP: POST an AdmissionReview to /mutate or /validate, get one back. `handleWebhookRequest` is the
// framework-neutral core, for callers already trusted (the CLI's `invoke webhooks`). What the network reaches
// (`handleAuthenticatedWebhookRequest`, which the Lambda, Azure and GCP adapters call with the raw body, and
// `webhookHttpHandler` on Node's http) first requires the token in `/<token>/validate` (token.ts): 401 otherwise.
// Anything that is not an AdmissionReview is a 400, never a crash; only a genuine internal failure is a 500, whose
// body carries a correlation ID and nothing else (the detail is logged).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadKind } from '../../shared/api/kind-schemas.ts';
import { type ReviewMode, WEBHOOK_PATHS } from '../../shared/api/webhook-paths.ts';
import { internalErrorAnswer } from '../../shared/entrypoints/http.ts';
import { type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import { type AdmissionRequest, type AdmissionResponse, envelope, parseAdmissionReview } from './admission-review.ts';
import { type ReviewContext, review } from './review.ts';
import { WEBHOOK_TIMEOUT_SECONDS } from './timeout.ts';
import { isWellFormedToken, splitTokenPath, type WebhookTokens } from './token.ts';

export interface WebhookHttpOptions {
  /**
   * The cluster facts (see context.ts); may fail or be slow — the answer still comes in time. `fresh` asks for a
   * read that bypasses any cache (used before a denial).
   */
  context: (o?: { fresh?: boolean }) => Promise<ReviewContext>;
  /** Larger bodies get 413 (default 8 MiB: an object and its old version of up to 3 MiB each, plus the envelope). */
  maxBodyBytes?: number;
  /**
   * How long an answer may take (default: the registered timeoutSeconds less a margin). The caller's `?timeout=`
   * is not trusted: anyone who reaches the URL could stretch every invocation to the function's own timeout.
   */
  budgetMs?: number;
  log?: Logger;
}

/** What the network-facing forms need on top: the tokens that authenticate the caller (token.ts). */
export interface AuthenticatedWebhookOptions extends WebhookHttpOptions {
  tokens: WebhookTokens;
}

export interface WebhookHttpRequest {
  method: string;
  /** Path with optional query string, e.g. `/validate?timeout=10s`. */
  url: string;
  body: string | Buffer;
}

export interface WebhookHttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
export { WEBHOOK_TIMEOUT_SECONDS };

/** Kept back from that timeout for the network and the API server's own processing. */
const TIMEOUT_MARGIN_MS = 1_000;
export const DEFAULT_BUDGET_MS = WEBHOOK_TIMEOUT_SECONDS * 1000 - TIMEOUT_MARGIN_MS;

const JSON_HEADERS = { 'content-type': 'application/json' };

function status(code: number, reason: string, message: string): WebhookHttpResult {
  return {
    status: code,
    headers: JSON_HEADERS,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
  };
}

function modeFor(path: string): ReviewMode | undefined {
  if (path === WEBHOOK_PATHS.mutate) return 'mutate';
  if (path === WEBHOOK_PATHS.validate) return 'validate';
  return undefined;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export async function handleWebhookRequest(
  req: WebhookHttpRequest,
  opts: WebhookHttpOptions,
): Promise<WebhookHttpResult> {
  const log = opts.log ?? silentLogger;
  const url = new URL(req.url, 'https://webhook.invalid');
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  }
  const mode = modeFor(url.pathname);
  if (!mode)
    return status(
      404,
      'NotFound',
      `no webhook at ${url.pathname}; use ${WEBHOOK_PATHS.mutate} or ${WEBHOOK_PATHS.validate}`,
    );
  if (req.method !== 'POST')
    return status(405, 'MethodNotAllowed', `${req.method} is not allowed; POST an AdmissionReview`);
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const size = typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.length;
  if (size > max) return status(413, 'RequestEntityTooLarge', `request body of ${size} bytes exceeds ${max} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof req.body === 'string' ? req.body : req.body.toString('utf8'));
  } catch (e) {
    return status(400, 'BadRequest', `request body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = parseAdmissionReview(parsed);
  if (!r.ok) return status(400, 'BadRequest', r.error);
  const request = r.request;
  const started = Date.now();
  const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  let ctx: ReviewContext;
  try {
    ctx = await withDeadline(opts.context(), budget);
  } catch (e) {
    // The cluster facts could not be read (slow or failing API): refuse with a reason the user can act on,
    // inside the API server's timeout, rather than let the call time out.
    const why = e instanceof Error ? e.message : String(e);
    log.warn({ err: why, uid: request.uid }, 'webhook could not read Infrastructure/cluster');
    const refused: AdmissionResponse = {
      uid: request.uid,
      allowed: false,
      status: {
        code: 503,
        reason: 'ServiceUnavailable',
        message: `the Cluster API webhook could not read Infrastructure/cluster (${why}); retry the request`,
      },
    };
    return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(envelope(refused)) };
  }
  let response: AdmissionResponse;
  try {
    // Validation needs the kind's schema, built on the first review of that kind (shared/api/kind-schemas.ts).
    // The object's own apiVersion/kind too: a hand-written review may name another kind than request.kind.
    if (mode === 'validate') await Promise.all(kindsNamedBy(request).map(([g, k]) => loadKind(g, k)));
    response = review(request, ctx, mode);
    if (!response.allowed) {
      // Never refuse on cached facts: re-read (within what is left of the budget) and decide again.
      const fresh = await withDeadline(
        opts.context({ fresh: true }),
        Math.max(1, budget - (Date.now() - started)),
      ).catch(() => undefined);
      if (fresh) response = review(request, fresh, mode);
    }
  } catch (e) {
    // review() rejects bad input itself; reaching here is a bug, logged in full and answered without detail.
    const correlationId = randomUUID();
    log.error(
      { err: e instanceof Error ? e : String(e), uid: request.uid, kind: request.kind.kind, correlationId },
      'webhook internal error',
    );
    return internalErrorAnswer(correlationId);
  }
  return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(envelope(response)) };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** 401 for every caller without an accepted token: nothing about the cluster, the path or the reason. */
const UNAUTHORIZED = status(401, 'Unauthorized', 'Unauthorized');

function isHealthCheck(req: { method: string; url: string }): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    new URL(req.url, 'https://webhook.invalid').pathname === '/healthz'
  );
}

/**
 * Checks the token in `/<token>/validate` before anything else (no body is parsed, no cluster read is made for
 * a malformed one). Returns the URL without the token when accepted, else the answer to give.
 */
export async function authenticateWebhookCall(
  req: { method: string; url: string },
  opts: Pick<AuthenticatedWebhookOptions, 'tokens' | 'log'>,
): Promise<{ ok: true; url: string } | { ok: false; answer: WebhookHttpResult }> {
  const url = new URL(req.url, 'https://webhook.invalid');
  const { token, rest } = splitTokenPath(url.pathname);
  if (!isWellFormedToken(token)) return { ok: false, answer: UNAUTHORIZED };
  let accepted: boolean;
  try {
    accepted = await opts.tokens.accepts(token);
  } catch (e) {
    const correlationId = randomUUID();
    (opts.log ?? silentLogger).error(
      { err: e instanceof Error ? e : String(e), correlationId },
      'webhook cannot read its tokens; refusing every call',
    );
    return {
      ok: false,
      answer: status(
        503,
        'ServiceUnavailable',
        `the webhook cannot verify callers now (correlation ID ${correlationId})`,
      ),
    };
  }
  if (!accepted) return { ok: false, answer: UNAUTHORIZED };
  // The caller's query (the API server's ?timeout=) is dropped: the function keeps its own bound.
  return { ok: true, url: rest };
}

/** The webhook as the network sees it: authenticated by the token in the path, then `handleWebhookRequest`. */
export async function handleAuthenticatedWebhookRequest(
  req: WebhookHttpRequest,
  opts: AuthenticatedWebhookOptions,
): Promise<WebhookHttpResult> {
  if (isHealthCheck(req)) return handleWebhookRequest(req, opts);
  const auth = await authenticateWebhookCall(req, opts);
  if (!auth.ok) return auth.answer;
  return handleWebhookRequest({ ...req, url: auth.url }, opts);
}

/** Node http(s) request listener serving the webhook; a caller without an accepted token is refused unread. */
export function webhookHttpHandler(
  opts: AuthenticatedWebhookOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res) => {
    const send = (r: WebhookHttpResult) => {
      if (res.headersSent) return;
      res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
      res.end(r.body);
    };
    const call = { method: req.method ?? 'GET', url: req.url ?? '/' };
    const authenticated = isHealthCheck(call)
      ? Promise.resolve({ ok: true as const, url: call.url })
      : authenticateWebhookCall(call, opts);
    authenticated
      .then(async (auth) => {
        if (!auth.ok) {
          // Discarded as it arrives, never buffered.
          req.resume();
          return auth.answer;
        }
        const body = await readBody(req, max);
        return body === 'too-large'
          ? status(413, 'RequestEntityTooLarge', `request body exceeds ${max} bytes`)
          : handleWebhookRequest({ ...call, url: auth.url, body }, opts);
      })
      .then(send, (e: unknown) => {
        const correlationId = randomUUID();
        (opts.log ?? silentLogger).error(
          { err: e instanceof Error ? e : String(e), correlationId },
          'webhook request failed',
        );
        send(internalErrorAnswer(correlationId));
      });
  };
}

/** request.kind and the group/kind the object and old object name themselves. */
function kindsNamedBy(r: AdmissionRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [[r.kind.group, r.kind.kind]];
  for (const o of [r.object, r.oldObject]) {
    const { apiVersion, kind } = (o ?? {}) as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion === 'string' && typeof kind === 'string')
      out.push([apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '', kind]);
  }
  return out;
}
