// What the webhook needs to know about the cluster, read from Infrastructure/cluster. Cached for a moment so a
// burst of admissions costs one read, and re-read after that so a changed platform or cluster ID applies without
// a restart. A denial is always re-checked against a fresh read (http.ts), so the cache never refuses anything.
import {
  CLUSTER_SINGLETON_NAME,
  CONFIG_API_VERSION,
  PLATFORM_PROVIDERS,
  type PlatformType,
} from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { detectPlatform } from '../providers/platform.ts';
import type { ReviewContext } from './review.ts';
import type { OpenShiftFacts } from './validate-openshift.ts';

/** The facts for `infra` (undefined when there is no Infrastructure: not an OpenShift cluster). */
export function factsFrom(infra: Pick<Infrastructure, 'status'> | undefined): OpenShiftFacts | undefined {
  if (!infra) return undefined;
  const platform = detectPlatform(infra);
  const platformType = infra.status?.platformStatus?.type ?? '';
  return {
    infrastructureName: infra.status?.infrastructureName ?? '',
    platformType,
    provider: platform.supported ? PLATFORM_PROVIDERS[platformType as PlatformType] : undefined,
  };
}

export function infrastructureContext(kube: KubeClient, opts: { ttlMs?: number; now?: () => number } = {}) {
  const ttl = opts.ttlMs ?? 1000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; value: Promise<ReviewContext> } | undefined;
  return (o: { fresh?: boolean } = {}): Promise<ReviewContext> => {
    if (!o.fresh && cached && now() - cached.at < ttl) return cached.value;
    const value = kube
      .find<Infrastructure>({ apiVersion: CONFIG_API_VERSION, kind: 'Infrastructure', name: CLUSTER_SINGLETON_NAME })
      .then((infra) => ({ openshift: factsFrom(infra) }));
    cached = { at: now(), value };
    // A failed read is not cached: the next admission tries again.
    value.catch(() => {
      if (cached?.value === value) cached = undefined;
    });
    return value;
  };
}
