// Azure Functions v4 registration (anonymous HTTP trigger; the webhooks answer at <app>/api/mutate and /api/validate).
import { registerAzureHttp } from '../../shared/entrypoints/azure-functions-http.ts';
import { serveWebhooks, WEBHOOKS_FUNCTION_NAME } from './serve.ts';

registerAzureHttp(WEBHOOKS_FUNCTION_NAME, serveWebhooks());
