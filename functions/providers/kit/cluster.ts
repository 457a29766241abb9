// The infrastructure-cluster reconcile every provider runs, in OpenShift's externally managed mode: nothing in
// the cloud belongs to it (adopted, never created), so there is no finalizer and no deletion work. Objects
// another controller manages are left alone; the control-plane endpoint OpenShift wrote stays; the
// provider's read-only checks become conditions, failure domains and `status.ready`.
import { Annotations } from '../../../shared/api/capi/constants.ts';
import { falseCondition, setCondition, summary, trueCondition } from '../../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { clusterNameOf, findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import { clone, isDeleting, updateIfChanged, updateStatusIfChanged } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type { ClusterAssessment, InfraClusterDefinition, InfraClusterObject, KitTimings } from './definition.ts';

type Status = NonNullable<InfraClusterObject['status']>;

/** Status from the assessment: one condition per check, the Ready summary, failure domains, readiness. */
export function clusterStatus(current: Status | undefined, checks: string[], a: ClusterAssessment, now: Date): Status {
  const s = clone(current ?? {});
  let conds = (s.conditions ?? []).filter((c) => !checks.includes(c.type) || a.checks[c.type] !== undefined);
  for (const type of checks) {
    const r = a.checks[type];
    if (!r) continue;
    conds = setCondition(conds, r.ok ? trueCondition(type) : falseCondition(type, r.reason, 'Error', r.message), now);
  }
  conds = setCondition(conds, checks.length ? summary(conds, checks) : trueCondition('Ready'), now);
  s.conditions = conds;
  s.ready =
    checks.every((type) => a.checks[type]?.ok !== false) && (checks.length === 0 || a.checks[checks[0]!]?.ok === true);
  if (a.failureDomains) s.failureDomains = a.failureDomains;
  if (a.status) Object.assign(s, a.status);
  return s;
}

function endpointSet(e: { host?: string; port?: number } | undefined): e is { host: string; port: number } {
  return Boolean(e?.host) && Boolean(e?.port);
}

export async function reconcileInfraCluster<Client, IC extends InfraClusterObject>(
  def: InfraClusterDefinition<Client, IC>,
  ref: ObjectRef,
  ctx: HandlerContext<Client>,
  t: KitTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  let ic = await kube.find<IC>(ref);
  if (!ic || isDeleting(ic)) return undefined;
  const managedBy = ic.metadata.annotations?.[Annotations.managedBy];
  if (managedBy !== undefined && managedBy !== def.manager) return undefined;

  const cluster = await findCluster(kube, ic.metadata.namespace!, clusterNameOf(ic));
  // Paused means paused (DESIGN.md rule 7): the owning Cluster's spec.paused or the object's own annotation.
  if (pausedState(cluster, ic).paused) return undefined;

  // The endpoint OpenShift wrote stays as it is; only a missing one is taken from the Cluster.
  const clusterEndpoint = cluster?.spec?.controlPlaneEndpoint;
  if (!endpointSet(ic.spec?.controlPlaneEndpoint) && endpointSet(clusterEndpoint)) {
    const want = clone(ic);
    want.spec = { ...(want.spec ?? {}), controlPlaneEndpoint: { ...clusterEndpoint } };
    ic = await updateIfChanged(kube, ic, want, def.fieldManager);
  }

  const client = def.connect ? await def.connect(ctx.cloud, { kube, ic }) : ctx.cloud;
  const a = await def.assess(ic, client, log, { kube });
  const status = clusterStatus(ic.status, def.checks, a, clock.now());
  if (!status.ready) {
    const failed = Object.entries(a.checks).find(([, r]) => r && !r.ok);
    log.info(
      { check: failed?.[0], reason: failed && !failed[1]!.ok ? failed[1]!.reason : undefined },
      `${ic.kind} not ready`,
    );
  }
  await updateStatusIfChanged(kube, ic, status, def.fieldManager);
  return status.ready ? undefined : { requeueAfter: t.clusterRetryMs };
}
