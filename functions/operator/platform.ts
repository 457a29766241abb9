// Step 3 of the operator (openshift-capi.md §1.4): which provider's kinds to install (step 2, the platform, is
// functions/providers/platform.ts, which the webhooks share).
import type { ProviderName } from '../../shared/api/kind.ts';
import { data, type Installable, type InstallableKind } from './installable.data.ts';

let installable: Installable | undefined;
/** The installable kinds, computed (or parsed, in a bundle) once; callers get copies. */
function known(): Installable {
  installable ??= data();
  return installable;
}

/** The kinds the installer serves for a provider, each with its CRD: every core kind plus the provider's own. */
export function kindsToInstall(provider: ProviderName): InstallableKind[] {
  const d = known();
  return structuredClone([...d.core, ...d.providers[provider]]);
}

/** The same kinds by name only (group, plural, core), without copying their CRDs: for the status's related objects. */
export function kindNamesToInstall(provider: ProviderName): Array<Pick<InstallableKind, 'group' | 'plural' | 'core'>> {
  const d = known();
  return [...d.core, ...d.providers[provider]].map(({ group, plural, core }) => ({ group, plural, core }));
}

/** Every CRD name the operator may install on any platform (what its CRD watch cares about). */
export function allInstallableCrdNames(): Set<string> {
  const d = known();
  return new Set([...d.core, ...Object.values(d.providers).flat()].map((k) => `${k.plural}.${k.group}`));
}

export { detectPlatform, type PlatformDecision, SUPPORTED_PLATFORMS } from '../providers/platform.ts';
