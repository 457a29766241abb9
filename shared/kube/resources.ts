// apiVersion + kind → REST path. Known kinds come from static tables (built-ins here, capi-fn's CRDs in
// api/kind-table.ts); anything else is looked up once through discovery.
import { customKinds } from '../api/kind-table.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const builtins: Array<[string, string, string, boolean]> = [
  // apiVersion, kind, plural, namespaced
  ['v1', 'Namespace', 'namespaces', false],
  ['v1', 'Node', 'nodes', false],
  ['v1', 'Pod', 'pods', true],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'Event', 'events', true],
  ['v1', 'PersistentVolume', 'persistentvolumes', false],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['events.k8s.io/v1', 'Event', 'events', true],
  ['coordination.k8s.io/v1', 'Lease', 'leases', true],
  ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['apps/v1', 'DaemonSet', 'daemonsets', true],
  ['apps/v1', 'ReplicaSet', 'replicasets', true],
  ['storage.k8s.io/v1', 'VolumeAttachment', 'volumeattachments', false],
  // The kubeadm bootstrap and control-plane providers' kinds (shared/api/provider-kinds.ts): not capi-fn's CRDs.
  ['bootstrap.cluster.x-k8s.io/v1beta1', 'KubeadmConfig', 'kubeadmconfigs', true],
  ['bootstrap.cluster.x-k8s.io/v1beta1', 'KubeadmConfigTemplate', 'kubeadmconfigtemplates', true],
  ['controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane', 'kubeadmcontrolplanes', true],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
];

function split(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const known = new Map<string, ResourceInfo>();
for (const [apiVersion, kind, plural, namespaced] of builtins) {
  const { group, version } = split(apiVersion);
  known.set(`${apiVersion}/${kind}`, { group, version, kind, plural, namespaced });
}
for (const [group, versions, kind, plural, namespaced] of customKinds) {
  for (const version of versions)
    known.set(`${group}/${version}/${kind}`, { group, version, kind, plural, namespaced });
}

export function knownResource(apiVersion: string, kind: string): ResourceInfo | undefined {
  return known.get(`${apiVersion}/${kind}`);
}

export function rememberResource(info: ResourceInfo): void {
  known.set(`${info.group ? `${info.group}/` : ''}${info.version}/${info.kind}`, info);
}

/** `/api/v1` or `/apis/<group>/<version>` */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

export function collectionPath(r: ResourceInfo, namespace: string | undefined): string {
  const base = groupVersionPath(r.group, r.version);
  return r.namespaced && namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`
    : `${base}/${r.plural}`;
}

export function objectPath(r: ResourceInfo, namespace: string | undefined, name: string, subresource?: string): string {
  if (r.namespaced && !namespace) throw new Error(`${r.kind} ${name}: namespace is required`);
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

export { split as splitApiVersion };
