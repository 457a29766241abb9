// Cluster API Provider GCP kinds, infrastructure.cluster.x-k8s.io/v1beta1 (the version the OpenShift docs
// and the operator use; openshift-capi.md §1.4, §2, §3). Fields follow CAPG's api/v1beta1 (v1.11 line, the one
// OpenShift 4.22 vendors) including every field the OpenShift "configuration options" page lists.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import {
  APIEndpoint,
  Conditions,
  FailureDomains,
  infraClusterColumns,
  infraMachineColumns,
  MachineAddress,
  machineTemplateSpec,
  TEMPLATE_COLUMNS,
} from './shared.ts';

export { GCP_PROVIDER_ID_PREFIX, GCPClusterFinalizer, GCPMachineFinalizer } from './constants.ts';

/** GCE instance statuses; CAPG stores the raw value in `status.instanceState` (no CRD enum upstream). */
export const GCPInstanceStatuses = [
  'PROVISIONING',
  'STAGING',
  'RUNNING',
  'STOPPING',
  'STOPPED',
  'SUSPENDING',
  'SUSPENDED',
  'REPAIRING',
  'TERMINATED',
] as const;

const Labels = z.record(z.string(), z.string());

/** Disk types CAPG accepts for the boot disk. */
export const GCPRootDiskTypes = ['pd-standard', 'pd-ssd', 'pd-balanced', 'hyperdisk-balanced'] as const;
/** Additional disks may also be local SSDs (SCRATCH, NVMe, 375 GB). */
export const GCPDiskTypes = [...GCPRootDiskTypes, 'local-ssd'] as const;

export const ResourceManagerTag = z.strictObject({
  /** An organization ID (digits) or a project ID. */
  parentID: z
    .string()
    .regex(/^[1-9][0-9]{0,31}$|^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be an organization ID or a project ID'),
  key: z.string().min(1).max(63),
  value: z.string().min(1).max(63),
});

export const CustomerEncryptionKey = z.strictObject({
  keyType: z.enum(['Managed', 'Supplied']),
  kmsKeyServiceAccount: z.string().optional(),
  managedKey: z
    .strictObject({
      kmsKeyName: z
        .string()
        .max(160)
        .regex(
          /^projects\/[a-z0-9-]+\/locations\/[a-z0-9-]+\/keyRings\/[a-zA-Z0-9_-]+\/cryptoKeys\/[a-zA-Z0-9_-]+$/,
          'must look like projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>',
        ),
    })
    .optional(),
  suppliedKey: z
    .strictObject({
      rawKey: z.string().meta({ format: 'byte' }).optional(),
      rsaEncryptedKey: z.string().meta({ format: 'byte' }).optional(),
    })
    .optional(),
});

export const AttachedDiskSpec = z.strictObject({
  deviceType: z.enum(GCPDiskTypes).optional(),
  size: z.number().int().optional(),
  encryptionKey: CustomerEncryptionKey.optional(),
});

export const GCPServiceAccount = z.strictObject({
  email: z.string().optional(),
  scopes: z.array(z.string()).optional(),
});

const EnabledDisabled = z.enum(['Enabled', 'Disabled']);

export const GCPMachineSpec = z.strictObject({
  instanceType: z.string().min(1),
  subnet: z.string().optional(),
  providerID: z.string().optional(),
  imageFamily: z.string().optional(),
  image: z.string().optional(),
  additionalLabels: Labels.optional(),
  additionalMetadata: z.array(z.strictObject({ key: z.string(), value: z.string().optional() })).optional(),
  publicIP: z.boolean().optional(),
  additionalNetworkTags: z.array(z.string()).optional(),
  resourceManagerTags: z.array(ResourceManagerTag).optional(),
  rootDeviceSize: z.number().int().min(0).optional(),
  rootDeviceType: z.enum(GCPRootDiskTypes).optional(),
  additionalDisks: z.array(AttachedDiskSpec).optional(),
  /** A single service account despite the plural JSON name (CAPG `ServiceAccount *ServiceAccount`). */
  serviceAccounts: GCPServiceAccount.optional(),
  preemptible: z.boolean().optional(),
  provisioningModel: z.enum(['Standard', 'Spot']).optional(),
  ipForwarding: EnabledDisabled.optional(),
  shieldedInstanceConfig: z
    .strictObject({
      secureBoot: EnabledDisabled.optional(),
      virtualizedTrustedPlatformModule: EnabledDisabled.optional(),
      integrityMonitoring: EnabledDisabled.optional(),
    })
    .optional(),
  onHostMaintenance: z.enum(['Migrate', 'Terminate']).optional(),
  confidentialCompute: z
    .enum([
      'Enabled',
      'Disabled',
      'AMDEncryptedVirtualization',
      'AMDEncryptedVirtualizationNestedPaging',
      'AMDSecureEncryptedVirtualizationSecureNestedPaging',
      'IntelTrustedDomainExtensions',
    ])
    .optional(),
  rootDiskEncryptionKey: CustomerEncryptionKey.optional(),
  guestAccelerators: z
    .array(z.strictObject({ type: z.string().optional(), count: z.number().int().optional() }))
    .optional(),
});
export type GCPMachineSpec = z.infer<typeof GCPMachineSpec>;

export const GCPMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  addresses: z.array(MachineAddress).optional(),
  instanceState: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const GCPMachine = kindSchema({ spec: GCPMachineSpec, status: GCPMachineStatus.optional() });
export type GCPMachine = z.infer<typeof GCPMachine>;

export const GCPMachineTemplate = kindSchema({ spec: machineTemplateSpec(GCPMachineSpec) });
export type GCPMachineTemplate = z.infer<typeof GCPMachineTemplate>;

const SubnetSpec = z.strictObject({
  name: z.string().optional(),
  cidrBlock: z.string().optional(),
  description: z.string().optional(),
  secondaryCidrBlocks: z.record(z.string(), z.string()).optional(),
  region: z.string().optional(),
  privateGoogleAccess: z.boolean().optional(),
  enableFlowLogs: z.boolean().optional(),
  purpose: z.enum(['PRIVATE_RFC_1918', 'INTERNAL_HTTPS_LOAD_BALANCER', 'REGIONAL_MANAGED_PROXY']).optional(),
  stackType: z.enum(['IPV4_ONLY', 'IPV4_IPV6']).optional(),
});

export const GCPNetworkSpec = z.strictObject({
  name: z.string().optional(),
  autoCreateSubnetworks: z.boolean().optional(),
  subnets: z.array(SubnetSpec).optional(),
  loadBalancerBackendPort: z.number().int().optional(),
  /** Shared VPC: the project that owns the network (else `spec.project`). */
  hostProject: z.string().optional(),
  mtu: z.number().int().min(1300).max(8896).optional(),
  firewall: z.strictObject({ defaultRulesManagement: z.enum(['Managed', 'Unmanaged']).optional() }).optional(),
});

export const GCPClusterSpec = z.strictObject({
  project: z.string().min(1),
  region: z.string().min(1),
  controlPlaneEndpoint: APIEndpoint.optional(),
  network: GCPNetworkSpec.optional(),
  failureDomains: z.array(z.string()).optional(),
  additionalLabels: Labels.optional(),
  resourceManagerTags: z.array(ResourceManagerTag).optional(),
  /** Secret holding a service-account key; unset → application default credentials. */
  credentialsRef: z.strictObject({ namespace: z.string(), name: z.string() }).optional(),
  loadBalancer: z
    .strictObject({
      apiServerInstanceGroupTagOverride: z
        .string()
        .max(16)
        .regex(/^[a-z](?:[-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1035 label')
        .optional(),
      loadBalancerType: z.enum(['External', 'Internal', 'InternalExternal']).optional(),
      internalLoadBalancer: z
        .strictObject({
          name: z.string().optional(),
          subnet: z.string().optional(),
          ipAddress: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  /** API endpoint overrides; capi-fn's GCP emulator is reached through `compute`. */
  serviceEndpoints: z
    .strictObject({
      compute: z.string().optional(),
      container: z.string().optional(),
      iam: z.string().optional(),
      resourceManager: z.string().optional(),
    })
    .optional(),
});
export type GCPClusterSpec = z.infer<typeof GCPClusterSpec>;

export const GCPClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  failureDomains: FailureDomains.optional(),
  network: z
    .strictObject({
      selfLink: z.string().optional(),
      firewallRules: z.record(z.string(), z.string()).optional(),
      router: z.string().optional(),
      apiServerIpAddress: z.string().optional(),
      apiServerHealthCheck: z.string().optional(),
      apiServerInstanceGroups: z.record(z.string(), z.string()).optional(),
      apiServerBackendService: z.string().optional(),
      apiServerTargetProxy: z.string().optional(),
      apiServerForwardingRule: z.string().optional(),
      apiInternalIpAddress: z.string().optional(),
      apiInternalHealthCheck: z.string().optional(),
      apiInternalBackendService: z.string().optional(),
      apiInternalForwardingRule: z.string().optional(),
    })
    .optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const GCPCluster = kindSchema({ spec: GCPClusterSpec, status: GCPClusterStatus.optional() });
export type GCPCluster = z.infer<typeof GCPCluster>;

const labels = contractLabel(['v1beta1']);

export const gcpKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'GCPCluster',
    plural: 'gcpclusters',
    singular: 'gcpcluster',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'gcp',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: GCPCluster,
        printerColumns: infraClusterColumns([
          {
            name: 'Network',
            type: 'string',
            jsonPath: '.spec.network.name',
            description: 'GCP network the cluster is using',
          },
          {
            name: 'Endpoint',
            type: 'string',
            jsonPath: '.spec.controlPlaneEndpoint.host',
            description: 'API Endpoint',
            priority: 1,
          },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'GCPMachine',
    plural: 'gcpmachines',
    singular: 'gcpmachine',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'gcp',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: GCPMachine,
        printerColumns: infraMachineColumns([
          { name: 'State', type: 'string', jsonPath: '.status.instanceState', description: 'GCE instance state' },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'GCPMachineTemplate',
    plural: 'gcpmachinetemplates',
    singular: 'gcpmachinetemplate',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'gcp',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: GCPMachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
];
