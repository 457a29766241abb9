// Which listed Machines belong to a MachineSet (capi-core-spec.md §2.5, DESIGN.md rule 5).
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import { matchesSelector } from '../../shared/kube/selectors.ts';
import { controllerOf } from '../../shared/reconcile/owner-refs.ts';

export interface MachineClassification {
  /** Selected by the selector AND controlled by this MachineSet: the replica count (deleting ones included). */
  counted: Machine[];
  /** Controlled by this MachineSet regardless of labels: the ceiling that stops selector-drift runaways. */
  owned: Machine[];
  /** Selected but without any controller: to adopt. */
  orphans: Machine[];
}

export function classifyMachines(ms: MachineSet, machines: Machine[]): MachineClassification {
  const uid = ms.metadata.uid;
  const out: MachineClassification = { counted: [], owned: [], orphans: [] };
  for (const m of machines) {
    const ctrl = controllerOf(m);
    const selected = matchesSelector(m.metadata.labels, ms.spec.selector);
    if (ctrl?.uid === uid) {
      out.owned.push(m);
      if (selected) out.counted.push(m);
    } else if (!ctrl && selected && !m.metadata.deletionTimestamp) {
      out.orphans.push(m);
    }
  }
  return out;
}
