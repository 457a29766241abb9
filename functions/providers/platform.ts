// Step 2 of the operator (openshift-capi.md §1.3): which platform the cluster runs on, read from the
// Infrastructure on every invocation, so a changed platform or cluster ID is picked up without a restart (the
// real operator caches it for the life of the process). The webhooks ask the same question.
import { PLATFORM_PROVIDERS, type PlatformProvider, type PlatformType } from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import { providers } from './index.ts';

/**
 * The platforms the operator manages in capi-fn: the six OpenShift 4.19–4.22 documents, plus `Local` (capi-fn's
 * embedded default). PowerVS has an operator entry upstream but no capi-fn provider, so it is unsupported here.
 */
export const SUPPORTED_PLATFORMS: readonly PlatformType[] = providers.map((p) => p.platformType);

export type PlatformDecision =
  | {
      supported: true;
      type: PlatformType;
      provider: PlatformProvider;
      /** The cluster ID: name of the Cluster, the infrastructure cluster and the kubeconfig Secret ('' if unset). */
      infrastructureName: string;
    }
  | {
      supported: false;
      /** '' when the Infrastructure or its platformStatus is missing. */
      type: string;
      /** Why, for logs and the ClusterOperator. */
      reason: string;
    };

export function detectPlatform(infra: Pick<Infrastructure, 'status'> | undefined): PlatformDecision {
  const type = infra?.status?.platformStatus?.type ?? '';
  if (!infra) return { supported: false, type, reason: 'Infrastructure/cluster does not exist' };
  if (!type) return { supported: false, type, reason: 'Infrastructure/cluster has no status.platformStatus.type' };
  if (!SUPPORTED_PLATFORMS.includes(type as PlatformType)) {
    return { supported: false, type, reason: `platform ${type} has no Cluster API provider` };
  }
  // 4.18+: Azure Stack Hub is not supported by CAPZ as OpenShift ships it.
  if (type === 'Azure' && infra.status?.platformStatus?.azure?.cloudName === 'AzureStackCloud') {
    return { supported: false, type, reason: 'Azure Stack Hub (cloudName AzureStackCloud) is not supported' };
  }
  const provider = PLATFORM_PROVIDERS[type as PlatformType];
  if (!provider) return { supported: false, type, reason: `platform ${type} has no provider entry` };
  // An empty cluster ID still installs the CRDs; the steps that name objects after it report it as degraded.
  return {
    supported: true,
    type: type as PlatformType,
    provider,
    infrastructureName: infra.status?.infrastructureName ?? '',
  };
}
