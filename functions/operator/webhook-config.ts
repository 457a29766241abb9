// The admission webhook configurations the installer registers (openshift-capi.md §1.5: the real transport
// ConfigMaps carry them too). One mutating and one validating configuration send every Cluster API and
// infrastructure kind, and FeatureGate updates, to the webhook function at the URL the operator was given.
import { CAPI_GROUP, INFRA_GROUP } from '../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { CONFIG_GROUP } from '../../shared/api/openshift/constants.ts';
import { WEBHOOK_PATHS } from '../../shared/api/webhook-paths.ts';
import { WEBHOOK_TIMEOUT_SECONDS } from '../webhooks/timeout.ts';
import { isWellFormedToken } from '../webhooks/token.ts';
import { CORE_PROVIDER_LABEL_VALUE, PROVIDER_LABEL, withAppliedHash } from './install.ts';

export interface WebhookEndpoint {
  /** https base URL of the webhook function (no trailing slash); `/<token>/mutate` and `/<token>/validate` are appended. */
  url: string;
  /** PEM of the CA that signed the webhook's serving certificate; absent = the API server's system roots. */
  caPem?: string;
}

/** Same name for both configurations (they are different kinds). */
export const WEBHOOK_CONFIGURATION_NAME = 'cluster-api.capi-fn.io';
export const WebhookNames = {
  defaulting: 'default.cluster-api.capi-fn.io',
  validating: 'validate.cluster-api.capi-fn.io',
  featureGate: 'validate.featuregates.capi-fn.io',
} as const;

/** The API server's default; a cold function start must fit inside it (serverless-anchors.md §5). */
const TIMEOUT_SECONDS = WEBHOOK_TIMEOUT_SECONDS;

/** The URL carries the caller's credential (functions/webhooks/token.ts): the API server can send no other. */
function clientConfig(ep: WebhookEndpoint, token: string, path: string): Record<string, unknown> {
  return {
    url: `${ep.url.replace(/\/+$/, '')}/${encodeURIComponent(token)}${path}`,
    ...(ep.caPem ? { caBundle: Buffer.from(ep.caPem).toString('base64') } : {}),
  };
}

function capiRules(operations: string[]): Array<Record<string, unknown>> {
  // `*` covers every resource of the two groups but no subresource, so status writes never reach the webhook.
  return [CAPI_GROUP, INFRA_GROUP].map((g) => ({
    operations,
    apiGroups: [g],
    apiVersions: ['*'],
    resources: ['*'],
    scope: 'Namespaced',
  }));
}

const common = {
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  failurePolicy: 'Fail',
  matchPolicy: 'Equivalent',
  timeoutSeconds: TIMEOUT_SECONDS,
};

const metadata = {
  name: WEBHOOK_CONFIGURATION_NAME,
  labels: { 'app.kubernetes.io/part-of': 'capi-fn', [PROVIDER_LABEL]: CORE_PROVIDER_LABEL_VALUE },
};

export function desiredMutatingConfiguration(ep: WebhookEndpoint, token: string): KubeObject {
  return withAppliedHash({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: structuredClone(metadata),
    webhooks: [
      {
        name: WebhookNames.defaulting,
        clientConfig: clientConfig(ep, token, WEBHOOK_PATHS.mutate),
        rules: capiRules(['CREATE', 'UPDATE']),
        reinvocationPolicy: 'Never',
        ...common,
      },
    ],
  });
}

export function desiredValidatingConfiguration(ep: WebhookEndpoint, token: string): KubeObject {
  return withAppliedHash({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: structuredClone(metadata),
    webhooks: [
      {
        name: WebhookNames.validating,
        clientConfig: clientConfig(ep, token, WEBHOOK_PATHS.validate),
        rules: capiRules(['CREATE', 'UPDATE', 'DELETE']),
        ...common,
      },
      {
        // The Technology Preview is irreversible: FeatureGate/cluster may not leave a *NoUpgrade feature set.
        name: WebhookNames.featureGate,
        clientConfig: clientConfig(ep, token, WEBHOOK_PATHS.validate),
        rules: [
          {
            operations: ['UPDATE', 'DELETE'],
            apiGroups: [CONFIG_GROUP],
            apiVersions: ['*'],
            resources: ['featuregates'],
            scope: 'Cluster',
          },
        ],
        ...common,
      },
    ],
  });
}

/** The token a registered configuration's URLs carry (the segment before `/validate` or `/mutate`), if any. */
export function registeredToken(config: KubeObject | undefined): string | undefined {
  const hooks = (config as { webhooks?: Array<{ clientConfig?: { url?: string } }> } | undefined)?.webhooks ?? [];
  for (const h of hooks) {
    const url = h.clientConfig?.url;
    if (!url) continue;
    let segments: string[];
    try {
      segments = new URL(url).pathname.split('/');
    } catch {
      continue;
    }
    const token = decodeURIComponent(segments.at(-2) ?? '');
    if (isWellFormedToken(token)) return token;
  }
  return undefined;
}
