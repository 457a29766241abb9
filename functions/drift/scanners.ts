// The deployed drift check's orphan scan: one scanner per Cluster of every deployed provider that has one, over
// that provider's default client (its cloud credentials from the function's own identity), and the options a
// deployment sets in the function's environment.

import type { KubeClient } from '../../shared/kube/client.ts';
import { parseDuration } from '../../shared/reconcile/duration.ts';
import { providers } from '../providers/index.ts';
import type { ProviderRuntime } from '../providers/kit/module.ts';
import { type OrphanScanner, scannersFor } from '../providers/kit/orphans.ts';
import { runtimeLoaders } from '../providers/runtime-loaders.ts';

export async function deployedOrphanScanners(
  kube: KubeClient,
  load: typeof runtimeLoaders = runtimeLoaders,
): Promise<OrphanScanner[]> {
  const out: OrphanScanner[] = [];
  for (const p of providers) {
    const loader = load[p.name];
    if (!loader) continue;
    // A provider's runtime (its port, and its cloud SDK on first call) loads only when a Cluster uses it: the drift
    // check carries every provider, a cluster deploys one or two.
    let runtime: ProviderRuntime | undefined;
    const found = await scannersFor(kube, p.kinds.cluster, async (c) => {
      runtime ??= await loader();
      return runtime.deploy && runtime.orphans ? runtime.orphans(c) : undefined;
    });
    out.push(...found);
  }
  return out;
}

export interface OrphanOptions {
  reapOrphans: boolean;
  orphanGraceMs: number;
}

/**
 * `CAPI_FN_ORPHANS`: `report` (default) or `delete`; `CAPI_FN_ORPHAN_GRACE`: how old an orphan must be before it
 * counts (a duration, default 10m). A wrong value is an error naming the variable, not a silent default.
 */
export function orphanOptionsFromEnv(env: NodeJS.ProcessEnv): OrphanOptions {
  const mode = env.CAPI_FN_ORPHANS || 'report';
  if (mode !== 'report' && mode !== 'delete') {
    throw new Error(`CAPI_FN_ORPHANS=${mode}: must be "report" (log, count and record an Event) or "delete"`);
  }
  const graceText = env.CAPI_FN_ORPHAN_GRACE || '10m';
  const grace = parseDuration(graceText);
  if (grace === undefined || grace < 0) {
    throw new Error(`CAPI_FN_ORPHAN_GRACE=${graceText}: must be a duration such as 10m or 1h`);
  }
  return { reapOrphans: mode === 'delete', orphanGraceMs: grace };
}
