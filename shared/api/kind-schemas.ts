// One kind's definition (its zod schemas) loaded when it is first needed, for the admission webhook: building every
// kind's schemas at import took most of the webhook's cold start (registry.ts builds all 40), while one review needs
// one kind. Each kind's module is an `import()`, so the function bundle keeps it in a chunk of its own
// (scripts/build.ts) that is parsed and run only when a request for that kind arrives.
import type { KindDefinition } from './kind.ts';
import { customKinds, type KindOwner, ownerOf } from './kind-table.ts';

type Loader = () => Promise<KindDefinition | KindDefinition[]>;

/** Core and OpenShift kinds by kind name (each in a module of its own); a provider's kinds share one module. */
const CORE: Record<string, Loader> = {
  Cluster: async () => (await import('./capi/cluster.ts')).clusterKind,
  MachineSet: async () => (await import('./capi/machineset.ts')).machineSetKind,
  Machine: async () => (await import('./capi/machine.ts')).machineKind,
  MachineHealthCheck: async () => (await import('./capi/machinehealthcheck.ts')).machineHealthCheckKind,
  MachineDeployment: async () => (await import('./capi/machinedeployment.ts')).machineDeploymentKind,
  MachineDrainRule: async () => (await import('./capi/machinedrainrule.ts')).machineDrainRuleKind,
};
const OPENSHIFT: Record<string, Loader> = {
  FeatureGate: async () => (await import('./openshift/featuregate.ts')).featureGateKind,
  Infrastructure: async () => (await import('./openshift/infrastructure.ts')).infrastructureKind,
  ClusterOperator: async () => (await import('./openshift/clusteroperator.ts')).clusterOperatorKind,
  Machine: async () => (await import('./openshift/machine.ts')).mapiMachineKind,
  MachineSet: async () => (await import('./openshift/machine.ts')).mapiMachineSetKind,
};
const PROVIDERS: Record<Exclude<KindOwner, 'core' | 'openshift'>, Loader> = {
  aws: async () => (await import('./providers/aws.ts')).awsKinds,
  gcp: async () => (await import('./providers/gcp.ts')).gcpKinds,
  azure: async () => (await import('./providers/azure.ts')).azureKinds,
  openstack: async () => (await import('./providers/openstack.ts')).openstackKinds,
  vsphere: async () => (await import('./providers/vsphere.ts')).vsphereKinds,
  metal3: async () => {
    const [hosts, data] = await Promise.all([import('./providers/metal3.ts'), import('./providers/metal3-data.ts')]);
    return [...hosts.metal3Kinds, ...data.metal3DataKinds];
  },
  local: async () => (await import('./providers/local.ts')).localKinds,
};

function loaderOf(owner: KindOwner, kind: string): Loader | undefined {
  if (owner === 'core') return CORE[kind];
  if (owner === 'openshift') return OPENSHIFT[kind];
  return PROVIDERS[owner];
}

const key = (group: string, kind: string) => `${group}/${kind}`;
const loaded = new Map<string, KindDefinition>();

/** Loads one of capi-fn's kinds (once per process); undefined for a kind it does not define. */
export async function loadKind(group: string, kind: string): Promise<KindDefinition | undefined> {
  const k = key(group, kind);
  const cached = loaded.get(k);
  if (cached) return cached;
  const owner = ownerOf(group, kind);
  if (!owner) return undefined;
  const load = loaderOf(owner, kind);
  if (!load) throw new Error(`${k} is in the kind table as ${owner}'s but shared/api/kind-schemas.ts cannot load it`);
  const defs = [await load()].flat();
  for (const d of defs) loaded.set(key(d.group, d.kind), d);
  const def = loaded.get(k);
  if (!def) throw new Error(`${k} is in the kind table as ${owner}'s but its module does not define it`);
  return def;
}

/**
 * A kind loaded by `loadKind`, for code that must stay synchronous (the admission review); undefined for a kind
 * capi-fn does not define. Asking for one of capi-fn's kinds before loading it is a bug, and throws: a review must
 * never pass an object whose schema it silently skipped.
 */
export function loadedKind(group: string, kind: string): KindDefinition | undefined {
  const def = loaded.get(key(group, kind));
  if (def) return def;
  if (ownerOf(group, kind)) throw new Error(`${key(group, kind)} was not loaded: await loadKind() first`);
  return undefined;
}

/** Every kind, loaded: for tests that call the synchronous review directly. */
export async function loadAllKinds(): Promise<void> {
  await Promise.all(customKinds.map(([group, , kind]) => loadKind(group, kind)));
}
