// Shapes shared by several cluster.x-k8s.io/v1beta1 kinds.
import * as z from 'zod';
import { Condition, MetaCondition } from '../conditions.ts';
import { Duration, ObjectReference, Time } from '../meta.ts';

export const ObjectMetaTemplate = z.strictObject({
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const MachineAddress = z.strictObject({
  type: z.enum(['Hostname', 'ExternalIP', 'InternalIP', 'ExternalDNS', 'InternalDNS']),
  address: z.string(),
});
export type MachineAddress = z.infer<typeof MachineAddress>;

export const Bootstrap = z.strictObject({
  configRef: ObjectReference.optional(),
  dataSecretName: z.string().optional(),
});

export const MachineReadinessGate = z.strictObject({
  conditionType: z.string().min(1).max(316),
  polarity: z.enum(['Positive', 'Negative']).optional(),
});

export const MachineSpec = z.strictObject({
  clusterName: z.string().min(1),
  bootstrap: Bootstrap,
  infrastructureRef: ObjectReference,
  version: z.string().optional(),
  providerID: z.string().optional(),
  failureDomain: z.string().optional(),
  readinessGates: z.array(MachineReadinessGate).optional(),
  nodeDrainTimeout: Duration.optional(),
  nodeVolumeDetachTimeout: Duration.optional(),
  nodeDeletionTimeout: Duration.optional(),
});
export type MachineSpec = z.infer<typeof MachineSpec>;

export const MachineTemplateSpec = z.strictObject({
  metadata: ObjectMetaTemplate.optional(),
  spec: MachineSpec,
});

/** status.v1beta2 carried by v1beta1 objects during the API transition. */
export const V1Beta2Conditions = z.strictObject({ conditions: z.array(MetaCondition).optional() });

export const Conditions = z.array(Condition);

export const MachineNamingStrategy = z.strictObject({ template: z.string().optional() });

export { Time };
