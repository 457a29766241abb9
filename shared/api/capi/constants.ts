// Cluster API v1beta1 well-known labels, annotations, finalizers, phases and condition types
// (../shared/reference/capi-core-spec.md §7.1, §1.3, §3.3, §2.2).

export const CAPI_GROUP = 'cluster.x-k8s.io';
export const CAPI_VERSION = 'v1beta1';
export const CAPI_API_VERSION = `${CAPI_GROUP}/${CAPI_VERSION}`;
export const INFRA_GROUP = 'infrastructure.cluster.x-k8s.io';
export const BOOTSTRAP_GROUP = 'bootstrap.cluster.x-k8s.io';
export const CONTROL_PLANE_GROUP = 'controlplane.cluster.x-k8s.io';

export const Labels = {
  clusterName: 'cluster.x-k8s.io/cluster-name',
  controlPlane: 'cluster.x-k8s.io/control-plane',
  setName: 'cluster.x-k8s.io/set-name',
  deploymentName: 'cluster.x-k8s.io/deployment-name',
  poolName: 'cluster.x-k8s.io/pool-name',
  controlPlaneName: 'cluster.x-k8s.io/control-plane-name',
  machineTemplateHash: 'machine-template-hash',
  interruptible: 'cluster.x-k8s.io/interruptible',
  watchFilter: 'cluster.x-k8s.io/watch-filter',
  drain: 'cluster.x-k8s.io/drain',
} as const;

export const Annotations = {
  paused: 'cluster.x-k8s.io/paused',
  deleteMachine: 'cluster.x-k8s.io/delete-machine',
  remediateMachine: 'cluster.x-k8s.io/remediate-machine',
  skipRemediation: 'cluster.x-k8s.io/skip-remediation',
  disableMachineCreate: 'cluster.x-k8s.io/disable-machine-create',
  clonedFromName: 'cluster.x-k8s.io/cloned-from-name',
  clonedFromGroupKind: 'cluster.x-k8s.io/cloned-from-groupkind',
  managedBy: 'cluster.x-k8s.io/managed-by',
  excludeNodeDraining: 'machine.cluster.x-k8s.io/exclude-node-draining',
  excludeWaitForNodeVolumeDetach: 'machine.cluster.x-k8s.io/exclude-wait-for-node-volume-detach',
  preDrainHookPrefix: 'pre-drain.delete.hook.machine.cluster.x-k8s.io',
  preTerminateHookPrefix: 'pre-terminate.delete.hook.machine.cluster.x-k8s.io',
  autoscalerMinSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size',
  autoscalerMaxSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size',
  skipPreflightChecks: 'machineset.cluster.x-k8s.io/skip-preflight-checks',
  certificatesExpiry: 'machine.cluster.x-k8s.io/certificates-expiry',
  // Node annotations written by the Machine controller.
  nodeClusterName: 'cluster.x-k8s.io/cluster-name',
  nodeClusterNamespace: 'cluster.x-k8s.io/cluster-namespace',
  nodeMachine: 'cluster.x-k8s.io/machine',
  nodeOwnerKind: 'cluster.x-k8s.io/owner-kind',
  nodeOwnerName: 'cluster.x-k8s.io/owner-name',
  labelsFromMachine: 'cluster.x-k8s.io/labels-from-machine',
  annotationsFromMachine: 'cluster.x-k8s.io/annotations-from-machine',
} as const;

export const Finalizers = {
  cluster: 'cluster.cluster.x-k8s.io',
  machine: 'machine.cluster.x-k8s.io',
  machineSet: 'cluster.x-k8s.io/machineset',
  machineDeployment: 'cluster.x-k8s.io/machinedeployment',
} as const;

export const ClusterPhases = ['Pending', 'Provisioning', 'Provisioned', 'Deleting', 'Failed', 'Unknown'] as const;
export type ClusterPhase = (typeof ClusterPhases)[number];

export const MachinePhases = [
  'Pending',
  'Provisioning',
  'Provisioned',
  'Running',
  'Deleting',
  'Deleted',
  'Failed',
  'Unknown',
] as const;
export type MachinePhase = (typeof MachinePhases)[number];

export const MachineDeploymentPhases = ['ScalingUp', 'ScalingDown', 'Running', 'Failed', 'Unknown'] as const;

export const DeletePolicies = ['Random', 'Newest', 'Oldest'] as const;
export type DeletePolicy = (typeof DeletePolicies)[number];

/** v1beta1 condition types. */
export const ConditionTypes = {
  ready: 'Ready',
  paused: 'Paused',
  infrastructureReady: 'InfrastructureReady',
  controlPlaneReady: 'ControlPlaneReady',
  controlPlaneInitialized: 'ControlPlaneInitialized',
  bootstrapReady: 'BootstrapReady',
  drainingSucceeded: 'DrainingSucceeded',
  volumeDetachSucceeded: 'VolumeDetachSucceeded',
  preDrainDeleteHookSucceeded: 'PreDrainDeleteHookSucceeded',
  preTerminateDeleteHookSucceeded: 'PreTerminateDeleteHookSucceeded',
  nodeHealthy: 'NodeHealthy',
  healthCheckSucceeded: 'HealthCheckSucceeded',
  ownerRemediated: 'OwnerRemediated',
  machinesCreated: 'MachinesCreated',
  machinesReady: 'MachinesReady',
  resized: 'Resized',
  remediationAllowed: 'RemediationAllowed',
} as const;

/** v1beta1 condition reasons used by the core handlers. */
export const Reasons = {
  waitingForInfrastructure: 'WaitingForInfrastructure',
  waitingForControlPlane: 'WaitingForControlPlane',
  waitingForControlPlaneProviderInitialized: 'WaitingForControlPlaneProviderInitialized',
  missingNodeRef: 'MissingNodeRef',
  waitingForDataSecret: 'WaitingForDataSecret',
  waitingForNodeRef: 'WaitingForNodeRef',
  nodeProvisioning: 'NodeProvisioning',
  nodeNotFound: 'NodeNotFound',
  nodeConditionsFailed: 'NodeConditionsFailed',
  nodeInspectionFailed: 'NodeInspectionFailed',
  deleting: 'Deleting',
  deleted: 'Deleted',
  deletionFailed: 'DeletionFailed',
  draining: 'Draining',
  drainingFailed: 'DrainingFailed',
  waitingForVolumeDetach: 'WaitingForVolumeDetach',
  waitingExternalHook: 'WaitingExternalHook',
  scalingUp: 'ScalingUp',
  scalingDown: 'ScalingDown',
  machineCreationFailed: 'MachineCreationFailed',
  infrastructureTemplateCloningFailed: 'InfrastructureTemplateCloningFailed',
  bootstrapTemplateCloningFailed: 'BootstrapTemplateCloningFailed',
  /** capi-fn's: the referenced infrastructure machine or bootstrap config is another controller's (README, extensions). */
  alreadyControlled: 'AlreadyControlled',
  preflightCheckFailed: 'PreflightCheckFailed',
  paused: 'Paused',
  notPaused: 'NotPaused',
  invalidConfiguration: 'InvalidConfiguration',
  tooManyUnhealthy: 'TooManyUnhealthy',
} as const;

/**
 * capi-fn's label on a Machine carrying a hash of its providerID, so a Node event finds its Machine with one
 * label-selected LIST (labels cannot hold a providerID verbatim: it has `/` and `:`).
 */
export const PROVIDER_ID_HASH_LABEL = 'machine.capi-fn.io/provider-id-hash';
