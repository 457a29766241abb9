import * as z from 'zod';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { Duration, IntOrString, LabelSelector, ObjectReference } from '../meta.ts';
import { Conditions } from './common.ts';
import { CAPI_GROUP } from './constants.ts';

export const UnhealthyCondition = z.strictObject({
  type: z.string().min(1),
  status: z.string().min(1),
  timeout: Duration,
});

export const MachineHealthCheckSpec = z.strictObject({
  clusterName: z.string().min(1),
  selector: LabelSelector,
  unhealthyConditions: z.array(UnhealthyCondition).optional(),
  maxUnhealthy: IntOrString.optional(),
  unhealthyRange: z
    .string()
    .regex(/^\[[0-9]+-[0-9]+\]$/, 'must look like "[min-max]", for example "[1-3]"')
    .optional(),
  nodeStartupTimeout: Duration.optional(),
  remediationTemplate: ObjectReference.optional(),
});

export const MachineHealthCheckStatus = z.strictObject({
  expectedMachines: z.number().int().min(0).optional(),
  currentHealthy: z.number().int().min(0).optional(),
  remediationsAllowed: z.number().int().min(0).optional(),
  observedGeneration: z.number().int().optional(),
  targets: z.array(z.string()).optional(),
  conditions: Conditions.optional(),
  v1beta2: z.strictObject({ conditions: z.array(MetaCondition).optional() }).optional(),
});

export const MachineHealthCheck = kindSchema({
  spec: MachineHealthCheckSpec,
  status: MachineHealthCheckStatus.optional(),
});
export type MachineHealthCheck = z.infer<typeof MachineHealthCheck>;

export const machineHealthCheckKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'MachineHealthCheck',
  plural: 'machinehealthchecks',
  singular: 'machinehealthcheck',
  scope: 'Namespaced',
  shortNames: ['mhc', 'mhcs'],
  categories: ['cluster-api'],
  provider: 'core',
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: MachineHealthCheck,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'Cluster' },
        {
          name: 'ExpectedMachines',
          type: 'integer',
          jsonPath: '.status.expectedMachines',
          description: 'Number of machines currently monitored',
        },
        {
          name: 'MaxUnhealthy',
          type: 'string',
          jsonPath: '.spec.maxUnhealthy',
          description: 'Maximum number of unhealthy machines allowed',
        },
        {
          name: 'CurrentHealthy',
          type: 'integer',
          jsonPath: '.status.currentHealthy',
          description: 'Current observed healthy machines',
        },
        AGE_COLUMN,
      ],
    },
  ],
};
