// The HTTP shape every platform's HTTP adapter translates to and from (API Gateway / Lambda function URL
// events, Azure HttpRequest, the functions-framework's Express request): a method, the path with its
// query string, and the raw body in; a status, headers and a text body out. The function behind it
// (the admission webhooks) sees the same call on every platform.
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

/** The answer when `serve` itself failed (e.g. the environment could not be built): a 500 with the reason. */
export function internalErrorAnswer(e: unknown): HttpAnswer {
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: 500,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message,
    }),
  };
}

/** `path` (with or without its leading slash) and a query string (with or without `?`) as one URL path. */
export function pathWithQuery(path: string | undefined, query: string | undefined): string {
  const p = `/${(path ?? '').replace(/^\/+/, '')}`;
  const q = (query ?? '').replace(/^\?/, '');
  return q ? `${p}?${q}` : p;
}
