// What the embedded default seeds on start: the OpenShift objects (Infrastructure, FeatureGate, namespaces,
// user data) for the chosen platform and feature set. Pure: what the data folder holds and what the user asked
// for in, what to write out. A run without --platform/--feature-set keeps what the folder already has.
import { providerForCliPlatform, providerForPlatformType } from '../../functions/providers/index.ts';
import type { FeatureSet, PlatformType } from '../../shared/api/openshift/constants.ts';
import type { Platform, SeedFeatureSet } from './platforms.ts';

export { FEATURE_SETS, PLATFORMS, type Platform, type SeedFeatureSet } from './platforms.ts';

/** OpenShift's platform type for a `--platform` word (`baremetal` → `BareMetal`). */
export function platformTypeOf(platform: Platform): PlatformType {
  const p = providerForCliPlatform(platform);
  if (!p) throw new Error(`unknown platform ${platform}`);
  return p.platformType;
}

export function platformOfType(type: string | undefined): Platform | undefined {
  return providerForPlatformType(type)?.cliPlatform as Platform | undefined;
}

/** The cluster ID the first run chooses; the local one is the name the sample and the README use. */
export function defaultInfrastructureName(platform: Platform): string {
  return `capi-fn-${platform}-7x2kq`;
}

export interface SeededState {
  /** Infrastructure `cluster` status.platformStatus.type, if the object exists. */
  platformType?: string;
  infrastructureName?: string;
  /** FeatureGate `cluster` spec.featureSet, if the object exists ('' is the default set). */
  featureSet?: FeatureSet;
}

export interface SeedPlan {
  /** Set when the asked change cannot be made, as OpenShift would refuse it; nothing is written then. */
  refused?: string;
  platform: Platform;
  featureSet: SeedFeatureSet | Exclude<FeatureSet, 'TechPreviewNoUpgrade' | ''>;
  infrastructureName: string;
  /** Whether the OpenShift objects must be (re)written. */
  write: boolean;
  /** Why, for the log. */
  reason: string;
}

export function planSeed(state: SeededState, asked: { platform?: Platform; featureSet?: SeedFeatureSet }): SeedPlan {
  const existingPlatform = platformOfType(state.platformType);
  const platform = asked.platform ?? existingPlatform ?? 'local';
  const existingSet =
    state.featureSet === undefined ? undefined : state.featureSet === '' ? 'Default' : state.featureSet;
  const featureSet = asked.featureSet ?? existingSet ?? 'TechPreviewNoUpgrade';
  const infrastructureName = state.infrastructureName || defaultInfrastructureName(platform);
  const base = { platform, featureSet, infrastructureName };
  if (state.platformType === undefined || state.featureSet === undefined) {
    return { ...base, write: true, reason: 'first start: seeding Infrastructure and FeatureGate' };
  }
  // Checked before anything is written: the seed is several objects and a refusal half-way would leave the
  // folder on the new platform with the old feature set.
  if ((existingSet === 'TechPreviewNoUpgrade' || existingSet === 'CustomNoUpgrade') && featureSet === 'Default') {
    return {
      ...base,
      write: false,
      reason: 'feature set change refused',
      refused: `the FeatureGate's feature set is ${existingSet}, which cannot be changed back to the default set (as on OpenShift, it is irreversible)`,
    };
  }
  if (platform !== existingPlatform) {
    return {
      ...base,
      write: true,
      reason: `platform changed from ${state.platformType} to ${platformTypeOf(platform)}`,
    };
  }
  if (featureSet !== existingSet) {
    return { ...base, write: true, reason: `feature set changed from ${existingSet} to ${featureSet}` };
  }
  return { ...base, write: false, reason: 'Infrastructure and FeatureGate already as asked' };
}
