// "Paused means paused" (DESIGN.md rule 7, capi-core-spec.md §7.2): a paused object gets the v1beta2
// Paused condition and nothing else.

import { Annotations } from '../api/capi/constants.ts';
import type { MetaCondition } from '../api/conditions.ts';
import type { KubeObject } from '../api/meta.ts';
import { nowTime } from '../conditions/conditions.ts';

export interface PausedState {
  paused: boolean;
  message: string;
}

export function pausedState(cluster: { spec?: { paused?: boolean } } | undefined, obj: KubeObject): PausedState {
  const causes: string[] = [];
  if (cluster?.spec?.paused) causes.push('Cluster spec.paused is set to true');
  if (obj.metadata.annotations && Object.hasOwn(obj.metadata.annotations, Annotations.paused)) {
    causes.push(`${obj.kind ?? 'Object'} has the ${Annotations.paused} annotation`);
  }
  return { paused: causes.length > 0, message: causes.join('; ') };
}

/** The metav1 `Paused` condition list entry for `state`, keeping lastTransitionTime unless the status flips. */
export function setPausedCondition(
  conds: MetaCondition[] | undefined,
  state: PausedState,
  generation: number | undefined,
  now: Date,
): MetaCondition[] {
  const list = conds ?? [];
  const prev = list.find((c) => c.type === 'Paused');
  const status = state.paused ? 'True' : 'False';
  const next: MetaCondition = {
    type: 'Paused',
    status,
    reason: state.paused ? 'Paused' : 'NotPaused',
    message: state.message,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowTime(now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return [...list.filter((c) => c.type !== 'Paused'), next].sort((a, b) => a.type.localeCompare(b.type));
}
