// The timeout the operator registers for the webhooks, apart from the webhook code itself: the operator's bundle
// imports it without the admission rules and the kind schemas they carry.

/** The timeoutSeconds the operator registers (the API server's default; a cold start must fit inside it). */
export const WEBHOOK_TIMEOUT_SECONDS = 10;
