// Installer step I/O: the operator's namespace, the CRDs and the webhook configurations, each applied with
// server-side apply only when its intent changed or drifted (a converged invocation makes no write).
import type { KubeObject } from '../../shared/api/meta.ts';
import { Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { desiredCrds, needsApply, OPERATOR_FIELD_MANAGER } from './install.ts';
import { createIfAbsent } from './io.ts';
import type { StepOutcome } from './status.ts';
import {
  desiredMutatingConfiguration,
  desiredValidatingConfiguration,
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
}

export async function applyInstaller(
  kube: KubeClient,
  provider: PlatformProvider,
  webhook: WebhookEndpoint | undefined,
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
  for (const desired of [desiredMutatingConfiguration(webhook), desiredValidatingConfiguration(webhook)]) {
    const current = await kube.find({
      apiVersion: desired.apiVersion!,
      kind: desired.kind!,
      name: desired.metadata.name!,
    });
    if (await applyIfNeeded(kube, current, desired)) applied.push(`${desired.kind}/${desired.metadata.name}`);
  }
  return {
    outcome: {
      state: 'done',
      message: `${crds.length} CRDs installed; admission webhooks registered at ${webhook.url}`,
    },
    applied,
  };
}
