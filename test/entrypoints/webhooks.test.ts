// The admission webhooks' HTTP entrypoints invoked in-process as each platform calls them: a Lambda
// function URL event, an Azure HttpRequest, and the functions-framework's own server. The answers are
// the webhook's (an AdmissionReview, or a Status for what is not one); the adapters add nothing.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWebhooks } from '../../functions/webhooks/serve.ts';
import { azureHttpHandler } from '../../shared/entrypoints/azure-functions-http.ts';
import { setFunctionEnv } from '../../shared/entrypoints/deps.ts';
import { type LambdaHttpEvent, lambdaHttpHandler } from '../../shared/entrypoints/lambda-http.ts';
import { scriptedEnv } from './handlers.ts';

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

describe('webhooks on AWS Lambda (function URL)', () => {
  let requests: string[];
  let handler: (e: LambdaHttpEvent, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  beforeAll(async () => {
    const scripted = scriptedEnv();
    requests = scripted.requests;
    setFunctionEnv(scripted.env);
    // The deployed module itself, as serverless.yml names it.
    handler = (await import('../../functions/webhooks/lambda.ts')).handler;
  });
  afterAll(() => setFunctionEnv(undefined));

  it('denies an invalid MachineSet with the reason, echoing the uid', async () => {
    const r = await handler(urlEvent('POST', '/validate', invalidMachineSetReview()), ctx);
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
    const denied = await handler(urlEvent('POST', '/validate', invalidMachineSetReview(), { base64: true }), ctx);
    expect(json(denied.body).response).toMatchObject({ uid: UID, allowed: false });
    const r = await handler(urlEvent('POST', '/mutate', validMachineSetReview(), { base64: true }), ctx);
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
    const r = await handler(urlEvent('POST', '/validate', body, { base64 }), ctx);
    expect(r.statusCode).toBe(400);
    expect(json(r.body)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('answers unknown paths with 404, other methods with 405, and a health check', async () => {
    expect((await handler(urlEvent('POST', '/elsewhere', '{}'), ctx)).statusCode).toBe(404);
    expect((await handler(urlEvent('GET', '/validate'), ctx)).statusCode).toBe(405);
    const health = await handler(urlEvent('GET', '/healthz', undefined, { query: '' }), ctx);
    expect([health.statusCode, health.body]).toEqual([200, 'ok']);
  });

  it('turns a failure of the function itself into a 500 answer, not a crashed invocation', async () => {
    const broken = lambdaHttpHandler('webhooks', async () => {
      throw new Error('CAPI_FN_KUBECONFIG_DATA is not a kubeconfig');
    });
    const r = await broken(urlEvent('POST', '/validate', invalidMachineSetReview()), ctx);
    expect(r.statusCode).toBe(500);
    expect(json(r.body)).toMatchObject({ code: 500, message: 'CAPI_FN_KUBECONFIG_DATA is not a kubeconfig' });
  });
});

describe('webhooks on Azure Functions (HTTP trigger)', () => {
  const { env } = scriptedEnv();
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
    const r = await handler(request('POST', 'validate', invalidMachineSetReview()), context());
    expect(r.status).toBe(200);
    const res = json(r.body as string).response;
    expect(res).toMatchObject({ uid: UID, allowed: false });
    expect(res.status.message).toMatch(SELECTOR_MESSAGE);
  });

  it('answers garbage with 400 and a path outside the webhooks with 404', async () => {
    const bad = await handler(request('POST', 'validate', '<xml/>'), context());
    expect(bad.status).toBe(400);
    expect(json(bad.body as string)).toMatchObject({ kind: 'Status', code: 400 });
    expect((await handler(request('POST', 'api/validate', '{}'), context())).status).toBe(404);
  });
});

describe('webhooks on Google Cloud Functions (functions-framework HTTP)', () => {
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    setFunctionEnv(scriptedEnv().env);
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
    const r = await post('/validate?timeout=10s', invalidMachineSetReview());
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
    const r = await post('/validate', body, type);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ kind: 'Status', code: 400 });
  });

  it('answers a body the framework cannot parse as its content type with a 4xx, never a 5xx', async () => {
    const r = await post('/validate', 'not json at all');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });
});
