// Scaling a MachineSet through its scale subresource, as `kubectl scale` does: the scale read carries the set's
// resourceVersion, so a write by a handler in between is a 409, answered by reading the scale again.
import type { KubeClient } from '../../shared/kube/client.ts';
import { isConflict } from '../../shared/kube/errors.ts';

const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };

export async function scaleMachineSet(kube: KubeClient, namespace: string, name: string, replicas: number) {
  const key = { ...MACHINESET, namespace, name };
  for (let attempt = 0; ; attempt++) {
    const scale = await kube.getScale(key);
    try {
      await kube.updateScale(key, { ...scale, spec: { replicas } });
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= 10) throw e;
    }
  }
}
