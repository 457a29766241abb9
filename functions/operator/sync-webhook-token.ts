// Webhook token step I/O: read the Secret, write what planWebhookToken decides, and say which token to register.
import type { KubeClient } from '../../shared/kube/client.ts';
import { newWebhookToken, WEBHOOK_TOKEN_SECRET } from '../webhooks/token.ts';
import { OPERATOR_FIELD_MANAGER } from './install.ts';
import { writeSecret } from './sync-user-data.ts';
import type { SecretObject } from './user-data.ts';
import { planWebhookToken } from './webhook-token.ts';

export interface WebhookTokenResult {
  register: string;
  requeueAfterMs: number;
  /** The Secret was created or rotated by this call. */
  wrote: boolean;
}

/** `registered`: the token the webhook configurations carry now, if any (registeredToken in webhook-config.ts). */
export async function syncWebhookToken(
  kube: KubeClient,
  now: Date,
  registered?: string,
  generate: () => string = newWebhookToken,
): Promise<WebhookTokenResult> {
  const key = { apiVersion: 'v1', kind: 'Secret', ...WEBHOOK_TOKEN_SECRET };
  const current = await kube.find<SecretObject>(key);
  const plan = planWebhookToken(current, now, generate, registered);
  if (plan.write) {
    // A plain create, not create-if-absent: a concurrent creator's token would not be the one registered here;
    // AlreadyExists fails the step and the next run plans from the stored Secret.
    if (current) await writeSecret(kube, current, plan.write);
    else await kube.create(plan.write, { fieldManager: OPERATOR_FIELD_MANAGER });
  }
  return { register: plan.register, requeueAfterMs: plan.requeueAfterMs, wrote: plan.write !== undefined };
}
