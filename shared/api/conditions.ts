// Cluster API v1beta1 conditions and metav1 conditions (used by OpenShift config objects).
import * as z from 'zod';
import { Time } from './meta.ts';

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.infer<typeof ConditionStatus>;
export const ConditionSeverity = z.enum(['Error', 'Warning', 'Info', '']);
export type ConditionSeverity = z.infer<typeof ConditionSeverity>;

/** cluster.x-k8s.io/v1beta1 Condition: severity only meaningful when status is False. */
export const Condition = z.strictObject({
  type: z.string().min(1).max(256),
  status: ConditionStatus,
  severity: ConditionSeverity.optional(),
  lastTransitionTime: Time,
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type Condition = z.infer<typeof Condition>;

/** metav1.Condition, used by v1beta2 conditions and config.openshift.io kinds. */
export const MetaCondition = z.strictObject({
  type: z.string().min(1).max(316),
  status: ConditionStatus,
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: Time,
  reason: z.string(),
  message: z.string(),
});
export type MetaCondition = z.infer<typeof MetaCondition>;
