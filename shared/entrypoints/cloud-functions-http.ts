// Google Cloud Functions HTTP entrypoint (functions-framework `http`) for HTTP functions (the admission
// webhooks). The framework has already parsed the body by content type; the adapter hands on the raw
// bytes it keeps (`rawBody`), so the function parses exactly what the caller sent.
import * as ff from '@google-cloud/functions-framework';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { type HttpServe, internalErrorAnswer } from './http.ts';

export interface GcpHttpOptions {
  env?: () => FunctionEnv;
}

function rawBodyOf(req: ff.Request): string | Buffer {
  if (req.rawBody) return req.rawBody;
  const b: unknown = req.body;
  if (typeof b === 'string' || Buffer.isBuffer(b)) return b;
  return b === undefined || (typeof b === 'object' && b !== null && Object.keys(b).length === 0)
    ? ''
    : JSON.stringify(b);
}

export function gcpHttpHandler(serve: HttpServe, opts: GcpHttpOptions = {}): ff.HttpFunction {
  const getEnv = opts.env ?? (() => functionEnv());
  return async (req, res) => {
    let a: Awaited<ReturnType<HttpServe>>;
    try {
      a = await serve({ method: req.method, url: req.originalUrl || req.url, body: rawBodyOf(req) }, getEnv());
    } catch (e) {
      a = internalErrorAnswer(e);
    }
    res.status(a.status).set(a.headers).send(a.body);
  };
}

export function registerGcpHttp(name: string, serve: HttpServe): void {
  ff.http(name, gcpHttpHandler(serve));
}
