// The webhooks as a cloud function serves them: the platform adapters (shared/entrypoints/*-http.ts)
// translate the request, this answers it. The cluster facts come through the function's Kubernetes
// client, with the short cache of context.ts kept for as long as the warm instance lives; so do the accepted
// tokens (token.ts), without which every call is a 401.
import type { HttpServe } from '../../shared/entrypoints/http.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { infrastructureContext } from './context.ts';
import { type AuthenticatedWebhookOptions, handleAuthenticatedWebhookRequest } from './http.ts';
import { webhookTokens } from './token.ts';

/** The function name on every platform (Lambda, Azure, functions-framework target). */
export const WEBHOOKS_FUNCTION_NAME = 'webhooks';

export function serveWebhooks(): HttpServe {
  let bound: { kube: KubeClient; opts: AuthenticatedWebhookOptions } | undefined;
  return (call, env) => {
    if (bound?.kube !== env.kube) {
      bound = {
        kube: env.kube,
        opts: { context: infrastructureContext(env.kube), tokens: webhookTokens(env.kube), log: env.log },
      };
    }
    return handleAuthenticatedWebhookRequest(call, bound.opts);
  };
}
