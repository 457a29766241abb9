import * as z from 'zod';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { LabelSelector } from '../meta.ts';
import { Conditions, MachineNamingStrategy, MachineTemplateSpec } from './common.ts';
import { CAPI_GROUP, DeletePolicies } from './constants.ts';

export const MachineSetSpec = z.strictObject({
  clusterName: z.string().min(1),
  replicas: z.number().int().min(0).optional(),
  minReadySeconds: z.number().int().min(0).optional(),
  deletePolicy: z.enum(DeletePolicies).optional(),
  selector: LabelSelector,
  template: MachineTemplateSpec.optional(),
  machineNamingStrategy: MachineNamingStrategy.optional(),
});

export const MachineSetStatus = z.strictObject({
  selector: z.string().optional(),
  replicas: z.number().int().optional(),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
  v1beta2: z
    .strictObject({
      conditions: z.array(MetaCondition).optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      upToDateReplicas: z.number().int().optional(),
    })
    .optional(),
});
export type MachineSetStatus = z.infer<typeof MachineSetStatus>;

export const MachineSet = kindSchema({ spec: MachineSetSpec, status: MachineSetStatus.optional() });
export type MachineSet = z.infer<typeof MachineSet>;

export const machineSetKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'MachineSet',
  plural: 'machinesets',
  singular: 'machineset',
  scope: 'Namespaced',
  shortNames: ['ms'],
  categories: ['cluster-api'],
  provider: 'core',
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.status.selector',
  },
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: MachineSet,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'Cluster' },
        {
          name: 'Desired',
          type: 'integer',
          jsonPath: '.spec.replicas',
          description: 'Total number of machines desired by this machineset',
          priority: 10,
        },
        {
          name: 'Replicas',
          type: 'integer',
          jsonPath: '.status.replicas',
          description: 'Total number of non-terminated machines targeted by this machineset',
        },
        {
          name: 'Ready',
          type: 'integer',
          jsonPath: '.status.readyReplicas',
          description: 'Total number of ready machines targeted by this machineset',
        },
        {
          name: 'Available',
          type: 'integer',
          jsonPath: '.status.availableReplicas',
          description: 'Total number of available machines (ready for at least minReadySeconds)',
        },
        AGE_COLUMN,
        {
          name: 'Version',
          type: 'string',
          jsonPath: '.spec.template.spec.version',
          description: 'Kubernetes version associated with this MachineSet',
        },
      ],
    },
  ],
};
