// In-place propagation to existing Machines and their infrastructure machines (in-place.ts decides, this writes).
// Machines are already listed by the reconcile; infrastructure machines are listed (one LIST by the set-name label)
// only when the MachineSet's spec changed since its status last observed it, or a Machine needed a change — the
// infrastructure machines carry nothing else the MachineSet propagates.
import { Labels } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { mustFormatLabelValue } from '../../shared/reconcile/names.ts';
import { isOwnedByUid } from '../../shared/reconcile/owner-refs.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import { clonedKind, type MachineTemplate } from './desired-machine.ts';
import { type MachineSync, planInfraSync, planMachineSync } from './in-place.ts';

export interface SyncReport {
  machines: number;
  infraMachines: number;
}

/** A write that lost a race (changed or deleted meanwhile) is left to the next reconcile, which will see it. */
function raced(e: unknown): boolean {
  return isConflict(e) || isNotFound(e);
}

async function perform(kube: KubeClient, o: KubeObject, plan: MachineSync, manager: string): Promise<boolean> {
  if (plan.action === 'none') return false;
  const key = { apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata.namespace!, name: o.metadata.name! };
  try {
    if (plan.action === 'patch-spec') {
      await kube.patch(key, plan.patch, {
        type: 'merge',
        resourceVersion: o.metadata.resourceVersion!,
        fieldManager: manager,
      });
      return true;
    }
    if (plan.adopt) {
      await kube.patch(
        key,
        { metadata: { managedFields: plan.adopt } },
        {
          type: 'merge',
          resourceVersion: o.metadata.resourceVersion!,
          fieldManager: manager,
        },
      );
    }
    await kube.patch(key, plan.body, { type: 'apply', force: true, fieldManager: manager });
    return true;
  } catch (e) {
    if (raced(e)) return false;
    throw e;
  }
}

export async function syncMachines(
  kube: KubeClient,
  ms: MachineSet,
  owned: Machine[],
  template: MachineTemplate | undefined,
  manager: string,
  log: Logger,
): Promise<SyncReport> {
  const report: SyncReport = { machines: 0, infraMachines: 0 };
  for (const m of owned) if (await perform(kube, m, planMachineSync(ms, m, manager), manager)) report.machines++;
  const specChanged = ms.metadata.generation !== ms.status?.observedGeneration;
  if (template && (specChanged || report.machines > 0)) {
    const infraRef = ms.spec.template?.spec?.infrastructureRef;
    const listed = await kube.listAll<KubeObject>(
      { apiVersion: template.apiVersion!, kind: clonedKind(infraRef?.kind ?? template.kind!) },
      {
        namespace: ms.metadata.namespace!,
        labelSelector: `${Labels.setName}=${mustFormatLabelValue(ms.metadata.name!)}`,
      },
    );
    const names = new Set(owned.map((m) => m.metadata.name));
    for (const infra of listed.items) {
      // Only the clones of this set's Machines, as the MachineSet made them.
      if (!names.has(infra.metadata.name) || infra.metadata.deletionTimestamp) continue;
      if (!isOwnedByUid(infra, ms.metadata.uid) && !owned.some((m) => isOwnedByUid(infra, m.metadata.uid))) continue;
      if (await perform(kube, infra, planInfraSync(ms, template, infra, manager), manager)) report.infraMachines++;
    }
  }
  if (report.machines || report.infraMachines) log.info(report, 'propagated the template in place');
  return report;
}
