import * as z from 'zod';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { IntOrString, LabelSelector, Time } from '../meta.ts';
import { Conditions, MachineNamingStrategy, MachineTemplateSpec } from './common.ts';
import { CAPI_GROUP, DeletePolicies, MachineDeploymentPhases } from './constants.ts';

export const MachineDeploymentSpec = z.strictObject({
  clusterName: z.string().min(1),
  replicas: z.number().int().min(0).optional(),
  rolloutAfter: Time.optional(),
  selector: LabelSelector,
  template: MachineTemplateSpec,
  strategy: z
    .strictObject({
      type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
      rollingUpdate: z
        .strictObject({
          maxUnavailable: IntOrString.optional(),
          maxSurge: IntOrString.optional(),
          deletePolicy: z.enum(DeletePolicies).optional(),
        })
        .optional(),
      remediation: z.strictObject({ maxInFlight: IntOrString.optional() }).optional(),
    })
    .optional(),
  minReadySeconds: z.number().int().min(0).optional(),
  revisionHistoryLimit: z.number().int().optional(),
  paused: z.boolean().optional(),
  progressDeadlineSeconds: z.number().int().optional(),
  machineNamingStrategy: MachineNamingStrategy.optional(),
});

export const MachineDeploymentStatus = z.strictObject({
  observedGeneration: z.number().int().optional(),
  selector: z.string().optional(),
  replicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  unavailableReplicas: z.number().int().optional(),
  phase: z.enum(MachineDeploymentPhases).optional(),
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

export const MachineDeployment = kindSchema({
  spec: MachineDeploymentSpec,
  status: MachineDeploymentStatus.optional(),
});
export type MachineDeployment = z.infer<typeof MachineDeployment>;

export const machineDeploymentKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'MachineDeployment',
  plural: 'machinedeployments',
  singular: 'machinedeployment',
  scope: 'Namespaced',
  shortNames: ['md'],
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
      schema: MachineDeployment,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'Cluster' },
        {
          name: 'Replicas',
          type: 'integer',
          jsonPath: '.status.replicas',
          description: 'Total number of non-terminated machines targeted by this MachineDeployment',
        },
        {
          name: 'Ready',
          type: 'integer',
          jsonPath: '.status.readyReplicas',
          description: 'Total number of ready machines targeted by this MachineDeployment',
        },
        {
          name: 'Updated',
          type: 'integer',
          jsonPath: '.status.updatedReplicas',
          description:
            'Total number of non-terminated machines targeted by this deployment that have the desired template spec',
        },
        {
          name: 'Unavailable',
          type: 'integer',
          jsonPath: '.status.unavailableReplicas',
          description: 'Total number of unavailable machines targeted by this MachineDeployment',
        },
        {
          name: 'Phase',
          type: 'string',
          jsonPath: '.status.phase',
          description: 'MachineDeployment status such as ScalingUp/ScalingDown/Running/Failed/Unknown',
        },
        AGE_COLUMN,
        {
          name: 'Version',
          type: 'string',
          jsonPath: '.spec.template.spec.version',
          description: 'Kubernetes version associated with this MachineDeployment',
        },
      ],
    },
  ],
};
