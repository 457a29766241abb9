// HTTP layer: authentication, body limits, routing to discovery/OpenAPI/resources, and turning every failure
// into a Kubernetes Status so the server never crashes on a bad request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { tokenMatches } from './auth.ts';
import type { ApiContext } from './context.ts';
import {
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  DISCOVERY_V2_CONTENT_TYPE,
  legacyApi,
} from './discovery.ts';
import { ClientSlots, DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import type { OpenApiCache } from './openapi.ts';
import { queryBool } from './query.ts';
import { type Negotiated, negotiate, parseResourcePath } from './request.ts';
import { handleResource } from './rest/handlers.ts';
import { ApiError, internalError } from './status-errors.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: 'capi-fn-embedded',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz', '/version/']);

export interface ServerDeps {
  ctx: ApiContext;
  token: string;
  openapi: OpenApiCache;
  /** default DEFAULT_LIMITS */
  limits?: ServerLimits;
}

interface Slots {
  requests: ClientSlots;
  watches: ClientSlots;
}

/** Watches are long-running: they are counted apart from requests, as kube-apiserver's in-flight limit does. */
function isWatchRequest(method: string, pathname: string, query: URLSearchParams): boolean {
  if (method !== 'GET') return false;
  if (queryBool(query, 'watch')) return true;
  const segs = pathname.split('/');
  return (segs[1] === 'api' && segs[3] === 'watch') || (segs[1] === 'apis' && segs[4] === 'watch');
}

/**
 * Answer without reading the body: closing the connection after the answer stops the client from streaming the
 * rest of it (up to MAX_BODY_BYTES) into a server that refused it.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') {
    req.resume();
    return;
  }
  res.shouldKeepAlive = false;
  res.setHeader('Connection', 'close');
}

function notFoundStatus(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function quoteWarning(w: string): string {
  return `299 - "${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  neg: Negotiated | undefined,
  extra: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  let text: string;
  let ctype: string;
  const isTable = typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Table';
  if (neg?.format === 'yaml') {
    text = toYaml(body);
    ctype = isTable ? 'application/yaml;as=Table;v=v1;g=meta.k8s.io' : 'application/yaml';
  } else {
    text = JSON.stringify(body);
    ctype = isTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json';
  }
  const buf = Buffer.from(text);
  res.writeHead(status, {
    'Content-Type': ctype,
    'Content-Length': buf.length,
    'Cache-Control': 'no-cache, private',
    ...extra,
  });
  res.end(buf);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function requestHandler(deps: ServerDeps) {
  const { ctx } = deps;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const slots: Slots = {
    requests: new ClientSlots(limits.maxInFlightPerClient, 'requests in flight'),
    watches: new ClientSlots(limits.maxWatchesPerClient, 'watches'),
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(deps, slots, req, res).catch((e: unknown) => {
      ctx.log(`apiserver: unhandled ${e instanceof Error ? e.stack : String(e)}`);
      try {
        send(res, 500, internalError(e).toStatus(), undefined);
      } catch {
        res.destroy();
      }
    });
  };
}

async function handle(deps: ServerDeps, slots: Slots, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { ctx } = deps;
  const url = new URL(req.url ?? '/', 'https://localhost');
  const pathname = url.pathname.replace(/\/+$/, '') || '/';
  const method = (req.method ?? 'GET').toUpperCase();
  let neg: Negotiated | undefined;
  try {
    // Anyone may call these without credentials; credentials that are presented must be valid, as in
    // kube-apiserver (a wrong token is a 401 even on /version, so a client learns its token is bad there).
    if (
      PUBLIC_PATHS.has(pathname) &&
      (!req.headers.authorization || tokenMatches(req.headers.authorization, deps.token))
    ) {
      // Answer before any body is read (a POST /healthz used to buffer 3 MiB).
      if (method !== 'GET' && method !== 'HEAD') {
        refuseBody(req, res);
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      }
    } else {
      if (!tokenMatches(req.headers.authorization, deps.token)) {
        refuseBody(req, res);
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      const watching = isWatchRequest(method, pathname, url.searchParams);
      let release: () => void;
      try {
        release = (watching ? slots.watches : slots.requests).acquire(req.socket.remoteAddress ?? '');
      } catch (e) {
        refuseBody(req, res);
        throw e;
      }
      res.once('close', release);
    }
    neg = negotiate(req.headers.accept);
    let body: Buffer = Buffer.alloc(0);
    if (method === 'GET' || method === 'HEAD') req.resume();
    else body = await readBody(req);
    if (ctx.stopping) throw new ApiError(503, 'ServiceUnavailable', 'the server is shutting down');
    const simple = (obj: unknown, extra?: Record<string, string>) => {
      if (method !== 'GET')
        throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      send(res, 200, obj, neg, extra);
    };
    switch (pathname) {
      case '/version':
        return simple(VERSION_INFO);
      case '/healthz':
      case '/livez':
      case '/readyz': {
        // Only readiness reflects storage: the server recovers by itself when the disk does, so a restart (what a
        // failing liveness probe asks for) would not help.
        const storage = pathname === '/readyz' ? await ctx.store.storageProblem() : undefined;
        res.writeHead(storage ? 500 : 200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(storage ? `[-]storage failed: ${storage}\nreadyz check failed` : 'ok');
        return;
      }
      case '/api':
        if (neg.discoveryV2)
          return simple(aggregatedDiscovery(ctx.registry, true), { 'Content-Type': DISCOVERY_V2_CONTENT_TYPE });
        return simple(legacyApi(ctx.address()));
      case '/apis':
        if (neg.discoveryV2)
          return simple(aggregatedDiscovery(ctx.registry, false), { 'Content-Type': DISCOVERY_V2_CONTENT_TYPE });
        return simple(apiGroupList(ctx.registry));
      case '/openapi/v3':
        return simple(deps.openapi.root());
      case '/openapi/v2':
        throw notFoundStatus();
    }
    if (pathname.startsWith('/openapi/v3/')) {
      const rest = pathname.slice('/openapi/v3/'.length).split('/');
      let doc: { body: string; hash: string } | undefined;
      if (rest[0] === 'api' && rest.length === 2) doc = deps.openapi.doc('', rest[1]!);
      else if (rest[0] === 'apis' && rest.length === 3) doc = deps.openapi.doc(rest[1]!, rest[2]!);
      if (!doc) throw notFoundStatus();
      const buf = Buffer.from(doc.body);
      const immutable = url.searchParams.get('hash') === doc.hash;
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': buf.length,
        'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
        Etag: `"${doc.hash}"`,
      });
      res.end(buf);
      return;
    }
    const segs = pathname.split('/').filter(Boolean);
    if (segs[0] === 'api' && segs.length === 2) {
      const list = apiResourceList(ctx.registry, '', segs[1]!);
      if (!list) throw notFoundStatus();
      return simple(list);
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = apiGroupDoc(ctx.registry, segs[1]!);
      if (!g) throw notFoundStatus();
      return simple(g);
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const list = apiResourceList(ctx.registry, segs[1]!, segs[2]!);
      if (!list) throw notFoundStatus();
      return simple(list);
    }
    const path = parseResourcePath(pathname);
    if (!path) throw notFoundStatus();
    const result = await handleResource({
      ctx,
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      res,
      negotiated: neg,
    });
    if (result.streamed) return;
    // Acknowledge only what is durable: with a data dir the write-ahead log has been fsync'ed by now.
    await ctx.store.durable();
    const extra: Record<string, string | string[]> = {};
    if (result.warnings.length) extra.Warning = result.warnings.map(quoteWarning);
    send(res, result.status, result.body, neg, extra);
  } catch (e) {
    const err = e instanceof ApiError ? e : internalError(e);
    if (!(e instanceof ApiError))
      ctx.log(`apiserver: ${req.method} ${req.url}: ${e instanceof Error ? e.stack : String(e)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    const extra: Record<string, string> = {};
    if (err.details?.retryAfterSeconds) extra['Retry-After'] = String(err.details.retryAfterSeconds);
    send(res, err.code, err.toStatus(), neg?.format === 'yaml' ? neg : undefined, extra);
  }
}
