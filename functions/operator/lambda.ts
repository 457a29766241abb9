// AWS Lambda entrypoint (serverless.yml: handler `functions/operator/lambda.handler`, reserved concurrency 1).
// Its queue carries the events its watches route to it; its schedule's ticks run it as a targeted resync.
// The webhook endpoint it registers comes from CAPI_FN_WEBHOOK_URL / CAPI_FN_WEBHOOK_CA_BUNDLE.
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { operatorHandler, operatorResyncEvent, webhookFromEnv } from './index.ts';

const webhook = webhookFromEnv();

export const handler = lambdaHandler(operatorHandler(webhook ? { webhook } : {}), {
  scheduled: () => operatorResyncEvent(),
});
