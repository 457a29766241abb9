// The webhook token's lifecycle, decided from the Secret alone (functions/webhooks/token.ts has the contract):
// generate one when there is none, rotate it daily, and register a new token only once every warm webhook
// instance can know it. Until then the configurations keep the previous token, which the Secret still lists,
// so the API server is never refused during a rotation.
import { Namespaces } from '../../shared/api/openshift/constants.ts';
import {
  isWellFormedToken,
  TOKEN_CACHE_TTL_MS,
  WEBHOOK_TOKEN_KEYS,
  WEBHOOK_TOKEN_ROTATED_AT,
  WEBHOOK_TOKEN_SECRET,
} from '../webhooks/token.ts';
import type { SecretObject } from './user-data.ts';

export const TOKEN_ROTATION_MS = 24 * 3600_000;
/** Longer than a warm webhook instance trusts the tokens it read, with room for a slow re-read. */
export const TOKEN_PROPAGATION_MS = 4 * TOKEN_CACHE_TTL_MS;

export interface WebhookTokenPlan {
  /** The Secret to write (create or replace), when it must change. */
  write?: SecretObject;
  /** The token to put in the registered URLs now. */
  register: string;
  /** When to look again: the end of the propagation window, or the next rotation. */
  requeueAfterMs: number;
}

function tokenIn(secret: SecretObject | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  const t = v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  return isWellFormedToken(t) ? t : undefined;
}

function desiredSecret(current: string, previous: string | undefined, now: Date): SecretObject {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: WEBHOOK_TOKEN_SECRET.name,
      namespace: Namespaces.clusterAPI,
      labels: { 'app.kubernetes.io/part-of': 'capi-fn' },
      annotations: { [WEBHOOK_TOKEN_ROTATED_AT]: now.toISOString() },
    },
    type: 'Opaque',
    data: {
      [WEBHOOK_TOKEN_KEYS.current]: b64(current),
      ...(previous ? { [WEBHOOK_TOKEN_KEYS.previous]: b64(previous) } : {}),
    },
  };
}

/**
 * `registered` is the token the webhook configurations carry now (undefined when there are none): when the
 * Secret is gone or unreadable it is kept as `previous` and stays registered through the propagation window, as
 * in a rotation, because warm webhook instances still accept it and do not know the new one yet.
 */
export function planWebhookToken(
  secret: SecretObject | undefined,
  now: Date,
  generate: () => string,
  registered?: string,
): WebhookTokenPlan {
  const current = tokenIn(secret, WEBHOOK_TOKEN_KEYS.current);
  const previous = tokenIn(secret, WEBHOOK_TOKEN_KEYS.previous);
  if (!current) {
    const token = generate();
    if (isWellFormedToken(registered) && registered !== token) {
      return {
        write: desiredSecret(token, registered, now),
        register: registered,
        requeueAfterMs: TOKEN_PROPAGATION_MS,
      };
    }
    // Nothing registered yet: used at once (an unknown token makes the webhook re-read the Secret).
    return { write: desiredSecret(token, undefined, now), register: token, requeueAfterMs: TOKEN_ROTATION_MS };
  }
  const rotatedAt = Date.parse(secret?.metadata.annotations?.[WEBHOOK_TOKEN_ROTATED_AT] ?? '');
  const age = Number.isFinite(rotatedAt) ? now.getTime() - rotatedAt : Number.POSITIVE_INFINITY;
  if (age >= TOKEN_ROTATION_MS || age < 0) {
    return {
      write: desiredSecret(generate(), current, now),
      register: current,
      requeueAfterMs: TOKEN_PROPAGATION_MS,
    };
  }
  if (age < TOKEN_PROPAGATION_MS && previous) {
    return { register: previous, requeueAfterMs: TOKEN_PROPAGATION_MS - age };
  }
  return { register: current, requeueAfterMs: TOKEN_ROTATION_MS - age };
}
