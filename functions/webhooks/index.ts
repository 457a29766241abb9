// The Cluster API admission webhooks: a pure `review` core and its HTTP forms.

export { type ReviewMode, WEBHOOK_PATHS } from '../../shared/api/webhook-paths.ts';
export { type AdmissionRequest, type AdmissionResponse, parseAdmissionReview } from './admission-review.ts';
export { factsFrom, infrastructureContext } from './context.ts';
export {
  type AuthenticatedWebhookOptions,
  handleAuthenticatedWebhookRequest,
  handleWebhookRequest,
  type WebhookHttpOptions,
  webhookHttpHandler,
} from './http.ts';
export { type ReviewContext, review } from './review.ts';
export { WEBHOOK_TOKEN_SECRET, type WebhookTokens, webhookTokens } from './token.ts';
