// The admission webhooks' HTTP entrypoints invoked in-process as each platform calls them: a Lambda
// function URL event, an Azure HttpRequest, and the functions-framework's own server. The answers are
// the webhook's (an AdmissionReview, or a Status for what is not one); the adapters add nothing.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serveWebhooks } from '../../functions/webhooks/serve.ts';
import { WEBHOOK_TOKEN_SECRET } from '../../functions/webhooks/token.ts';
import { azureHttpHandler } from '../../shared/entrypoints/azure-functions-http.ts';
import { gcpHttpHandler } from '../../shared/entrypoints/cloud-functions-http.ts';
import { setFunctionEnv } from '../../shared/entrypoints/deps.ts';
import { setEntrypointLog } from '../../shared/entrypoints/http.ts';
import { type LambdaHttpEvent, lambdaHttpHandler } from '../../shared/entrypoints/lambda-http.ts';
import type { KubeRequest } from '../../shared/kube/transport.ts';
import { createLogger } from '../../shared/runtime/logger.ts';
import { type ApiAnswer, scriptedEnv } from './handlers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ctx = { awsRequestId: 'req-1', functionName: 'capi-fn-dev-webhooks' } as Context;

/** The sample AdmissionReview (events/) for a MachineSet, made invalid: template labels miss the selector. */
function invalidMachineSetReview(): string {
  const review = JSON.parse(readFileSync(join(ROOT, 'events/admissionreview-machineset-create.json'), 'utf8'));
  review.request.object.spec.template.metadata.labels = { test: 'other' };
  return JSON.stringify(review);
}
const validMachineSetReview = () => readFileSync(join(ROOT, 'events/admissionreview-machineset-create.json'), 'utf8');
const UID = '7f0c1c6e-6a55-4a0e-9d8c-2d1ad3a1c0de';
const SELECTOR_MESSAGE =
  /spec\.template\.metadata\.labels: Invalid value: \{"test":"other"\} must match spec\.selector "test=example"/;

/** A Lambda function URL event (payload format 2.0, as API Gateway HTTP APIs send too). */
function urlEvent(
  method: string,
  path: string,
  body?: string,
  opts: { base64?: boolean; query?: string } = {},
): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: opts.query ?? 'timeout=10s',
    headers: { 'content-type': 'application/json', host: 'abc.lambda-url.us-east-1.on.aws' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'kube-apiserver-admission' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    ...(body !== undefined
      ? { body: opts.base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: Boolean(opts.base64) }
      : { isBase64Encoded: false }),
  };
}

const json = (body: string | undefined) => JSON.parse(body ?? 'null');

/** The token the operator registered (the URL's first segment), and the one it replaced during a rotation. */
const TOKEN = 'Tk3n'.repeat(10).slice(0, 40) + 'abc';
const PREVIOUS = 'PrEv'.repeat(10).slice(0, 40) + 'xyz';
const TOKEN_SECRET_PATH = `/api/v1/namespaces/${WEBHOOK_TOKEN_SECRET.namespace}/secrets/${WEBHOOK_TOKEN_SECRET.name}`;
const b64 = (t: string) => Buffer.from(t).toString('base64');
/** The API answers with the operator's token Secret; everything else is the default 404. */
function withTokenSecret(req: KubeRequest): ApiAnswer | undefined {
  if (req.method !== 'GET' || req.path !== TOKEN_SECRET_PATH) return undefined;
  return {
    status: 200,
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...WEBHOOK_TOKEN_SECRET },
      data: { current: b64(TOKEN), previous: b64(PREVIOUS) },
    },
  };
}

describe('webhooks on AWS Lambda (function URL)', () => {
  let requests: string[];
  let handler: (e: LambdaHttpEvent, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  beforeAll(async () => {
    const scripted = scriptedEnv(withTokenSecret);
    requests = scripted.requests;
    setFunctionEnv(scripted.env);
    // The deployed module itself, as serverless.yml names it.
    handler = (await import('../../functions/webhooks/lambda.ts')).handler;
  });
  afterAll(() => setFunctionEnv(undefined));

  it('denies an invalid MachineSet with the reason, echoing the uid', async () => {
    const r = await handler(urlEvent('POST', `/${TOKEN}/validate`, invalidMachineSetReview()), ctx);
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json' });
    const res = json(r.body);
    expect(res).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(res.response).toMatchObject({ uid: UID, allowed: false, status: { code: 422, reason: 'Invalid' } });
    expect(res.response.status.message).toMatch(SELECTOR_MESSAGE);
    // The cluster facts came through the function's own client (not OpenShift here: 404).
    expect(requests).toContain('GET /apis/config.openshift.io/v1/infrastructures/cluster');
  });

  it('decodes a base64-encoded body, and answers /mutate with the defaults as a JSON patch', async () => {
    const denied = await handler(
      urlEvent('POST', `/${TOKEN}/validate`, invalidMachineSetReview(), { base64: true }),
      ctx,
    );
    expect(json(denied.body).response).toMatchObject({ uid: UID, allowed: false });
    const r = await handler(urlEvent('POST', `/${TOKEN}/mutate`, validMachineSetReview(), { base64: true }), ctx);
    const res = json(r.body).response;
    expect(res).toMatchObject({ uid: UID, allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(res.patch, 'base64').toString())).toContainEqual({
      op: 'add',
      path: '/spec/deletePolicy',
      value: 'Random',
    });
  });

  it.each([
    ['garbage', 'not json at all', false],
    ['garbage, base64-encoded', '\u0000\u00ff{{', true],
    ['JSON that is not an AdmissionReview', '{"apiVersion":"v1","kind":"Pod"}', false],
    ['an empty body', '', false],
  ])('answers %s with 400 and a Status', async (_what, body, base64) => {
    const r = await handler(urlEvent('POST', `/${TOKEN}/validate`, body, { base64 }), ctx);
    expect(r.statusCode).toBe(400);
    expect(json(r.body)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('answers unknown paths with 404, other methods with 405, and a health check', async () => {
    expect((await handler(urlEvent('POST', `/${TOKEN}/elsewhere`, '{}'), ctx)).statusCode).toBe(404);
    expect((await handler(urlEvent('GET', `/${TOKEN}/validate`), ctx)).statusCode).toBe(405);
    const health = await handler(urlEvent('GET', '/healthz', undefined, { query: '' }), ctx);
    expect([health.statusCode, health.body]).toEqual([200, 'ok']);
  });

  it('turns a failure of the function itself into a 500 answer, not a crashed invocation', async () => {
    const broken = lambdaHttpHandler('webhooks', async () => {
      throw new Error('CAPI_FN_KUBECONFIG_DATA is not a kubeconfig');
    });
    const r = await broken(urlEvent('POST', '/validate', invalidMachineSetReview()), ctx);
    expect(r.statusCode).toBe(500);
    expect(json(r.body)).toMatchObject({ code: 500, reason: 'InternalError', details: { uid: 'req-1' } });
  });
});

/** A kubeconfig whose user line is malformed YAML, on the line that holds the token. */
const BROKEN_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443
users:
- name: u
  user:
    token: sha256~TOPSECRETTOKENVALUE: x
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`;

function capturingLog(lines: string[]) {
  return createLogger({
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
}

describe('a 500 from any HTTP entrypoint says nothing but a correlation ID (audit 6)', () => {
  let saved: string | undefined;
  let lines: string[];
  beforeEach(() => {
    saved = process.env.CAPI_FN_KUBECONFIG_DATA;
    lines = [];
    setEntrypointLog(capturingLog(lines));
    setFunctionEnv(undefined);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CAPI_FN_KUBECONFIG_DATA;
    else process.env.CAPI_FN_KUBECONFIG_DATA = saved;
    setEntrypointLog(undefined);
    setFunctionEnv(undefined);
  });

  it('the deployed Lambda with a malformed kubeconfig answers a generic 500 and logs the redacted reason', async () => {
    process.env.CAPI_FN_KUBECONFIG_DATA = Buffer.from(BROKEN_KUBECONFIG).toString('base64');
    const { handler } = await import('../../functions/webhooks/lambda.ts');
    const r = await handler(urlEvent('POST', '/validate', '{}'), { ...ctx, awsRequestId: 'corr-42' } as Context);
    expect(r.statusCode).toBe(500);
    expect(r.headers).toMatchObject({ 'x-correlation-id': 'corr-42' });
    expect(json(r.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: "internal error; the function's log has the details under correlation ID corr-42",
      details: { uid: 'corr-42' },
    });
    expect(r.body).not.toMatch(/TOPSECRET|token|Nested mappings|10\.0\.0\.1/);
    const logged = lines.join('');
    expect(logged).toMatch(/"correlationId":"corr-42"/);
    expect(logged).toMatch(/is not a kubeconfig; fix the file .*: line 10, column \d+: bad indentation/);
    expect(logged).not.toContain('TOPSECRETTOKENVALUE');
  });

  it('Azure: the invocation id is the correlation ID, the detail is logged redacted', async () => {
    const failing = azureHttpHandler(
      async () => {
        throw new Error('client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t is not valid');
      },
      { env: () => ({ ...scriptedEnv().env, log: capturingLog(lines) }) },
    );
    const r = await failing(
      new HttpRequest({
        method: 'POST',
        url: 'https://x.azurewebsites.net/api/validate',
        params: { path: 'validate' },
      }),
      new InvocationContext({ functionName: 'webhooks', invocationId: 'inv-9', logHandler: () => {} }),
    );
    expect(r.status).toBe(500);
    expect(String(r.body)).not.toMatch(/client-key|LS0t/);
    expect(json(r.body as string)).toMatchObject({ code: 500, details: { uid: 'inv-9' } });
    expect(lines.join('')).toMatch(/"correlationId":"inv-9".*client-key-data: \[REDACTED\]/);
    expect(lines.join('')).not.toContain('LS0t');
  });

  it('Google: a generated correlation ID in the body and in the log, never the message', async () => {
    const failing = gcpHttpHandler(
      'webhooks',
      async () => {
        throw new Error('password: hunter2');
      },
      { env: () => ({ ...scriptedEnv().env, log: capturingLog(lines) }) },
    );
    const sent: { status?: number; body?: string } = {};
    const res = {
      status(s: number) {
        sent.status = s;
        return this;
      },
      set() {
        return this;
      },
      send(b: string) {
        sent.body = b;
        return this;
      },
    };
    const req = {
      method: 'POST',
      originalUrl: '/validate',
      url: '/validate',
      rawBody: Buffer.from('{}'),
      get: () => undefined,
    };
    await failing(req as never, res as never);
    expect(sent.status).toBe(500);
    expect(sent.body).not.toContain('hunter2');
    const id = json(sent.body).details.uid as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.join('')).toContain(`"correlationId":"${id}"`);
    expect(lines.join('')).not.toContain('hunter2');
  });
});

describe('webhooks on Azure Functions (HTTP trigger)', () => {
  const { env } = scriptedEnv(withTokenSecret);
  const handler = azureHttpHandler(serveWebhooks(), { env: () => env });
  const context = () =>
    new InvocationContext({ functionName: 'webhooks', invocationId: 'inv-1', logHandler: () => {} });
  /** What the host hands the catch-all route `{*path}` for https://<app>.azurewebsites.net/api/<path>. */
  const request = (method: string, path: string, body?: string) =>
    new HttpRequest({
      method,
      url: `https://capi-fn.azurewebsites.net/api/${path}?timeout=10s`,
      params: { path },
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: { string: body } } : {}),
    });

  it('the registration module loads outside the Functions host', async () => {
    await expect(import('../../functions/webhooks/azure-functions.ts')).resolves.toBeDefined();
  });

  it('denies an invalid MachineSet with the reason', async () => {
    const r = await handler(request('POST', `${TOKEN}/validate`, invalidMachineSetReview()), context());
    expect(r.status).toBe(200);
    const res = json(r.body as string).response;
    expect(res).toMatchObject({ uid: UID, allowed: false });
    expect(res.status.message).toMatch(SELECTOR_MESSAGE);
  });

  it('answers garbage with 400 and a path outside the webhooks with 404', async () => {
    const bad = await handler(request('POST', `${TOKEN}/validate`, '<xml/>'), context());
    expect(bad.status).toBe(400);
    expect(json(bad.body as string)).toMatchObject({ kind: 'Status', code: 400 });
    expect((await handler(request('POST', `${TOKEN}/api/validate`, '{}'), context())).status).toBe(404);
  });
});

describe('webhooks on Google Cloud Functions (functions-framework HTTP)', () => {
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    setFunctionEnv(scriptedEnv(withTokenSecret).env);
    await import('../../functions/webhooks/cloud-functions.ts');
    const server = getTestServer('webhooks');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    setFunctionEnv(undefined);
  });
  const post = (path: string, body: string, type = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('denies an invalid MachineSet with the reason', async () => {
    const r = await post(`/${TOKEN}/validate?timeout=10s`, invalidMachineSetReview());
    expect(r.status).toBe(200);
    const res = ((await r.json()) as { response: { uid: string; allowed: boolean; status: { message: string } } })
      .response;
    expect(res).toMatchObject({ uid: UID, allowed: false });
    expect(res.status.message).toMatch(SELECTOR_MESSAGE);
  });

  it.each([
    ['text', 'not json at all', 'text/plain'],
    ['bytes', '\u0000\u00ff', 'application/octet-stream'],
    ['JSON that is not an AdmissionReview', '{"apiVersion":"v1","kind":"Pod"}', 'application/json'],
  ])('answers %s with 400', async (_what, body, type) => {
    const r = await post(`/${TOKEN}/validate`, body, type);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ kind: 'Status', code: 400 });
  });

  it('answers a body the framework cannot parse as its content type with a 4xx, never a 5xx', async () => {
    const r = await post(`/${TOKEN}/validate`, 'not json at all');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });
});

describe('the public webhook URL is authenticated by the token in its path (audit 5)', () => {
  let requests: string[];
  let handler: (e: LambdaHttpEvent, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  beforeAll(async () => {
    const scripted = scriptedEnv(withTokenSecret);
    requests = scripted.requests;
    setFunctionEnv(scripted.env);
    handler = (await import('../../functions/webhooks/lambda.ts')).handler;
  });
  afterAll(() => setFunctionEnv(undefined));
  beforeEach(() => {
    requests.length = 0;
  });

  const UNAUTHORIZED = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  };
  const INFRA_READ = 'GET /apis/config.openshift.io/v1/infrastructures/cluster';

  it('without a token: 401 with nothing about the cluster, and no API read at all', async () => {
    for (const path of ['/validate', '/mutate', '/', '/elsewhere']) {
      const r = await handler(urlEvent('POST', path, invalidMachineSetReview()), ctx);
      expect([r.statusCode, json(r.body)]).toEqual([401, UNAUTHORIZED]);
    }
    expect(requests).toEqual([]);
  });

  it('a wrong token is refused before the body is parsed (garbage gets 401, not 400)', async () => {
    const wrong = 'W'.repeat(43);
    const garbage = await handler(urlEvent('POST', `/${wrong}/validate`, 'not json at all'), ctx);
    expect([garbage.statusCode, json(garbage.body)]).toEqual([401, UNAUTHORIZED]);
    const review = await handler(urlEvent('POST', `/${wrong}/validate`, invalidMachineSetReview()), ctx);
    expect([review.statusCode, json(review.body)]).toEqual([401, UNAUTHORIZED]);
    expect(requests).not.toContain(INFRA_READ);
  });

  it('50 anonymous denied reviews cost no Infrastructure read and at most one token read (was 51 reads)', async () => {
    for (let i = 0; i < 50; i++) {
      const token = `${String(i).padStart(2, '0')}${'g'.repeat(41)}`;
      const r = await handler(urlEvent('POST', `/${token}/validate`, invalidMachineSetReview()), ctx);
      expect(r.statusCode).toBe(401);
    }
    expect(requests.filter((r) => r === INFRA_READ)).toEqual([]);
    expect(requests.filter((r) => r === `GET ${TOKEN_SECRET_PATH}`).length).toBeLessThanOrEqual(1);
  });

  it('the registered token and, during a rotation, the previous one are served', async () => {
    for (const t of [TOKEN, PREVIOUS]) {
      const r = await handler(urlEvent('POST', `/${t}/validate`, invalidMachineSetReview()), ctx);
      expect(r.statusCode).toBe(200);
      expect(json(r.body).response).toMatchObject({ uid: UID, allowed: false });
    }
  });

  it('the caller’s ?timeout= does not reach the webhook (the function keeps its own bound)', async () => {
    const r = await handler(
      urlEvent('POST', `/${TOKEN}/validate`, invalidMachineSetReview(), { query: 'timeout=3600s' }),
      ctx,
    );
    expect(json(r.body).response).toMatchObject({ uid: UID, allowed: false });
  });

  it('the health check needs no token and reads nothing', async () => {
    const r = await handler(urlEvent('GET', '/healthz', undefined, { query: '' }), ctx);
    expect([r.statusCode, r.body]).toEqual([200, 'ok']);
    expect(requests).toEqual([]);
  });

  it('a token the webhook cannot check (API down) is a 503 naming no cluster detail', async () => {
    const down = scriptedEnv(() => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:6443');
    });
    setFunctionEnv(down.env);
    try {
      const r = await handler(urlEvent('POST', `/${TOKEN}/validate`, invalidMachineSetReview()), ctx);
      expect(r.statusCode).toBe(503);
      expect(r.body).not.toMatch(/10\.0\.0\.1|ECONNREFUSED|infrastructure/i);
    } finally {
      const scripted = scriptedEnv(withTokenSecret);
      requests = scripted.requests;
      setFunctionEnv(scripted.env);
    }
  });
});
