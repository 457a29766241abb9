// Which pods a drain evicts, waits for, or leaves alone (capi-core-spec.md §3.6 step 2).
import { Labels } from '../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../shared/api/meta.ts';

export interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

export interface DrainPlan {
  evict: Pod[];
  /** Terminating pods, and pods labelled drain=wait-completed that have not completed. */
  wait: Pod[];
  skip: Array<{ pod: Pod; why: string }>;
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export function planDrain(
  pods: Pod[],
  opts: { nodeUnreachable: boolean; existingDaemonSets: Set<string>; now: Date },
): DrainPlan {
  const plan: DrainPlan = { evict: [], wait: [], skip: [] };
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? '';
    if (pod.metadata.annotations && Object.hasOwn(pod.metadata.annotations, MIRROR_ANNOTATION)) {
      plan.skip.push({ pod, why: 'mirror pod' });
      continue;
    }
    const ds = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'DaemonSet');
    if (ds && opts.existingDaemonSets.has(`${ns}/${ds.name}`)) {
      plan.skip.push({ pod, why: 'DaemonSet pod' });
      continue;
    }
    const drainLabel = pod.metadata.labels?.[Labels.drain];
    if (drainLabel === 'skip') {
      plan.skip.push({ pod, why: `label ${Labels.drain}=skip` });
      continue;
    }
    if (pod.metadata.deletionTimestamp) {
      // An unreachable kubelet never confirms the deletion: stop waiting for such pods after 1 s.
      if (opts.nodeUnreachable && opts.now.getTime() - Date.parse(pod.metadata.deletionTimestamp) > 1000) {
        plan.skip.push({ pod, why: 'terminating on an unreachable node' });
      } else {
        plan.wait.push(pod);
      }
      continue;
    }
    if (drainLabel === 'wait-completed') {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') plan.skip.push({ pod, why: 'completed' });
      else plan.wait.push(pod);
      continue;
    }
    plan.evict.push(pod);
  }
  return plan;
}

export function podKey(p: Pod): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}
