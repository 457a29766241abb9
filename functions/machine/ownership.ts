// Which referenced objects a Machine may take over (capi-core-spec.md §3.7). Upstream's SetControllerReference
// refuses an object another controller holds; here the Machine reports it in a condition and leaves the object
// alone — never takes controller ownership, never deletes it — so two Machines pointing at one infrastructure
// machine cannot delete each other's instance.
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject, OwnerReference } from '../../shared/api/meta.ts';
import { controllerOf } from '../../shared/reconcile/owner-refs.ts';

/**
 * The controller an infrastructure machine or bootstrap config already has that is not this Machine (a MachineSet's
 * reference is not one: the Machine takes over from its MachineSet).
 */
export function controlledElsewhere(obj: KubeObject, m: Machine): OwnerReference | undefined {
  const c = controllerOf(obj);
  if (!c || c.uid === m.metadata.uid) return undefined;
  if (c.kind === 'MachineSet' && c.apiVersion.startsWith('cluster.x-k8s.io/')) return undefined;
  return c;
}

export function takenMessage(
  key: { kind: string; namespace: string; name: string },
  by: OwnerReference,
  field: string,
): string {
  return `${key.kind} ${key.namespace}/${key.name} is controlled by ${by.kind} ${by.name} (uid ${by.uid}); a Machine does not take over an object another controls: point ${field} at this Machine's own`;
}
