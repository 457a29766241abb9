// Step 3 of the operator (openshift-capi.md §1.4): which provider's kinds to install (step 2, the platform, is
// functions/providers/platform.ts, which the webhooks share).
import type { KindDefinition, ProviderName } from '../../shared/api/kind.ts';
import { coreKinds, providerKinds } from '../../shared/api/registry.ts';

/** The kinds the installer serves for a provider: every core kind plus the provider's own. */
export function kindsToInstall(provider: ProviderName): KindDefinition[] {
  return [...coreKinds, ...providerKinds[provider]];
}

/** Every CRD name the operator may install on any platform (what its CRD watch cares about). */
export function allInstallableCrdNames(): Set<string> {
  const defs = [...coreKinds, ...Object.values(providerKinds).flat()];
  return new Set(defs.map((d) => `${d.plural}.${d.group}`));
}

export { detectPlatform, type PlatformDecision, SUPPORTED_PLATFORMS } from '../providers/platform.ts';
