// AWS Lambda entrypoint (serverless.yml: handler `functions/webhooks/aws.handler`, behind a function URL).
import { lambdaHttpHandler } from '../../shared/entrypoints/aws-http.ts';
import { serveWebhooks, WEBHOOKS_FUNCTION_NAME } from './serve.ts';

export const handler = lambdaHttpHandler(WEBHOOKS_FUNCTION_NAME, serveWebhooks());
