// AWS Lambda entrypoint for HTTP functions (the admission webhooks), built with middy: API Gateway HTTP
// API (payload format 2.0) and Lambda function URL events, which share one shape, become an HttpCall; the
// answer becomes the structured result. Translation only: a body may arrive base64-encoded (function URLs
// encode anything not recognisably text); a failure of the function itself is a generic 500 answer carrying
// the request id (the detail is logged under it), never a crashed invocation (which the caller would see as
// a bare 502).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import './aws-secrets.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { type HttpAnswer, type HttpCall, type HttpServe, internalFailure, pathWithQuery } from './http.ts';

/** API Gateway HTTP API v2 and function URL events (LambdaFunctionURLEvent is an alias of the same shape). */
export type LambdaHttpEvent = Pick<
  APIGatewayProxyEventV2,
  'rawPath' | 'rawQueryString' | 'body' | 'isBase64Encoded'
> & {
  requestContext?: { http?: { method?: string } };
};

export interface LambdaHttpOptions {
  env?: () => FunctionEnv;
}

/** The HttpCall a Lambda HTTP event stands for. Missing fields read as an empty GET of `/`. */
export function httpCallOfLambdaEvent(e: LambdaHttpEvent): HttpCall {
  const raw = e.body ?? '';
  return {
    method: e.requestContext?.http?.method ?? 'GET',
    url: pathWithQuery(e.rawPath, e.rawQueryString),
    body: e.isBase64Encoded ? Buffer.from(raw, 'base64') : raw,
  };
}

function toResult(a: HttpAnswer): APIGatewayProxyStructuredResultV2 {
  return { statusCode: a.status, headers: a.headers, body: a.body, isBase64Encoded: false };
}

export function lambdaHttpHandler(name: string, serve: HttpServe, opts: LambdaHttpOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  return middy<LambdaHttpEvent, APIGatewayProxyStructuredResultV2, Error, Context>(async (event: LambdaHttpEvent) =>
    toResult(await serve(httpCallOfLambdaEvent(event), getEnv())),
  ).use({
    name: 'capi-fn-http-errors',
    onError: (req) =>
      toResult(
        internalFailure(req.error, {
          fn: name,
          ...(req.context?.awsRequestId ? { correlationId: req.context.awsRequestId } : {}),
          log: () => getEnv().log,
        }),
      ),
  });
}
