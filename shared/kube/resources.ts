// apiVersion + kind → REST path. Known kinds come from static tables (built-ins, and capi-fn's CRDs as the
// kind registry defines them — a table rather than the registry itself, whose zod schemas would cost every
// function's cold start; resources.test.ts keeps the two equal); anything else is looked up once through discovery.

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
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
];

/** group, served versions, kind, plural, namespaced — exactly shared/api/registry.ts `allKinds`. */
export const customKinds: Array<[string, string[], string, string, boolean]> = [
  ['cluster.x-k8s.io', ['v1beta1'], 'Cluster', 'clusters', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineSet', 'machinesets', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'Machine', 'machines', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineHealthCheck', 'machinehealthchecks', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineDeployment', 'machinedeployments', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSCluster', 'awsclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSMachine', 'awsmachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSMachineTemplate', 'awsmachinetemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPCluster', 'gcpclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPMachine', 'gcpmachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPMachineTemplate', 'gcpmachinetemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureCluster', 'azureclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureMachine', 'azuremachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureMachineTemplate', 'azuremachinetemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureClusterIdentity', 'azureclusteridentities', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'OpenStackCluster', 'openstackclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'OpenStackMachine', 'openstackmachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'OpenStackMachineTemplate', 'openstackmachinetemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereCluster', 'vsphereclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereMachine', 'vspheremachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereMachineTemplate', 'vspheremachinetemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Cluster', 'metal3clusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Machine', 'metal3machines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3MachineTemplate', 'metal3machinetemplates', true],
  ['metal3.io', ['v1alpha1'], 'BareMetalHost', 'baremetalhosts', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalCluster', 'localclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachine', 'localmachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachineTemplate', 'localmachinetemplates', true],
  ['config.openshift.io', ['v1'], 'FeatureGate', 'featuregates', false],
  ['config.openshift.io', ['v1'], 'Infrastructure', 'infrastructures', false],
  ['config.openshift.io', ['v1'], 'ClusterOperator', 'clusteroperators', false],
  ['machine.openshift.io', ['v1beta1'], 'Machine', 'machines', true],
  ['machine.openshift.io', ['v1beta1'], 'MachineSet', 'machinesets', true],
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
