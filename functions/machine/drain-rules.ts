// MachineDrainRules (upstream v1.9+): which rules apply to a Machine, and what the first matching rule (by name)
// says for a pod — Drain with an order, Skip, or WaitCompleted. Pure: rules, labels in, behaviour out.
import type { MachineDrainRule } from '../../shared/api/capi/machinedrainrule.ts';
import { matchesSelector } from '../../shared/kube/selectors.ts';
import type { Pod } from './drain-plan.ts';

export interface PodDrainBehavior {
  behavior: 'Drain' | 'Skip' | 'WaitCompleted';
  order: number;
  rule: string;
}

/** The rules of the Machine's namespace that select it (an empty `machines` selects every Machine), by name. */
export function rulesForMachine(
  rules: MachineDrainRule[],
  machineLabels: Record<string, string> | undefined,
  clusterLabels: Record<string, string> | undefined,
): MachineDrainRule[] {
  return rules
    .filter((r) => {
      const machines = r.spec.machines ?? [];
      return (
        machines.length === 0 ||
        machines.some(
          (s) =>
            (!s.selector || matchesSelector(machineLabels, s.selector)) &&
            (!s.clusterSelector || matchesSelector(clusterLabels, s.clusterSelector)),
        )
      );
    })
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
}

/**
 * What the first rule (alphabetically) that selects the pod says, or undefined when none does. The namespace's
 * labels include `kubernetes.io/metadata.name`, as the API server sets it on every namespace.
 */
export function podDrainBehavior(
  pod: Pod,
  rules: MachineDrainRule[],
  namespaceLabels: (namespace: string) => Record<string, string>,
): PodDrainBehavior | undefined {
  const ns = pod.metadata.namespace ?? '';
  for (const r of rules) {
    const pods = r.spec.pods ?? [];
    const applies =
      pods.length === 0 ||
      pods.some(
        (s) =>
          (!s.selector || matchesSelector(pod.metadata.labels, s.selector)) &&
          (!s.namespaceSelector || matchesSelector(namespaceLabels(ns), s.namespaceSelector)),
      );
    if (applies) return { behavior: r.spec.drain.behavior, order: r.spec.drain.order ?? 0, rule: r.metadata.name! };
  }
  return undefined;
}
