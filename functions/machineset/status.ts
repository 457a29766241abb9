// MachineSet status from its Machines and their Nodes (capi-core-spec.md §2.2), as a pure function.
import { ConditionTypes, Reasons } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet, MachineSetStatus } from '../../shared/api/capi/machineset.ts';
import type { MetaCondition } from '../../shared/api/conditions.ts';
import {
  aggregate,
  type ConditionInput,
  deleteCondition,
  falseCondition,
  nowTime,
  setCondition,
  summary,
  trueCondition,
} from '../../shared/conditions/conditions.ts';
import { selectorToString } from '../../shared/kube/selectors.ts';

/**
 * Since when the Machine's Node has been Ready, or undefined when it is not: upstream's noderefutil.IsNodeReady
 * and IsNodeAvailable read the Node's Ready condition; the Machine handler mirrors it, with the Node's own
 * transition time, into the Machine's v1beta2 `NodeReady` condition, so the MachineSet reads no Node. A Node
 * that is Ready under memory or disk pressure counts as ready, as upstream counts it.
 */
export function nodeReadySince(m: Machine): Date | undefined {
  if (!m.status?.nodeRef) return undefined;
  const ready = m.status.v1beta2?.conditions?.find((x) => x.type === 'NodeReady');
  if (ready) return ready.status === 'True' ? new Date(ready.lastTransitionTime) : undefined;
  // Written before the Machine handler mirrored NodeReady: its NodeHealthy until the next pass adds it.
  const c = m.status.conditions?.find((x) => x.type === ConditionTypes.nodeHealthy);
  if (c?.status !== 'True') return undefined;
  return new Date(c.lastTransitionTime);
}

export interface StatusInput {
  ms: MachineSet;
  counted: Machine[];
  /** MachinesCreated verdict of this reconcile (undefined keeps the current one). */
  machinesCreated?: ConditionInput;
  now: Date;
}

export interface StatusResult {
  status: MachineSetStatus;
  /** When availability will change by the clock alone (minReadySeconds). */
  requeueAfterMs?: number;
}

export function computeStatus(i: StatusInput): StatusResult {
  const { ms, counted, now } = i;
  const templateLabels = ms.spec.template?.metadata?.labels ?? {};
  const minReady = (ms.spec.minReadySeconds ?? 0) * 1000;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailable: number | undefined;
  for (const m of counted) {
    const labels = m.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    const since = nodeReadySince(m);
    if (!since) continue;
    ready++;
    const availableAt = since.getTime() + minReady;
    if (availableAt <= now.getTime()) available++;
    else nextAvailable = Math.min(nextAvailable ?? Number.POSITIVE_INFINITY, availableAt - now.getTime());
  }
  const desired = ms.spec.replicas ?? 1;
  const cur = ms.status ?? {};
  let conds = cur.conditions;
  if (i.machinesCreated) {
    conds = setCondition(conds, i.machinesCreated, now);
  } else if (!conds?.some((c) => c.type === ConditionTypes.machinesCreated)) {
    conds = setCondition(conds, trueCondition(ConditionTypes.machinesCreated), now);
  }
  const replicas = counted.length;
  if (replicas === desired && ready === replicas)
    conds = setCondition(conds, trueCondition(ConditionTypes.resized), now);
  else if (replicas < desired)
    conds = setCondition(
      conds,
      falseCondition(
        ConditionTypes.resized,
        Reasons.scalingUp,
        'Warning',
        `Scaling up MachineSet to ${desired} replicas (actual ${replicas})`,
      ),
      now,
    );
  else if (replicas > desired)
    conds = setCondition(
      conds,
      falseCondition(
        ConditionTypes.resized,
        Reasons.scalingDown,
        'Warning',
        `Scaling down MachineSet to ${desired} replicas (actual ${replicas})`,
      ),
      now,
    );
  const machinesReady = aggregate(
    ConditionTypes.machinesReady,
    counted.map((m) => ({ kind: 'Machine', name: m.metadata.name!, conditions: m.status?.conditions })),
  );
  conds = machinesReady
    ? setCondition(conds, machinesReady, now)
    : deleteCondition(conds, ConditionTypes.machinesReady);
  conds = setCondition(
    conds,
    summary(conds, [ConditionTypes.machinesCreated, ConditionTypes.resized, ConditionTypes.machinesReady]),
    now,
  );

  const status: MachineSetStatus = {
    ...cur,
    selector: selectorToString(ms.spec.selector),
    replicas,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: ms.metadata.generation,
    conditions: conds,
  };
  return nextAvailable === undefined ? { status } : { status, requeueAfterMs: nextAvailable + 1000 };
}

/** upstream's v1beta2 `Deleting` condition of a MachineSet (setDeletingCondition). */
export function deletingCondition(ms: MachineSet, owned: Machine[], now: Date): MetaCondition {
  const prev = ms.status?.v1beta2?.conditions?.find((c) => c.type === 'Deleting');
  const deleting = Boolean(ms.metadata.deletionTimestamp);
  const status = deleting ? 'True' : 'False';
  const n = owned.length;
  const message = !deleting ? '' : n === 0 ? 'Deletion completed' : `Deleting ${n} Machine${n === 1 ? '' : 's'}`;
  return {
    type: 'Deleting',
    status,
    reason: deleting ? 'Deleting' : 'NotDeleting',
    message,
    lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : nowTime(now),
    ...(ms.metadata.generation !== undefined ? { observedGeneration: ms.metadata.generation } : {}),
  };
}
