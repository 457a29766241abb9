// The URL paths the webhook function answers on; the operator registers them in the webhook configurations.
export const WEBHOOK_PATHS = {
  /** Defaulting (MutatingWebhookConfiguration). */
  mutate: '/mutate',
  /** Validation (ValidatingWebhookConfiguration). */
  validate: '/validate',
} as const;

export type ReviewMode = keyof typeof WEBHOOK_PATHS;
