import * as z from 'zod';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { ObjectReference } from '../meta.ts';
import { Conditions, V1Beta2Conditions } from './common.ts';
import { CAPI_GROUP, ClusterPhases } from './constants.ts';

export const APIEndpoint = z.strictObject({
  host: z.string(),
  port: z.number().int().min(0).max(65535),
});
export type APIEndpoint = z.infer<typeof APIEndpoint>;

const NetworkRanges = z.strictObject({ cidrBlocks: z.array(z.string()) });

export const FailureDomainSpec = z.strictObject({
  controlPlane: z.boolean().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
});
export type FailureDomainSpec = z.infer<typeof FailureDomainSpec>;
export const FailureDomains = z.record(z.string(), FailureDomainSpec);

export const ClusterSpec = z.strictObject({
  paused: z.boolean().optional(),
  clusterNetwork: z
    .strictObject({
      apiServerPort: z.number().int().optional(),
      services: NetworkRanges.optional(),
      pods: NetworkRanges.optional(),
      serviceDomain: z.string().optional(),
    })
    .optional(),
  controlPlaneEndpoint: APIEndpoint.optional(),
  controlPlaneRef: ObjectReference.optional(),
  infrastructureRef: ObjectReference.optional(),
  // ClusterClass topology is out of scope (no topology controller); kept verbatim, never pruned.
  topology: z
    .record(z.string(), z.unknown())
    .meta({
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'ClusterClass topology (not reconciled by capi-fn)',
    })
    .optional(),
  availabilityGates: z
    .array(z.strictObject({ conditionType: z.string(), polarity: z.enum(['Positive', 'Negative']).optional() }))
    .optional(),
});

export const ClusterStatus = z.strictObject({
  failureDomains: FailureDomains.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  phase: z.enum(ClusterPhases).optional(),
  infrastructureReady: z.boolean().optional(),
  controlPlaneReady: z.boolean().optional(),
  conditions: Conditions.optional(),
  observedGeneration: z.number().int().optional(),
  v1beta2: z
    .strictObject({
      conditions: z.array(MetaCondition).optional(),
    })
    .optional(),
});

export const Cluster = kindSchema({ spec: ClusterSpec.optional(), status: ClusterStatus.optional() });
export type Cluster = z.infer<typeof Cluster>;

export const clusterKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'Cluster',
  plural: 'clusters',
  singular: 'cluster',
  scope: 'Namespaced',
  shortNames: ['cl'],
  categories: ['cluster-api'],
  provider: 'core',
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: Cluster,
      printerColumns: [
        {
          name: 'ClusterClass',
          type: 'string',
          jsonPath: '.spec.topology.class',
          description: 'ClusterClass of this Cluster, empty if the Cluster is not using a ClusterClass',
        },
        {
          name: 'Phase',
          type: 'string',
          jsonPath: '.status.phase',
          description: 'Cluster status such as Pending/Provisioning/Provisioned/Deleting/Failed',
        },
        AGE_COLUMN,
        {
          name: 'Version',
          type: 'string',
          jsonPath: '.spec.topology.version',
          description: 'Kubernetes version associated with this Cluster',
        },
      ],
    },
  ],
};

export { V1Beta2Conditions };
