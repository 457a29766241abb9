// What the installer serves, as plain data: for each provider, its kinds' CRDs, and the core kinds'. Computed
// here from the kind registry; a bundle carries the result instead (scripts/build-time-data.ts evaluates a
// `.data.ts` module's `data()` at build time), so the operator's cold start builds no zod schema.
import { toCrd } from '../../shared/api/crd.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { coreKinds, providerKinds } from '../../shared/api/registry.ts';

export interface InstallableKind {
  group: string;
  kind: string;
  plural: string;
  /** A core Cluster API kind (labelled `cluster-api`), not the provider's. */
  core: boolean;
  crd: KubeObject;
}

export interface Installable {
  core: InstallableKind[];
  providers: Record<ProviderName, InstallableKind[]>;
}

export function data(): Installable {
  const entry = (d: (typeof coreKinds)[number]): InstallableKind => ({
    group: d.group,
    kind: d.kind,
    plural: d.plural,
    core: d.provider === 'core',
    crd: toCrd(d) as unknown as KubeObject,
  });
  return {
    core: coreKinds.map(entry),
    providers: Object.fromEntries(Object.entries(providerKinds).map(([p, kinds]) => [p, kinds.map(entry)])) as Record<
      ProviderName,
      InstallableKind[]
    >,
  };
}
