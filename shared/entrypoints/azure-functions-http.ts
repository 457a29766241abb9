// Azure Functions v4 HTTP trigger for HTTP functions (the admission webhooks). The route is a catch-all
// (`{*path}`), so the function sees the path after the host's route prefix (`/api` by default) exactly as
// it would anywhere else: `https://<app>.azurewebsites.net/api/validate` arrives as `/validate`.
// Anonymous at the platform: the Kubernetes API server can send neither a function key header nor a query in a
// webhook URL. The webhooks authenticate the caller themselves, by the token in the path (functions/webhooks/token.ts).
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { type HttpServe, internalFailure, pathWithQuery } from './http.ts';

export interface AzureHttpOptions {
  env?: () => FunctionEnv;
}

export function azureHttpHandler(serve: HttpServe, opts: AzureHttpOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const body = Buffer.from(await request.arrayBuffer());
      const a = await serve(
        { method: request.method, url: pathWithQuery(request.params.path, new URL(request.url).search), body },
        getEnv(),
      );
      return { status: a.status, headers: a.headers, body: a.body };
    } catch (e) {
      const a = internalFailure(e, {
        fn: context.functionName,
        correlationId: context.invocationId,
        log: () => getEnv().log,
      });
      return { status: a.status, headers: a.headers, body: a.body };
    }
  };
}

export function registerAzureHttp(name: string, serve: HttpServe): void {
  app.http(name, {
    methods: ['GET', 'HEAD', 'POST'],
    authLevel: 'anonymous',
    route: '{*path}',
    handler: azureHttpHandler(serve),
  });
}
