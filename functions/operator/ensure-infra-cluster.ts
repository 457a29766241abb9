// Infrastructure-cluster step I/O: gather the platform's inputs (Infrastructure, MAPI providerSpec, credential
// Secrets), create what is missing, and mark the operator-managed object ready.
import type { KubeObject } from '../../shared/api/meta.ts';
import {
  MAPI_API_VERSION,
  MAPILabels,
  Namespaces,
  type PlatformProvider,
} from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import { providerNamed } from '../providers/index.ts';
import { secretKey } from '../providers/kit/plan.ts';
import { parseEndpoint } from './core-cluster.ts';
import { needsReadyMark, planInfraCluster } from './infra-cluster.ts';
import { createIfAbsent, decodeSecretData, updateStatusFresh } from './io.ts';
import type { StepOutcome } from './status.ts';
import type { SecretObject } from './user-data.ts';

/** A CRD applied a moment ago is usually served within this. */
export const SERVED_SOON_MS = 2_000;

interface WithProviderSpec extends KubeObject {
  spec?: {
    providerSpec?: { value?: Record<string, unknown> | null };
    template?: { spec?: { providerSpec?: { value?: Record<string, unknown> | null } } };
  };
}

async function listOrEmpty(kube: KubeClient, kind: string, labelSelector?: string): Promise<WithProviderSpec[]> {
  try {
    const list = await kube.listAll<WithProviderSpec>(
      { apiVersion: MAPI_API_VERSION, kind },
      { namespace: Namespaces.machineAPI, ...(labelSelector ? { labelSelector } : {}) },
    );
    return list.items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  } catch (e) {
    if (isNotFound(e)) return []; // the MAPI CRDs are not served
    throw e;
  }
}

/**
 * The providerSpec of a control-plane MAPI Machine, else of the first MAPI MachineSet, preferring those the
 * installer labelled with this cluster ID. The real operator reads the active ControlPlaneMachineSet first; capi-fn
 * serves no such kind, and the control-plane Machines carry the same spec.
 */
export async function mapiProviderSpec(
  kube: KubeClient,
  infrastructureName: string,
): Promise<Record<string, unknown> | undefined> {
  const ours = `${MAPILabels.clusterAPICluster}=${infrastructureName}`;
  const master = `${MAPILabels.clusterAPIMachineRole}=master`;
  for (const selector of [`${ours},${master}`, master]) {
    for (const m of await listOrEmpty(kube, 'Machine', selector))
      if (m.spec?.providerSpec?.value) return m.spec.providerSpec.value;
  }
  for (const selector of [ours, undefined]) {
    for (const ms of await listOrEmpty(kube, 'MachineSet', selector)) {
      const v = ms.spec?.template?.spec?.providerSpec?.value;
      if (v) return v;
    }
  }
  return undefined;
}

async function secretData(kube: KubeClient, namespace: string, name: string) {
  return decodeSecretData(await kube.find<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name }));
}

export interface InfraClusterResult {
  outcome: StepOutcome;
  /** The infrastructure cluster as stored, when it exists. */
  infraCluster: KubeObject | undefined;
}

export async function ensureInfraCluster(
  kube: KubeClient,
  provider: PlatformProvider,
  infrastructure: Infrastructure,
  infrastructureName: string,
): Promise<InfraClusterResult> {
  const where = `${provider.infraClusterKind} ${Namespaces.clusterAPI}/${infrastructureName || '<cluster ID>'}`;
  let current = infrastructureName
    ? await kube.find({
        apiVersion: provider.infraClusterAPIVersion,
        kind: provider.infraClusterKind,
        namespace: Namespaces.clusterAPI,
        name: infrastructureName,
      })
    : undefined;
  if (!current) {
    const needs = providerNamed(provider.provider).infraCluster;
    const secrets: Record<string, Record<string, string> | undefined> = {};
    for (const ref of needs.secrets ?? []) secrets[secretKey(ref)] = await secretData(kube, ref.namespace, ref.name);
    const plan = planInfraCluster({
      infrastructureName,
      provider,
      infrastructure,
      endpoint: parseEndpoint(infrastructure.status?.apiServerInternalURI),
      mapiProviderSpec: needs.needsProviderSpec ? await mapiProviderSpec(kube, infrastructureName) : undefined,
      secrets,
    });
    if (!plan.ok) {
      // As the real controller: without its inputs it waits (for them, or for a hand-made object).
      return {
        outcome: {
          state: 'pending',
          message: `cannot create ${where} yet: missing ${plan.missing.join(', ')}; provide them or create the ${provider.infraClusterKind} yourself`,
        },
        infraCluster: undefined,
      };
    }
    try {
      for (const p of plan.prerequisites) await createIfAbsent(kube, p);
      current = (await createIfAbsent(kube, plan.infraCluster)).obj;
    } catch (e) {
      // A CRD applied a moment ago may not be served yet.
      if (!isNotFound(e)) throw e;
      return {
        outcome: {
          state: 'pending',
          message: `waiting for the ${provider.infraClusterKind} resource to be served`,
          retryAfterMs: SERVED_SOON_MS,
        },
        infraCluster: undefined,
      };
    }
  }
  if (needsReadyMark(current)) {
    current =
      (await updateStatusFresh<KubeObject>(
        kube,
        {
          apiVersion: current.apiVersion!,
          kind: current.kind!,
          namespace: Namespaces.clusterAPI,
          name: current.metadata.name!,
        },
        (c) => (needsReadyMark(c) ? { ...((c.status as Record<string, unknown>) ?? {}), ready: true } : undefined),
      )) ?? current;
  }
  return {
    outcome: { state: 'done', message: `${where} exists` },
    infraCluster: current,
  };
}
