// config.openshift.io/v1 ClusterOperator (cluster-scoped; the operator reports through `cluster-api`,
// openshift-capi.md §1.7; openshift/api config/v1 types_cluster_operator.go).
import * as z from 'zod';
import { ConditionStatus } from '../conditions.ts';
import { type KindDefinition, kindSchema } from '../kind.ts';
import { preserved, Time } from '../meta.ts';
import { CONFIG_GROUP } from './constants.ts';

/** ClusterOperator conditions: reason and message are optional, unlike metav1.Condition. */
export const ClusterOperatorStatusCondition = z.strictObject({
  type: z.string().min(1),
  status: ConditionStatus,
  lastTransitionTime: Time,
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type ClusterOperatorStatusCondition = z.infer<typeof ClusterOperatorStatusCondition>;

export const OperandVersion = z.strictObject({ name: z.string(), version: z.string() });

export const RelatedObject = z.strictObject({
  group: z.string(),
  resource: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
});
export type RelatedObject = z.infer<typeof RelatedObject>;

export const ClusterOperatorStatus = z.strictObject({
  conditions: z.array(ClusterOperatorStatusCondition).optional(),
  versions: z.array(OperandVersion).optional(),
  relatedObjects: z.array(RelatedObject).optional(),
  /** Operator-specific data (runtime.RawExtension); kept verbatim. */
  extension: preserved('Operator-specific status data').nullable().optional(),
});
export type ClusterOperatorStatus = z.infer<typeof ClusterOperatorStatus>;

export const ClusterOperator = kindSchema({
  spec: z.strictObject({}),
  status: ClusterOperatorStatus.optional(),
});
export type ClusterOperator = z.infer<typeof ClusterOperator>;

export const clusterOperatorKind: KindDefinition = {
  group: CONFIG_GROUP,
  kind: 'ClusterOperator',
  plural: 'clusteroperators',
  singular: 'clusteroperator',
  scope: 'Cluster',
  shortNames: ['co'],
  provider: 'openshift',
  versions: [
    {
      name: 'v1',
      storage: true,
      schema: ClusterOperator,
      printerColumns: [
        {
          name: 'Version',
          type: 'string',
          jsonPath: '.status.versions[?(@.name=="operator")].version',
          description: 'The version the operator is at.',
        },
        {
          name: 'Available',
          type: 'string',
          jsonPath: '.status.conditions[?(@.type=="Available")].status',
          description: 'Whether the operator is running and stable.',
        },
        {
          name: 'Progressing',
          type: 'string',
          jsonPath: '.status.conditions[?(@.type=="Progressing")].status',
          description: 'Whether the operator is processing changes.',
        },
        {
          name: 'Degraded',
          type: 'string',
          jsonPath: '.status.conditions[?(@.type=="Degraded")].status',
          description: 'Whether the operator is degraded.',
        },
        {
          name: 'Since',
          type: 'date',
          jsonPath: '.status.conditions[?(@.type=="Available")].lastTransitionTime',
          description: "The time the operator's Available status last changed.",
        },
      ],
    },
  ],
};
