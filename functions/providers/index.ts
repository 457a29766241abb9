// Every provider capi-fn knows, in one list. Adding a provider is its folder and one line here (then
// `npm run gen:providers`, which collects the runtimes into runtimes.ts); the registry, the embedded
// default, the deployment generators, `doctor`, the operator and the webhooks iterate this list.
import type { ProviderName } from '../../shared/api/kind.ts';
import { awsProvider } from './aws/index.ts';
import { azureProvider } from './azure/index.ts';
import { gcpProvider } from './gcp/index.ts';
import type { ProviderModule } from './kit/module.ts';
import { localProvider } from './local/index.ts';
import { metal3Provider } from './metal3/index.ts';
import { openstackProvider } from './openstack/index.ts';
import { vsphereProvider } from './vsphere/index.ts';

export const providers: readonly ProviderModule[] = [
  localProvider,
  awsProvider,
  gcpProvider,
  azureProvider,
  openstackProvider,
  vsphereProvider,
  metal3Provider,
];

export function providerNamed(name: ProviderName): ProviderModule {
  const p = providers.find((x) => x.name === name);
  if (!p) throw new Error(`no provider "${name}"`);
  return p;
}

export function providerForPlatformType(type: string | undefined): ProviderModule | undefined {
  return providers.find((p) => p.platformType === type);
}

export function providerForCliPlatform(platform: string): ProviderModule | undefined {
  return providers.find((p) => p.cliPlatform === platform);
}

/** The provider whose infrastructure cluster kind this is. */
export function providerForInfraClusterKind(kind: string | undefined): ProviderModule | undefined {
  return providers.find((p) => p.kinds.cluster === kind);
}

/** Whether the provider reconciles its own infrastructure cluster (else the operator marks it ready, as 4.17+ does). */
export function ownsInfraClusterReadiness(p: ProviderModule): boolean {
  return p.hasRuntime;
}
