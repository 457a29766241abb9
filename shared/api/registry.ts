// Every kind capi-fn serves, in one list: the CRD generator, the schema validator, the operator's
// installer and the Kubernetes client's kind→resource mapping all read it.
import { clusterKind } from './capi/cluster.ts';
import { machineKind } from './capi/machine.ts';
import { machineDeploymentKind } from './capi/machinedeployment.ts';
import { machineDrainRuleKind } from './capi/machinedrainrule.ts';
import { machineHealthCheckKind } from './capi/machinehealthcheck.ts';
import { machineSetKind } from './capi/machineset.ts';
import { apiVersionOf, type KindDefinition, type ProviderName } from './kind.ts';
import { clusterOperatorKind } from './openshift/clusteroperator.ts';
import { featureGateKind } from './openshift/featuregate.ts';
import { infrastructureKind } from './openshift/infrastructure.ts';
import { mapiMachineKind, mapiMachineSetKind } from './openshift/machine.ts';
import { awsKinds } from './providers/aws.ts';
import { azureKinds } from './providers/azure.ts';
import { gcpKinds } from './providers/gcp.ts';
import { localKinds } from './providers/local.ts';
import { metal3Kinds } from './providers/metal3.ts';
import { metal3DataKinds } from './providers/metal3-data.ts';
import { openstackKinds } from './providers/openstack.ts';
import { vsphereKinds } from './providers/vsphere.ts';
import { type ValidationResult, validateKindObject } from './validate.ts';

export const coreKinds: KindDefinition[] = [
  clusterKind,
  machineSetKind,
  machineKind,
  machineHealthCheckKind,
  machineDeploymentKind,
  machineDrainRuleKind,
];

export const providerKinds: Record<ProviderName, KindDefinition[]> = {
  aws: awsKinds,
  gcp: gcpKinds,
  azure: azureKinds,
  openstack: openstackKinds,
  vsphere: vsphereKinds,
  metal3: [...metal3Kinds, ...metal3DataKinds],
  local: localKinds,
};

/** config.openshift.io/v1 (cluster-scoped) and machine.openshift.io/v1beta1 kinds the operator reads and writes. */
export const openshiftKinds: KindDefinition[] = [
  featureGateKind,
  infrastructureKind,
  clusterOperatorKind,
  mapiMachineKind,
  mapiMachineSetKind,
];

export const allKinds: KindDefinition[] = [...coreKinds, ...Object.values(providerKinds).flat(), ...openshiftKinds];

const byGroupKind = new Map(allKinds.map((k) => [`${k.group}/${k.kind}`, k]));

export function findKind(group: string, kind: string): KindDefinition | undefined {
  return byGroupKind.get(`${group}/${kind}`);
}

/** Looks a kind up by `apiVersion` + `kind`, only if that version is served. */
export function findKindVersion(apiVersion: string, kind: string) {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const def = findKind(group, kind);
  const v = def?.versions.find((x) => x.name === version && x.served !== false);
  return def && v ? { def, version: v } : undefined;
}

/** Validates a whole object by its apiVersion and kind against the registry. */
export function validateObject(obj: unknown): ValidationResult {
  return validateKindObject(obj, findKind);
}

export type { KindDefinition };
export { apiVersionOf };
