// The infrastructure-cluster step (openshift-capi.md §1.6, "InfraCluster controller", 4.17+ semantics): what the
// operator creates in openshift-cluster-api before the Cluster (each provider module plans its own platform's
// object), and which of those objects it marks ready itself: those of providers without handlers of their own.
import { Annotations } from '../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { INFRACLUSTER_MANAGED_BY, Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import { ownsInfraClusterReadiness, providerNamed } from '../providers/index.ts';
import type { InfraClusterInputs as ProviderInputs } from '../providers/kit/module.ts';

/** What the provider's plan reads, plus which platform's provider it is. */
export interface InfraClusterInputs extends ProviderInputs {
  provider: PlatformProvider;
}

export type InfraClusterPlan =
  | {
      ok: true;
      /** Objects the infrastructure cluster refers to, created first and only when absent. */
      prerequisites: KubeObject[];
      infraCluster: KubeObject;
      /** True when the operator itself marks the object ready (the managed-by annotation is set). */
      managed: boolean;
    }
  | {
      ok: false;
      /** What is missing, in words ("Infrastructure status.platformStatus.aws.region", …). */
      missing: string[];
    };

/** The objects to create for `inputs.provider` (the provider module's plan), or what is missing to create them. */
export function planInfraCluster(inputs: InfraClusterInputs): InfraClusterPlan {
  const { infrastructureName: name, provider } = inputs;
  const module = providerNamed(provider.provider);
  const planned = module.infraCluster.plan(inputs);
  const missing = [...planned.missing];
  if (!name) missing.unshift('Infrastructure status.infrastructureName (the cluster ID)');
  if (missing.length > 0) return { ok: false, missing };

  const managed = !ownsInfraClusterReadiness(module);
  const infraCluster: KubeObject = {
    apiVersion: provider.infraClusterAPIVersion,
    kind: provider.infraClusterKind,
    metadata: {
      name,
      namespace: Namespaces.clusterAPI,
      ...(managed ? { annotations: { [Annotations.managedBy]: INFRACLUSTER_MANAGED_BY } } : {}),
    },
    spec: JSON.parse(JSON.stringify(planned.spec)) as Record<string, unknown>,
  };
  return { ok: true, prerequisites: planned.prerequisites, infraCluster, managed };
}

/**
 * 4.17+ ownership: the operator marks ready only objects whose managed-by annotation carries exactly its value.
 * Absent annotation: the provider owns readiness; another value: someone else does.
 */
export function operatorOwnsReadiness(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[Annotations.managedBy] === INFRACLUSTER_MANAGED_BY;
}

/** True when the object is the operator's to mark ready and is not ready yet. */
export function needsReadyMark(obj: KubeObject): boolean {
  if (!operatorOwnsReadiness(obj) || obj.metadata.deletionTimestamp) return false;
  return (obj.status as { ready?: boolean } | undefined)?.ready !== true;
}
