// config.openshift.io/v1 FeatureGate (cluster-scoped singleton `cluster`): the feature set an admin picks and,
// per release version, the gates that are on and off (openshift-capi.md §1.2; openshift/api config/v1 types_feature.go).
import * as z from 'zod';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { CONFIG_GROUP, FeatureSets } from './constants.ts';

const FeatureGateAttributes = z.strictObject({ name: z.string().min(1) });

export const FeatureGateSpec = z.strictObject({
  /** `""` is the default set; moving to a *NoUpgrade set is irreversible and blocks minor updates. */
  featureSet: z.enum(FeatureSets).optional(),
  /** Only honoured with `featureSet: CustomNoUpgrade`. */
  customNoUpgrade: z
    .strictObject({
      enabled: z.array(z.string()).optional(),
      disabled: z.array(z.string()).optional(),
    })
    .nullable()
    .optional(),
});
export type FeatureGateSpec = z.infer<typeof FeatureGateSpec>;

export const FeatureGateDetails = z.strictObject({
  /** The release version these gates apply to; the operator reads the entry matching its RELEASE_VERSION. */
  version: z.string(),
  enabled: z.array(FeatureGateAttributes),
  disabled: z.array(FeatureGateAttributes),
});
export type FeatureGateDetails = z.infer<typeof FeatureGateDetails>;

export const FeatureGateStatus = z.strictObject({
  conditions: z.array(MetaCondition).optional(),
  featureGates: z.array(FeatureGateDetails).optional(),
});

export const FeatureGate = kindSchema({ spec: FeatureGateSpec, status: FeatureGateStatus.optional() });
export type FeatureGate = z.infer<typeof FeatureGate>;

export const featureGateKind: KindDefinition = {
  group: CONFIG_GROUP,
  kind: 'FeatureGate',
  plural: 'featuregates',
  singular: 'featuregate',
  scope: 'Cluster',
  provider: 'openshift',
  versions: [{ name: 'v1', storage: true, schema: FeatureGate, printerColumns: [AGE_COLUMN] }],
};
