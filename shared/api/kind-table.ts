// capi-fn's kinds as plain data: what the Kubernetes client and the handlers' watch declarations need (REST
// paths, roles), without the zod schemas of registry.ts, whose construction would cost every function's cold
// start. kind-table.test.ts keeps it equal to the registry.

/** group, served versions (the storage version first), kind, plural, namespaced — exactly shared/api/registry.ts `allKinds`. */
export const customKinds: Array<[string, string[], string, string, boolean]> = [
  ['cluster.x-k8s.io', ['v1beta1'], 'Cluster', 'clusters', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineSet', 'machinesets', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'Machine', 'machines', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineHealthCheck', 'machinehealthchecks', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineDeployment', 'machinedeployments', true],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineDrainRule', 'machinedrainrules', true],
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
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereVM', 'vspherevms', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereFailureDomain', 'vspherefailuredomains', false],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereDeploymentZone', 'vspheredeploymentzones', false],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Cluster', 'metal3clusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Machine', 'metal3machines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3MachineTemplate', 'metal3machinetemplates', true],
  ['metal3.io', ['v1alpha1'], 'BareMetalHost', 'baremetalhosts', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3DataTemplate', 'metal3datatemplates', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3DataClaim', 'metal3dataclaims', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Data', 'metal3datas', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalCluster', 'localclusters', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachine', 'localmachines', true],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachineTemplate', 'localmachinetemplates', true],
  ['config.openshift.io', ['v1'], 'FeatureGate', 'featuregates', false],
  ['config.openshift.io', ['v1'], 'Infrastructure', 'infrastructures', false],
  ['config.openshift.io', ['v1'], 'ClusterOperator', 'clusteroperators', false],
  ['machine.openshift.io', ['v1beta1'], 'Machine', 'machines', true],
  ['machine.openshift.io', ['v1beta1'], 'MachineSet', 'machinesets', true],
];

/** The storage version of one of capi-fn's kinds; undefined for a kind it does not define. */
export function storageVersionOf(group: string, kind: string): string | undefined {
  return customKinds.find(([g, , k]) => g === group && k === kind)?.[1][0];
}
