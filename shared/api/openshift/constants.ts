// OpenShift names the Cluster CAPI Operator re-implementation needs: feature sets, feature gates, platform types,
// singleton object names, namespaces, the platform → provider table and ClusterOperator condition vocabulary
// (../shared/reference/openshift-capi.md §1).
import type { ProviderName } from '../kind.ts';

export const CONFIG_GROUP = 'config.openshift.io';
export const CONFIG_VERSION = 'v1';
export const CONFIG_API_VERSION = `${CONFIG_GROUP}/${CONFIG_VERSION}`;
export const MAPI_GROUP = 'machine.openshift.io';
export const MAPI_VERSION = 'v1beta1';
export const MAPI_API_VERSION = `${MAPI_GROUP}/${MAPI_VERSION}`;

/** Name of the cluster-scoped singletons `FeatureGate`, `Infrastructure` (and ClusterVersion). */
export const CLUSTER_SINGLETON_NAME = 'cluster';
/** The ClusterOperator the operator reports through. */
export const CLUSTER_OPERATOR_NAME = 'cluster-api';

export const Namespaces = {
  /** Operator, operands and every CAPI object. */
  clusterAPI: 'openshift-cluster-api',
  /** Machine API objects (MAPI Machines/MachineSets, `worker-user-data`). */
  machineAPI: 'openshift-machine-api',
  /** main / 5.x: the operator and installer. */
  clusterAPIOperator: 'openshift-cluster-api-operator',
  cloudCredentialOperator: 'openshift-cloud-credential-operator',
} as const;

// ---- FeatureGate ----

/**
 * `FeatureGate.spec.featureSet` values. The default feature set is the empty string (the Go constant is named
 * `Default`, but `"Default"` is not a valid value). `OKD` exists in openshift/api from 4.18 on; the reference
 * lists only the other three named sets.
 */
export const FeatureSets = ['', 'TechPreviewNoUpgrade', 'DevPreviewNoUpgrade', 'CustomNoUpgrade', 'OKD'] as const;
export type FeatureSet = (typeof FeatureSets)[number];
export const FeatureSet = {
  Default: '',
  TechPreviewNoUpgrade: 'TechPreviewNoUpgrade',
  DevPreviewNoUpgrade: 'DevPreviewNoUpgrade',
  CustomNoUpgrade: 'CustomNoUpgrade',
  OKD: 'OKD',
} as const satisfies Record<string, FeatureSet>;

/** Feature sets under which the 4.12–4.21 manifests apply (§1.2, design note §7.2). */
export const CLUSTER_API_FEATURE_SETS: readonly FeatureSet[] = ['TechPreviewNoUpgrade', 'CustomNoUpgrade'];

/** Feature-gate names from openshift/api `features/features.go`. There is no gate called just `ClusterAPI`. */
export const FeatureGates = {
  ClusterAPIMachineManagement: 'ClusterAPIMachineManagement',
  ClusterAPIMachineManagementAWS: 'ClusterAPIMachineManagementAWS',
  ClusterAPIMachineManagementAzure: 'ClusterAPIMachineManagementAzure',
  ClusterAPIMachineManagementBareMetal: 'ClusterAPIMachineManagementBareMetal',
  ClusterAPIMachineManagementGCP: 'ClusterAPIMachineManagementGCP',
  ClusterAPIMachineManagementPowerVS: 'ClusterAPIMachineManagementPowerVS',
  ClusterAPIMachineManagementOpenStack: 'ClusterAPIMachineManagementOpenStack',
  ClusterAPIMachineManagementVSphere: 'ClusterAPIMachineManagementVSphere',
  MachineAPIMigration: 'MachineAPIMigration',
  MachineAPIMigrationAWS: 'MachineAPIMigrationAWS',
  MachineAPIMigrationOpenStack: 'MachineAPIMigrationOpenStack',
  MachineAPIMigrationVSphere: 'MachineAPIMigrationVSphere',
  MachineAPIMigrationAzure: 'MachineAPIMigrationAzure',
  MachineAPIMigrationBareMetal: 'MachineAPIMigrationBareMetal',
  MachineAPIMigrationGCP: 'MachineAPIMigrationGCP',
  MachineAPIMigrationPowerVS: 'MachineAPIMigrationPowerVS',
} as const;
export type FeatureGateName = (typeof FeatureGates)[keyof typeof FeatureGates];

/** Installer gates: the installer provisions with CAPI. They do not gate this feature (§1.2). */
export const INSTALLER_FEATURE_GATES = [
  'ClusterAPIInstall',
  'ClusterAPIInstallIBMCloud',
  'ClusterAPIControlPlaneInstall',
  'ClusterAPIComputeInstall',
] as const;

/** main / 5.x optional cluster capability (not a feature gate). */
export const CLUSTER_API_CAPABILITY = 'ClusterAPI';

/** Manifest gating annotations (§1.2). */
export const ManifestAnnotations = {
  featureSet: 'release.openshift.io/feature-set',
  featureGate: 'release.openshift.io/feature-gate',
  capability: 'capability.openshift.io/name',
} as const;

// ---- Infrastructure ----

/**
 * `Infrastructure.spec.platformSpec.type` / `status.platformStatus.type` values from openshift/api, plus `Local`:
 * capi-fn's extension for its embedded default (a simulated cloud, the `local` provider). A real OpenShift API
 * server would reject `Local`; capi-fn's own CRD accepts it so the embedded default runs the same operator code.
 */
export const PlatformTypes = [
  '',
  'AWS',
  'Azure',
  'BareMetal',
  'GCP',
  'Libvirt',
  'OpenStack',
  'None',
  'VSphere',
  'oVirt',
  'IBMCloud',
  'KubeVirt',
  'EquinixMetal',
  'PowerVS',
  'AlibabaCloud',
  'Nutanix',
  'External',
  'Local',
] as const;
export type PlatformType = (typeof PlatformTypes)[number];
export const LOCAL_PLATFORM_TYPE = 'Local' satisfies PlatformType;

/** Azure cloud names; `AzureStackCloud` makes the operator treat the platform as unsupported (§1.3). */
export const AzureCloudNames = [
  'AzurePublicCloud',
  'AzureUSGovernmentCloud',
  'AzureChinaCloud',
  'AzureGermanCloud',
  'AzureStackCloud',
] as const;

export const TopologyModes = [
  'HighlyAvailable',
  'HighlyAvailableArbiter',
  'SingleReplica',
  'DualReplica',
  'External',
] as const;

export interface PlatformProvider {
  /** capi-fn provider module. */
  provider: ProviderName;
  /** Transport ConfigMap `provider.cluster.x-k8s.io/name` label value. */
  configMapName: string;
  /** Component label `cluster.x-k8s.io/provider`. */
  componentLabel: string;
  infraClusterKind: string;
  /** apiVersion the operator uses for `Cluster.spec.infrastructureRef`. */
  infraClusterAPIVersion: string;
  machineTemplateKind: string;
  /** Credentials Secret in `openshift-cluster-api`. */
  credentialsSecret: string;
  /** Per-platform gate checked from 4.22 on. */
  featureGate: FeatureGateName;
  /** CredentialsRequest name in `openshift-cloud-credential-operator`. */
  credentialsRequest: string;
}

/** Platform → provider (§1.4). PowerVS is handled by the operator but has no capi-fn provider. */
export const PLATFORM_PROVIDERS: Partial<Record<PlatformType, PlatformProvider>> = {
  AWS: {
    provider: 'aws',
    configMapName: 'aws',
    componentLabel: 'infrastructure-aws',
    infraClusterKind: 'AWSCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    machineTemplateKind: 'AWSMachineTemplate',
    credentialsSecret: 'capa-manager-bootstrap-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementAWS,
    credentialsRequest: 'openshift-cluster-api-aws',
  },
  GCP: {
    provider: 'gcp',
    configMapName: 'gcp',
    componentLabel: 'infrastructure-gcp',
    infraClusterKind: 'GCPCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'GCPMachineTemplate',
    credentialsSecret: 'capg-manager-bootstrap-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementGCP,
    credentialsRequest: 'openshift-cluster-api-gcp',
  },
  Azure: {
    provider: 'azure',
    configMapName: 'azure',
    componentLabel: 'infrastructure-azure',
    infraClusterKind: 'AzureCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'AzureMachineTemplate',
    credentialsSecret: 'capz-manager-bootstrap-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementAzure,
    credentialsRequest: 'openshift-cluster-api-azure',
  },
  OpenStack: {
    provider: 'openstack',
    configMapName: 'openstack',
    componentLabel: 'infrastructure-openstack',
    infraClusterKind: 'OpenStackCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'OpenStackMachineTemplate',
    credentialsSecret: 'openstack-cloud-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementOpenStack,
    credentialsRequest: 'openshift-cluster-api-openstack',
  },
  VSphere: {
    provider: 'vsphere',
    configMapName: 'vsphere',
    componentLabel: 'infrastructure-vsphere',
    infraClusterKind: 'VSphereCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'VSphereMachineTemplate',
    credentialsSecret: 'capv-manager-bootstrap-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementVSphere,
    credentialsRequest: 'openshift-cluster-api-vsphere',
  },
  BareMetal: {
    provider: 'metal3',
    configMapName: 'metal3',
    componentLabel: 'infrastructure-metal3',
    infraClusterKind: 'Metal3Cluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'Metal3MachineTemplate',
    credentialsSecret: 'capm3-manager-bootstrap-credentials',
    featureGate: FeatureGates.ClusterAPIMachineManagementBareMetal,
    credentialsRequest: 'openshift-cluster-api-baremetal',
  },
  Local: {
    provider: 'local',
    configMapName: 'local',
    componentLabel: 'infrastructure-local',
    infraClusterKind: 'LocalCluster',
    infraClusterAPIVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    machineTemplateKind: 'LocalMachineTemplate',
    credentialsSecret: '',
    // The embedded default has no per-platform gate of its own; it follows the umbrella gate.
    featureGate: FeatureGates.ClusterAPIMachineManagement,
    credentialsRequest: '',
  },
};

// ---- Operator objects ----

/** `cluster.x-k8s.io/managed-by` value on InfraClusters the operator creates and marks ready (4.17+). */
export const INFRACLUSTER_MANAGED_BY = 'cluster-capi-operator-infracluster-controller';

export const OperatorNames = {
  deployment: 'cluster-capi-operator',
  serviceAccount: 'cluster-capi-operator',
  leaderLease: 'cluster-capi-operator-leader',
  webhookService: 'cluster-capi-operator-webhook-service',
  imagesConfigMap: 'cluster-capi-operator-images',
  tokenSecret: 'cluster-capi-operator-secret',
  userDataSecret: 'worker-user-data',
  bareMetalUserDataSecret: 'worker-user-data-managed',
} as const;

export const ClusterOperatorConditionTypes = {
  available: 'Available',
  progressing: 'Progressing',
  degraded: 'Degraded',
  upgradeable: 'Upgradeable',
  capiInstallerControllerAvailable: 'CapiInstallerControllerAvailable',
  capiInstallerControllerDegraded: 'CapiInstallerControllerDegraded',
  infraClusterControllerAvailable: 'InfraClusterControllerAvailable',
  infraClusterControllerDegraded: 'InfraClusterControllerDegraded',
  secretSyncControllerAvailable: 'SecretSyncControllerAvailable',
  secretSyncControllerDegraded: 'SecretSyncControllerDegraded',
} as const;

export const ClusterOperatorReasons = {
  asExpected: 'AsExpected',
  syncingFailed: 'SyncingFailed',
  initializing: 'Initializing',
  syncingResources: 'SyncingResources',
} as const;

/** Message of the Available condition on a platform without CAPI support (§1.3). */
export const UNSUPPORTED_PLATFORM_MESSAGE = 'Cluster API is not yet implemented on this platform';

// ---- Machine API (machine.openshift.io) ----

/** `spec.authoritativeAPI` values (MAPI Machine, MachineSet and its template). */
export const MachineAuthorities = ['MachineAPI', 'ClusterAPI'] as const;
/** `status.authoritativeAPI` adds the transient `Migrating`. */
export const MachineAuthorityStatuses = ['MachineAPI', 'ClusterAPI', 'Migrating'] as const;

export const MAPILabels = {
  instanceType: 'machine.openshift.io/instance-type',
  region: 'machine.openshift.io/region',
  zone: 'machine.openshift.io/zone',
  clusterAPICluster: 'machine.openshift.io/cluster-api-cluster',
  clusterAPIMachineRole: 'machine.openshift.io/cluster-api-machine-role',
  clusterAPIMachineType: 'machine.openshift.io/cluster-api-machine-type',
  clusterAPIMachineSet: 'machine.openshift.io/cluster-api-machineset',
} as const;

export const MAPIAnnotations = {
  instanceState: 'machine.openshift.io/instance-state',
} as const;
