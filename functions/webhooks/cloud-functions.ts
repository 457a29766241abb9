// Google Cloud Functions registration (HTTP); entry point name: "webhooks".
import { registerGcpHttp } from '../../shared/entrypoints/cloud-functions-http.ts';
import { serveWebhooks, WEBHOOKS_FUNCTION_NAME } from './serve.ts';

registerGcpHttp(WEBHOOKS_FUNCTION_NAME, serveWebhooks());
