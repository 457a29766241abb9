// Google Cloud Functions HTTP entrypoint (functions-framework `http`) for HTTP functions (the admission
// webhooks). The framework has already parsed the body by content type; the adapter hands on the raw
// bytes it keeps (`rawBody`), so the function parses exactly what the caller sent.
import * as ff from '@google-cloud/functions-framework';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { rawBodyOf } from './ff-body.ts';
import { type HttpServe, internalFailure } from './http.ts';

export interface GcpHttpOptions {
  env?: () => FunctionEnv;
}

export function gcpHttpHandler(name: string, serve: HttpServe, opts: GcpHttpOptions = {}): ff.HttpFunction {
  const getEnv = opts.env ?? (() => functionEnv());
  return async (req, res) => {
    let a: Awaited<ReturnType<HttpServe>>;
    try {
      a = await serve({ method: req.method, url: req.originalUrl || req.url, body: rawBodyOf(req) }, getEnv());
    } catch (e) {
      // The framework's execution id (set on Cloud Run functions) ties the answer to the platform's own log.
      const id = req.get('function-execution-id');
      a = internalFailure(e, { fn: name, ...(id ? { correlationId: id } : {}), log: () => getEnv().log });
    }
    res.status(a.status).set(a.headers).send(a.body);
  };
}

export function registerGcpHttp(name: string, serve: HttpServe): void {
  ff.http(name, gcpHttpHandler(name, serve));
}
