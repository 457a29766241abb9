// In-place propagation to existing Machines and their clones (in-place.ts decides, this writes). Machines are
// already listed by the reconcile; infrastructure machines and bootstrap configs are listed (one LIST each by the
// set-name label) only when the MachineSet's spec changed since its status last observed it, or a Machine needed a
// change — the clones carry nothing else the MachineSet propagates.
import { Labels } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { mustFormatLabelValue } from '../../shared/reconcile/names.ts';
import { isOwnedByUid } from '../../shared/reconcile/owner-refs.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import { clonedKind, type Templates } from './desired-machine.ts';
import { type MachineSync, planCloneSync, planMachineSync } from './in-place.ts';

export interface SyncReport {
  machines: number;
  /** Infrastructure machines and bootstrap configs. */
  clones: number;
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
  templates: Templates | undefined,
  manager: string,
  log: Logger,
): Promise<SyncReport> {
  const report: SyncReport = { machines: 0, clones: 0 };
  for (const m of owned) if (await perform(kube, m, planMachineSync(ms, m, manager), manager)) report.machines++;
  const specChanged = ms.metadata.generation !== ms.status?.observedGeneration;
  if (templates && (specChanged || report.machines > 0)) {
    const names = new Set(owned.map((m) => m.metadata.name));
    for (const template of [templates.infra, templates.bootstrap]) {
      if (!template) continue;
      const listed = await kube.listAll<KubeObject>(
        { apiVersion: template.apiVersion!, kind: clonedKind(template.kind!) },
        {
          namespace: ms.metadata.namespace!,
          labelSelector: `${Labels.setName}=${mustFormatLabelValue(ms.metadata.name!)}`,
        },
      );
      for (const clone of listed.items) {
        // Only the clones of this set's Machines, as the MachineSet made them.
        if (!names.has(clone.metadata.name) || clone.metadata.deletionTimestamp) continue;
        if (!isOwnedByUid(clone, ms.metadata.uid) && !owned.some((m) => isOwnedByUid(clone, m.metadata.uid))) continue;
        if (await perform(kube, clone, planCloneSync(ms, template, clone, manager), manager)) report.clones++;
      }
    }
  }
  if (report.machines || report.clones) log.info(report, 'propagated the template in place');
  return report;
}
