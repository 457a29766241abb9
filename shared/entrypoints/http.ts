// The HTTP shape every platform's HTTP adapter translates to and from (API Gateway / Lambda function URL
// events, Azure HttpRequest, the functions-framework's Express request): a method, the path with its
// query string, and the raw body in; a status, headers and a text body out. The function behind it
// (the admission webhooks) sees the same call on every platform.
import { randomUUID } from 'node:crypto';
import { createLogger, type Logger } from '../runtime/logger.ts';
import type { FunctionEnv } from './deps.ts';

export interface HttpCall {
  method: string;
  /** Path with optional query string, as the caller sent it, e.g. `/validate?timeout=10s`. */
  url: string;
  body: string | Buffer;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Answers one call; it may read the cluster through `env`. */
export type HttpServe = (call: HttpCall, env: FunctionEnv) => Promise<HttpAnswer>;

/**
 * The answer when `serve` itself failed (the environment could not be built, a bug): a 500 that says nothing
 * but a correlation ID. The caller may be anyone who has the URL, and an exception's text can quote its
 * input (a kubeconfig's token line); the detail goes to the log under the same ID (`internalFailure`).
 */
export function internalErrorAnswer(correlationId: string): HttpAnswer {
  return {
    status: 500,
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
    body: JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: `internal error; the function's log has the details under correlation ID ${correlationId}`,
      details: { uid: correlationId },
    }),
  };
}

let fallback: Logger | undefined;

/**
 * Where an entrypoint logs when the function's own environment (and so its logger) is what failed. Tests
 * swap it, as they swap the environment (deps.ts setFunctionEnv).
 */
export function entrypointLog(): Logger {
  fallback ??= createLogger({ name: 'capi-fn' });
  return fallback;
}

export function setEntrypointLog(l: Logger | undefined): void {
  fallback = l;
}

/**
 * Logs a failed call (redacted by the logger) and returns the generic answer for it. `log` is tried first;
 * when it cannot be had the entrypoint's own logger is used, so the failure is never silent.
 */
export function internalFailure(e: unknown, o: { fn: string; correlationId?: string; log?: () => Logger }): HttpAnswer {
  const correlationId = o.correlationId || randomUUID();
  let log: Logger;
  try {
    log = o.log ? o.log() : entrypointLog();
  } catch {
    log = entrypointLog();
  }
  log.error({ fn: o.fn, correlationId, err: e instanceof Error ? e : String(e) }, 'request failed');
  return internalErrorAnswer(correlationId);
}

/** `path` (with or without its leading slash) and a query string (with or without `?`) as one URL path. */
export function pathWithQuery(path: string | undefined, query: string | undefined): string {
  const p = `/${(path ?? '').replace(/^\/+/, '')}`;
  const q = (query ?? '').replace(/^\?/, '');
  return q ? `${p}?${q}` : p;
}
