// Step 1 of the operator (openshift-capi.md §1.2, §7.2): is the Cluster API turned on? In OpenShift the CVO
// only applies the operator's manifests under the right feature set; capi-fn has no CVO, so the handler decides
// on every invocation (no process restart when the FeatureGate changes).

import { FeatureGates, FeatureSet } from '../../shared/api/openshift/constants.ts';
import type { FeatureGate } from '../../shared/api/openshift/featuregate.ts';

export interface GateDecision {
  enabled: boolean;
  /** `spec.featureSet` as read ('' = the default set, also when the FeatureGate is missing). */
  featureSet: string;
  /** Whether the feature set forbids minor-version updates (every *NoUpgrade set does). */
  noUpgrade: boolean;
  /** Why, in words the ClusterOperator can show. */
  message: string;
}

const NO_UPGRADE_SETS = new Set<string>([
  FeatureSet.TechPreviewNoUpgrade,
  FeatureSet.DevPreviewNoUpgrade,
  FeatureSet.CustomNoUpgrade,
]);

const HOW_TO_ENABLE =
  `set FeatureGate/cluster spec.featureSet to ${FeatureSet.TechPreviewNoUpgrade} (irreversible), or to ` +
  `${FeatureSet.CustomNoUpgrade} with ${FeatureGates.ClusterAPIMachineManagement} in spec.customNoUpgrade.enabled`;

/**
 * TechPreviewNoUpgrade turns the Cluster API on; CustomNoUpgrade does when the umbrella gate is listed as enabled
 * (and not also disabled). Every other set — the default `""`, DevPreviewNoUpgrade, OKD — leaves it off: 4.19–4.21
 * manifests carry `release.openshift.io/feature-set: CustomNoUpgrade,TechPreviewNoUpgrade` only.
 */
export function decideGate(fg: Pick<FeatureGate, 'spec'> | undefined): GateDecision {
  const featureSet = fg?.spec?.featureSet ?? '';
  const noUpgrade = NO_UPGRADE_SETS.has(featureSet);
  const shown = featureSet === '' ? '"" (the default feature set)' : featureSet;
  if (!fg) {
    return {
      enabled: false,
      featureSet,
      noUpgrade,
      message: `Cluster API is not enabled: FeatureGate/cluster does not exist; to enable it, create it and ${HOW_TO_ENABLE}`,
    };
  }
  if (featureSet === FeatureSet.TechPreviewNoUpgrade) {
    return { enabled: true, featureSet, noUpgrade, message: `enabled by the ${featureSet} feature set` };
  }
  if (featureSet === FeatureSet.CustomNoUpgrade) {
    const gate = FeatureGates.ClusterAPIMachineManagement;
    const on = fg.spec?.customNoUpgrade?.enabled?.includes(gate) ?? false;
    const off = fg.spec?.customNoUpgrade?.disabled?.includes(gate) ?? false;
    if (on && !off) {
      return { enabled: true, featureSet, noUpgrade, message: `enabled by ${gate} in the ${featureSet} feature set` };
    }
    return {
      enabled: false,
      featureSet,
      noUpgrade,
      message:
        `Cluster API is not enabled: the ${featureSet} feature set does not enable ${gate}` +
        `${off ? ' (it is listed in spec.customNoUpgrade.disabled)' : ''}; ` +
        `add ${gate} to FeatureGate/cluster spec.customNoUpgrade.enabled`,
    };
  }
  return {
    enabled: false,
    featureSet,
    noUpgrade,
    message: `Cluster API is not enabled: FeatureGate/cluster spec.featureSet is ${shown}; to enable it, ${HOW_TO_ENABLE}`,
  };
}
