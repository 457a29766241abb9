// LocalCluster reconcile: the simulated cloud's "network" always exists; report it ready with the
// configured zones as failure domains. Objects another controller manages are left alone.
import { Annotations } from '../../../shared/api/capi/constants.ts';
import type { LocalCluster } from '../../../shared/api/providers/local.ts';
import { setCondition, trueCondition } from '../../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { clusterNameOf, findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import { clone, updateStatusIfChanged } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';

export const LOCAL_CLUSTER_MANAGER = 'capi-fn-local-provider';

export async function reconcileLocalCluster(ref: ObjectRef, ctx: HandlerContext): Promise<ReconcileResult | undefined> {
  const { kube, clock } = ctx;
  const lc = await kube.find<LocalCluster>(ref);
  if (!lc || lc.metadata.deletionTimestamp) return undefined;
  const managedBy = lc.metadata.annotations?.[Annotations.managedBy];
  if (managedBy !== undefined && managedBy !== LOCAL_CLUSTER_MANAGER) return undefined;
  // Paused means paused (DESIGN.md rule 7): the owning Cluster's spec.paused or the object's own annotation.
  const cluster = await findCluster(kube, lc.metadata.namespace!, clusterNameOf(lc));
  if (pausedState(cluster, lc).paused) return undefined;
  const status = clone(lc.status ?? {});
  status.ready = true;
  const zones = lc.spec?.failureDomains?.length ? lc.spec.failureDomains : ['local-a'];
  status.failureDomains = Object.fromEntries(zones.map((z) => [z, { controlPlane: true }]));
  status.conditions = setCondition(status.conditions, trueCondition('Ready'), clock.now());
  await updateStatusIfChanged(kube, lc, status, 'capi-local-provider');
  return undefined;
}
