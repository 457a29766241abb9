// Installer step I/O: the operator's namespace, the CRDs and the webhook configurations, each applied with
// server-side apply only when its intent changed or drifted (a converged invocation makes no write).
import type { KubeObject } from '../../shared/api/meta.ts';
import { Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { WEBHOOK_TOKEN_SECRET } from '../webhooks/token.ts';
import { desiredCrds, needsApply, OPERATOR_FIELD_MANAGER } from './install.ts';
import { createIfAbsent } from './io.ts';
import type { StepOutcome } from './status.ts';
import { syncWebhookToken } from './sync-webhook-token.ts';
import {
  desiredMutatingConfiguration,
  desiredValidatingConfiguration,
  registeredToken,
  WEBHOOK_CONFIGURATION_NAME,
  type WebhookEndpoint,
} from './webhook-config.ts';

const CRD_TYPE = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

async function applyIfNeeded(kube: KubeClient, current: KubeObject | undefined, desired: KubeObject): Promise<boolean> {
  if (!needsApply(current, desired)) return false;
  await kube.apply(desired, { fieldManager: OPERATOR_FIELD_MANAGER, force: true });
  return true;
}

export interface InstallerResult {
  outcome: StepOutcome;
  /** Names of what this invocation (re-)applied, for logs and tests. */
  applied: string[];
  /** When the webhook token must be looked at again (its propagation window or next rotation). */
  requeueAfter?: number;
}

export async function applyInstaller(
  kube: KubeClient,
  provider: PlatformProvider,
  webhook: WebhookEndpoint | undefined,
  now: Date = new Date(),
): Promise<InstallerResult> {
  const applied: string[] = [];
  // The CVO creates the namespace in OpenShift; capi-fn has no CVO, so the operator makes sure it is there.
  const ns = await createIfAbsent(kube, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: Namespaces.clusterAPI },
  });
  if (ns.created) applied.push(`Namespace/${Namespaces.clusterAPI}`);

  // One LIST instead of a GET per CRD; a CRD installed by someone else (no label) is simply re-applied.
  const existing = await kube.listAll(CRD_TYPE, { labelSelector: 'app.kubernetes.io/part-of=capi-fn' });
  const byName = new Map(existing.items.map((c) => [c.metadata.name!, c]));
  const crds = desiredCrds(provider);
  for (const crd of crds) {
    if (await applyIfNeeded(kube, byName.get(crd.metadata.name!), crd)) applied.push(`CRD/${crd.metadata.name}`);
  }

  if (!webhook) {
    return {
      outcome: {
        state: 'done',
        message: `${crds.length} CRDs installed; no admission webhooks registered (the operator was given no webhook URL)`,
      },
      applied,
    };
  }
  const kinds = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
  const current = await Promise.all(
    kinds.map((kind) =>
      kube.find({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name: WEBHOOK_CONFIGURATION_NAME }),
    ),
  );
  const token = await syncWebhookToken(kube, now, current.map(registeredToken).find(Boolean));
  if (token.wrote) applied.push(`Secret/${WEBHOOK_TOKEN_SECRET.namespace}/${WEBHOOK_TOKEN_SECRET.name}`);
  for (const desired of [
    desiredMutatingConfiguration(webhook, token.register),
    desiredValidatingConfiguration(webhook, token.register),
  ]) {
    if (await applyIfNeeded(kube, current[kinds.indexOf(desired.kind!)], desired))
      applied.push(`${desired.kind}/${desired.metadata.name}`);
  }
  return {
    outcome: {
      state: 'done',
      message: `${crds.length} CRDs installed; admission webhooks registered at ${webhook.url}`,
    },
    applied,
    requeueAfter: token.requeueAfterMs,
  };
}
