// Machine API kinds, machine.openshift.io/v1beta1 Machine and MachineSet (namespaced, `openshift-machine-api`):
// what the MAPI↔CAPI migration syncs with (openshift-capi.md §4, §5; openshift/api machine/v1beta1). The
// platform-specific `providerSpec.value` / `providerStatus` are kept verbatim.
import * as z from 'zod';
import { MachineAddress } from '../capi/common.ts';
import { DeletePolicies } from '../capi/constants.ts';
import { ConditionSeverity, ConditionStatus } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { LabelSelector, ObjectReference, OwnerReference, preserved, Taint, Time } from '../meta.ts';
import { MAPI_GROUP, MachineAuthorities, MachineAuthorityStatuses } from './constants.ts';

/** The subset of ObjectMeta a MAPI Machine spec copies onto the Node. */
const MachineObjectMeta = z.strictObject({
  generateName: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(OwnerReference).optional(),
});

const LifecycleHook = z.strictObject({
  name: z.string().min(3).max(256),
  /** Who added the hook, e.g. a controller name. */
  owner: z.string().min(3).max(512),
});

export const MAPICondition = z.strictObject({
  type: z.string().min(1),
  status: ConditionStatus,
  severity: ConditionSeverity.optional(),
  lastTransitionTime: Time.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const MAPIMachineSpec = z.strictObject({
  metadata: MachineObjectMeta.optional(),
  lifecycleHooks: z
    .strictObject({
      preDrain: z.array(LifecycleHook).optional(),
      preTerminate: z.array(LifecycleHook).optional(),
    })
    .optional(),
  taints: z.array(Taint).optional(),
  providerSpec: z
    .strictObject({ value: preserved('Platform-specific machine configuration').nullable().optional() })
    .optional(),
  providerID: z.string().optional(),
  authoritativeAPI: z.enum(MachineAuthorities).optional(),
});
export type MAPIMachineSpec = z.infer<typeof MAPIMachineSpec>;

const syncStatus = {
  authoritativeAPI: z.enum(MachineAuthorityStatuses).optional(),
  synchronizedAPI: z.enum(MachineAuthorities).optional(),
  synchronizedGeneration: z.number().int().min(0).optional(),
};

export const MAPIMachineStatus = z.strictObject({
  nodeRef: ObjectReference.optional(),
  lastUpdated: Time.optional(),
  errorReason: z.string().optional(),
  errorMessage: z.string().optional(),
  providerStatus: preserved('Platform-specific machine status').nullable().optional(),
  addresses: z.array(MachineAddress).optional(),
  lastOperation: z
    .strictObject({
      description: z.string().optional(),
      lastUpdated: Time.optional(),
      state: z.string().optional(),
      type: z.string().optional(),
    })
    .optional(),
  /** Provisioning, Provisioned, Running, Deleting or Failed. */
  phase: z.string().optional(),
  conditions: z.array(MAPICondition).optional(),
  ...syncStatus,
});
export type MAPIMachineStatus = z.infer<typeof MAPIMachineStatus>;

export const MAPIMachine = kindSchema({ spec: MAPIMachineSpec.optional(), status: MAPIMachineStatus.optional() });
export type MAPIMachine = z.infer<typeof MAPIMachine>;

export const MAPIMachineSetSpec = z.strictObject({
  replicas: z.number().int().min(0).optional(),
  minReadySeconds: z.number().int().min(0).optional(),
  deletePolicy: z.enum(DeletePolicies).optional(),
  selector: LabelSelector,
  template: z
    .strictObject({
      metadata: MachineObjectMeta.optional(),
      spec: MAPIMachineSpec.optional(),
    })
    .optional(),
  /** Authority of the set itself; `template.spec.authoritativeAPI` sets that of the Machines it creates. */
  authoritativeAPI: z.enum(MachineAuthorities).optional(),
});

export const MAPIMachineSetStatus = z.strictObject({
  replicas: z.number().int().min(0),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  /** String form of `spec.selector`, the scale subresource's label selector (`selectorpath=.status.labelSelector`). */
  labelSelector: z.string().optional(),
  errorReason: z.string().optional(),
  errorMessage: z.string().optional(),
  conditions: z.array(MAPICondition).optional(),
  ...syncStatus,
});
export type MAPIMachineSetStatus = z.infer<typeof MAPIMachineSetStatus>;

export const MAPIMachineSet = kindSchema({
  spec: MAPIMachineSetSpec.optional(),
  status: MAPIMachineSetStatus.optional(),
});
export type MAPIMachineSet = z.infer<typeof MAPIMachineSet>;

export const mapiMachineKind: KindDefinition = {
  group: MAPI_GROUP,
  kind: 'Machine',
  plural: 'machines',
  singular: 'machine',
  scope: 'Namespaced',
  provider: 'openshift',
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: MAPIMachine,
      printerColumns: [
        { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Phase of machine' },
        {
          name: 'Type',
          type: 'string',
          jsonPath: ".metadata.labels['machine\\.openshift\\.io/instance-type']",
          description: 'Type of instance',
        },
        {
          name: 'Region',
          type: 'string',
          jsonPath: ".metadata.labels['machine\\.openshift\\.io/region']",
          description: 'Region associated with machine',
        },
        {
          name: 'Zone',
          type: 'string',
          jsonPath: ".metadata.labels['machine\\.openshift\\.io/zone']",
          description: 'Zone associated with machine',
        },
        { ...AGE_COLUMN, description: 'Machine age' },
        {
          name: 'Node',
          type: 'string',
          jsonPath: '.status.nodeRef.name',
          description: 'Node associated with machine',
          priority: 1,
        },
        {
          name: 'ProviderID',
          type: 'string',
          jsonPath: '.spec.providerID',
          description: 'Provider ID of machine created in cloud provider',
          priority: 1,
        },
        {
          name: 'State',
          type: 'string',
          jsonPath: ".metadata.annotations['machine\\.openshift\\.io/instance-state']",
          description: 'State of instance',
          priority: 1,
        },
      ],
    },
  ],
};

export const mapiMachineSetKind: KindDefinition = {
  group: MAPI_GROUP,
  kind: 'MachineSet',
  plural: 'machinesets',
  singular: 'machineset',
  scope: 'Namespaced',
  provider: 'openshift',
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.status.labelSelector',
  },
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: MAPIMachineSet,
      printerColumns: [
        { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired Replicas' },
        { name: 'Current', type: 'integer', jsonPath: '.status.replicas', description: 'Current Replicas' },
        { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready Replicas' },
        {
          name: 'Available',
          type: 'integer',
          jsonPath: '.status.availableReplicas',
          description: 'Observed number of available replicas',
        },
        { ...AGE_COLUMN, description: 'Machineset age' },
      ],
    },
  ],
};
