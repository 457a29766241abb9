// AWS Lambda entrypoint (serverless.yml: handler `functions/webhooks/lambda.handler`, behind a function URL).
import { lambdaHttpHandler } from '../../shared/entrypoints/lambda-http.ts';
import { serveWebhooks, WEBHOOKS_FUNCTION_NAME } from './serve.ts';

export const handler = lambdaHttpHandler(WEBHOOKS_FUNCTION_NAME, serveWebhooks());
