// capi-fn's kinds as plain data: what the Kubernetes client and the handlers' watch declarations need (REST
// paths, roles), without the zod schemas of registry.ts, whose construction would cost every function's cold
// start. kind-table.test.ts keeps it equal to the registry.

import type { ProviderName } from './kind.ts';

/** Who defines a kind: Cluster API core, an infrastructure provider, or OpenShift (the registry's `provider`). */
export type KindOwner = ProviderName | 'core' | 'openshift';

/**
 * group, served versions (the storage version first), kind, plural, namespaced, owner — exactly shared/api/registry.ts
 * `allKinds`.
 */
export const customKinds: Array<[string, string[], string, string, boolean, KindOwner]> = [
  ['cluster.x-k8s.io', ['v1beta1'], 'Cluster', 'clusters', true, 'core'],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineSet', 'machinesets', true, 'core'],
  ['cluster.x-k8s.io', ['v1beta1'], 'Machine', 'machines', true, 'core'],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineHealthCheck', 'machinehealthchecks', true, 'core'],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineDeployment', 'machinedeployments', true, 'core'],
  ['cluster.x-k8s.io', ['v1beta1'], 'MachineDrainRule', 'machinedrainrules', true, 'core'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSCluster', 'awsclusters', true, 'aws'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSMachine', 'awsmachines', true, 'aws'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta2', 'v1beta1'], 'AWSMachineTemplate', 'awsmachinetemplates', true, 'aws'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPCluster', 'gcpclusters', true, 'gcp'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPMachine', 'gcpmachines', true, 'gcp'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'GCPMachineTemplate', 'gcpmachinetemplates', true, 'gcp'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureCluster', 'azureclusters', true, 'azure'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureMachine', 'azuremachines', true, 'azure'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureMachineTemplate', 'azuremachinetemplates', true, 'azure'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'AzureClusterIdentity', 'azureclusteridentities', true, 'azure'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'OpenStackCluster', 'openstackclusters', true, 'openstack'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'OpenStackMachine', 'openstackmachines', true, 'openstack'],
  [
    'infrastructure.cluster.x-k8s.io',
    ['v1beta1'],
    'OpenStackMachineTemplate',
    'openstackmachinetemplates',
    true,
    'openstack',
  ],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereCluster', 'vsphereclusters', true, 'vsphere'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereMachine', 'vspheremachines', true, 'vsphere'],
  [
    'infrastructure.cluster.x-k8s.io',
    ['v1beta1'],
    'VSphereMachineTemplate',
    'vspheremachinetemplates',
    true,
    'vsphere',
  ],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereVM', 'vspherevms', true, 'vsphere'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereFailureDomain', 'vspherefailuredomains', false, 'vsphere'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'VSphereDeploymentZone', 'vspheredeploymentzones', false, 'vsphere'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Cluster', 'metal3clusters', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Machine', 'metal3machines', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3MachineTemplate', 'metal3machinetemplates', true, 'metal3'],
  ['metal3.io', ['v1alpha1'], 'BareMetalHost', 'baremetalhosts', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3DataTemplate', 'metal3datatemplates', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3DataClaim', 'metal3dataclaims', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'Metal3Data', 'metal3datas', true, 'metal3'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalCluster', 'localclusters', true, 'local'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachine', 'localmachines', true, 'local'],
  ['infrastructure.cluster.x-k8s.io', ['v1beta1'], 'LocalMachineTemplate', 'localmachinetemplates', true, 'local'],
  ['config.openshift.io', ['v1'], 'FeatureGate', 'featuregates', false, 'openshift'],
  ['config.openshift.io', ['v1'], 'Infrastructure', 'infrastructures', false, 'openshift'],
  ['config.openshift.io', ['v1'], 'ClusterOperator', 'clusteroperators', false, 'openshift'],
  ['machine.openshift.io', ['v1beta1'], 'Machine', 'machines', true, 'openshift'],
  ['machine.openshift.io', ['v1beta1'], 'MachineSet', 'machinesets', true, 'openshift'],
];

/** The storage version of one of capi-fn's kinds; undefined for a kind it does not define. */
export function storageVersionOf(group: string, kind: string): string | undefined {
  return customKinds.find(([g, , k]) => g === group && k === kind)?.[1][0];
}

/** Who defines one of capi-fn's kinds; undefined for a kind it does not define. */
export function ownerOf(group: string, kind: string): KindOwner | undefined {
  return customKinds.find(([g, , k]) => g === group && k === kind)?.[5];
}
