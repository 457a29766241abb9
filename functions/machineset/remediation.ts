// The MachineSet's half of health checking (capi-core-spec.md §5.4, upstream's reconcileUnhealthyMachines): a
// Machine a MachineHealthCheck marked `HealthCheckSucceeded=False` and `OwnerRemediated=False` is deleted —
// marked `OwnerRemediated=True` first, so a retry after the delete is not a second remediation — and the
// replica sync that follows creates its replacement; a Machine that recovered before that loses the stale
// `OwnerRemediated=False`. Candidates with the remediate-machine annotation go first, then the newest.
// (No MachineDeployment controller runs yet, so its revision check and maxInFlight do not apply.)
import { Annotations, CAPI_API_VERSION, ConditionTypes } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import { deleteCondition, isFalse, isTrue, setCondition, trueCondition } from '../../shared/conditions/conditions.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent } from '../../shared/kube/events.ts';
import { clone, isDeleting, updateStatusIfChanged } from '../../shared/reconcile/writes.ts';

export interface RemediationPlan {
  /** Recovered: drop their stale OwnerRemediated=False. */
  recovered: Machine[];
  /** To delete, in this order. */
  remediate: Machine[];
}

/** Pure: what the MachineSet does about its Machines' health-check conditions. */
export function planRemediation(owned: Machine[]): RemediationPlan {
  const live = owned.filter((m) => !isDeleting(m));
  const hc = (m: Machine) => m.status?.conditions;
  const recovered = live.filter(
    (m) => isTrue(hc(m), ConditionTypes.healthCheckSucceeded) && isFalse(hc(m), ConditionTypes.ownerRemediated),
  );
  const remediate = live
    .filter(
      (m) => isFalse(hc(m), ConditionTypes.healthCheckSucceeded) && isFalse(hc(m), ConditionTypes.ownerRemediated),
    )
    .sort((a, b) => {
      const fa = Annotations.remediateMachine in (a.metadata.annotations ?? {}) ? 0 : 1;
      const fb = Annotations.remediateMachine in (b.metadata.annotations ?? {}) ? 0 : 1;
      if (fa !== fb) return fa - fb;
      const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
      const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
      return tb - ta || a.metadata.name!.localeCompare(b.metadata.name!);
    });
  return { recovered, remediate };
}

/** Carries the plan out; returns the names of the Machines it deleted. */
export async function remediateUnhealthy(
  kube: KubeClient,
  ms: MachineSet,
  owned: Machine[],
  now: Date,
  fieldManager: string,
): Promise<Set<string>> {
  const plan = planRemediation(owned);
  const deleted = new Set<string>();
  const skipConflict = (e: unknown) => {
    if (!isConflict(e) && !isNotFound(e)) throw e;
  };
  for (const m of plan.recovered) {
    const status = clone(m.status ?? {});
    status.conditions = deleteCondition(status.conditions, ConditionTypes.ownerRemediated);
    await updateStatusIfChanged(kube, m, status, fieldManager).catch(skipConflict);
  }
  for (const m of plan.remediate) {
    const status = clone(m.status ?? {});
    status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.ownerRemediated), now);
    try {
      // Re-entrancy: marked before the delete, so a crash between the two cannot count it twice.
      await updateStatusIfChanged(kube, m, status, fieldManager);
      await kube.delete({
        apiVersion: CAPI_API_VERSION,
        kind: 'Machine',
        namespace: m.metadata.namespace!,
        name: m.metadata.name!,
      });
    } catch (e) {
      skipConflict(e);
      continue;
    }
    deleted.add(m.metadata.name!);
    await recordEvent(
      kube,
      {
        regarding: {
          apiVersion: ms.apiVersion ?? CAPI_API_VERSION,
          kind: 'MachineSet',
          namespace: ms.metadata.namespace!,
          name: ms.metadata.name!,
          uid: ms.metadata.uid,
        },
        type: 'Normal',
        reason: 'MachineRemediated',
        message: `Deleted unhealthy Machine ${m.metadata.name} (${m.status?.conditions?.find((c) => c.type === ConditionTypes.healthCheckSucceeded)?.reason ?? 'unhealthy'}); a replacement follows`,
        component: 'capi-fn-machineset',
      },
      now,
    );
  }
  return deleted;
}
