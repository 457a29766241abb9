// Kubernetes metadata shapes shared by every kind (apimachinery meta/v1 and core/v1 references).
import * as z from 'zod';

export const Time = z.string().meta({ format: 'date-time' });

export const OwnerReference = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

export const ManagedFieldsEntry = z.strictObject({
  manager: z.string().optional(),
  operation: z.string().optional(),
  apiVersion: z.string().optional(),
  time: Time.optional(),
  fieldsType: z.string().optional(),
  fieldsV1: z.record(z.string(), z.unknown()).meta({ 'x-kubernetes-preserve-unknown-fields': true }).optional(),
  subresource: z.string().optional(),
});

/** Every ObjectMeta field, so a full object read back from an API server validates as-is. */
export const ObjectMeta = z.strictObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: Time.optional(),
  deletionTimestamp: Time.optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(OwnerReference).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(ManagedFieldsEntry).optional(),
  selfLink: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** core/v1 ObjectReference, the v1beta1 shape of infrastructureRef, configRef, nodeRef. */
export const ObjectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
export type ObjectReference = z.infer<typeof ObjectReference>;

export const LocalObjectReference = z.strictObject({ name: z.string().optional() });

/** core/v1 SecretReference: a Secret by name, in the given namespace (or the referrer's). */
export const SecretReference = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});
export type SecretReference = z.infer<typeof SecretReference>;

/** core/v1 TypedLocalObjectReference. */
export const TypedLocalObjectReference = z.strictObject({
  apiGroup: z.string().optional(),
  kind: z.string(),
  name: z.string(),
});

/** core/v1 Taint. */
export const Taint = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: Time.optional(),
});
export type Taint = z.infer<typeof Taint>;

export const LabelSelectorRequirement = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});
export const LabelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(LabelSelectorRequirement).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

/** A Go metav1.Duration string such as "10s", "1m30s", "0s". */
export const Duration = z
  .string()
  .regex(/^(?:(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+|0)$/, 'must be a duration such as "10s", "5m" or "1h30m"');

export const IntOrString = z.union([z.number().int(), z.string()]).meta({ 'x-kubernetes-int-or-string': true });

/** A resource.Quantity ("2", "500m", "4Gi", or a bare integer), serialized like upstream as int-or-string. */
export const Quantity = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(
        /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/,
        'must be a quantity such as "2", "500m" or "4Gi"',
      ),
  ])
  .meta({ 'x-kubernetes-int-or-string': true });

/** A free-form JSON object kept verbatim (runtime.RawExtension and similar); never pruned. */
export function preserved(description?: string) {
  return z
    .record(z.string(), z.unknown())
    .meta({ 'x-kubernetes-preserve-unknown-fields': true, ...(description ? { description } : {}) });
}

/** Generic shape any Kubernetes object has; used where the kind is not known statically. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}
