// Cluster API Provider Azure kinds, infrastructure.cluster.x-k8s.io/v1beta1 (openshift-capi.md §1.4, §1.6, §3;
// providers-aws-gcp-azure.md §4–5). Fields follow CAPZ's api/v1beta1 (v1.22 line, the one OpenShift 4.22 vendors),
// including every field the OpenShift "configuration options" page lists and every field the operator writes
// into the AzureCluster and AzureClusterIdentity it creates.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { AGE_COLUMN, contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { LabelSelector, ObjectReference, Quantity, SecretReference } from '../meta.ts';
import {
  APIEndpoint,
  Conditions,
  exactlyOne,
  FailureDomains,
  infraClusterColumns,
  infraMachineColumns,
  MachineAddress,
  machineTemplateSpec,
  TEMPLATE_COLUMNS,
} from './shared.ts';

export { AZURE_PROVIDER_ID_PREFIX, AzureClusterFinalizer, AzureMachineFinalizer } from './constants.ts';

/** VM `properties.provisioningState` values CAPZ copies into `status.vmState` (no CRD enum upstream). */
export const AzureVMStates = [
  'Creating',
  'Updating',
  'Succeeded',
  'Failed',
  'Canceled',
  'Deleting',
  'Deleted',
  'Migrating',
] as const;

const Tags = z.record(z.string(), z.string());

/** Managed-disk SKUs CAPZ's webhook accepts. */
export const AzureStorageAccountTypes = [
  'Standard_LRS',
  'Premium_LRS',
  'StandardSSD_LRS',
  'UltraSSD_LRS',
  'Premium_ZRS',
  'StandardSSD_ZRS',
  'PremiumV2_LRS',
] as const;

const CachingType = z.enum(['None', 'ReadOnly', 'ReadWrite']);

const ImagePlan = z.strictObject({
  publisher: z.string().min(1),
  offer: z.string().min(1),
  sku: z.string().min(1),
});

export const AzureImage = exactlyOne({
  /** A full ARM resource ID, e.g. a gallery image version (the OpenShift docs' form). */
  id: z.string().optional(),
  sharedGallery: z
    .strictObject({
      subscriptionID: z.string().min(1),
      resourceGroup: z.string().min(1),
      gallery: z.string().min(1),
      name: z.string().min(1),
      version: z.string().min(1),
      publisher: z.string().optional(),
      offer: z.string().optional(),
      sku: z.string().optional(),
    })
    .optional(),
  marketplace: z
    .strictObject({
      publisher: z.string().min(1),
      offer: z.string().min(1),
      sku: z.string().min(1),
      version: z.string().min(1),
      thirdPartyImage: z.boolean().optional(),
    })
    .optional(),
  computeGallery: z
    .strictObject({
      gallery: z.string().min(1),
      name: z.string().min(1),
      version: z.string().min(1),
      subscriptionID: z.string().optional(),
      resourceGroup: z.string().optional(),
      plan: ImagePlan.optional(),
    })
    .optional(),
});

const DiskEncryptionSet = z.strictObject({ id: z.string().optional() });

export const ManagedDiskParameters = z.strictObject({
  storageAccountType: z.enum(AzureStorageAccountTypes).optional(),
  diskEncryptionSet: DiskEncryptionSet.optional(),
  securityProfile: z
    .strictObject({
      diskEncryptionSet: DiskEncryptionSet.optional(),
      securityEncryptionType: z.enum(['VMGuestStateOnly', 'DiskWithVMGuestState']).optional(),
    })
    .optional(),
});

export const OSDisk = z.strictObject({
  osType: z.string().min(1),
  diskSizeGB: z.number().int().min(1).optional(),
  managedDisk: ManagedDiskParameters.optional(),
  diffDiskSettings: z
    .strictObject({
      option: z.enum(['Local']),
      placement: z.enum(['CacheDisk', 'ResourceDisk', 'NvmeDisk']).optional(),
    })
    .optional(),
  cachingType: CachingType.optional(),
});

export const DataDisk = z.strictObject({
  nameSuffix: z.string().min(1),
  diskSizeGB: z.number().int().min(4),
  managedDisk: ManagedDiskParameters.optional(),
  lun: z.number().int().min(0).optional(),
  cachingType: CachingType.optional(),
});

export const NetworkInterface = z.strictObject({
  subnetName: z.string().optional(),
  privateIPConfigs: z.number().int().min(1).optional(),
  acceleratedNetworking: z.boolean().optional(),
});

export const AzureMachineSpec = z.strictObject({
  providerID: z.string().optional(),
  vmSize: z.string().min(1),
  failureDomain: z.string().optional(),
  image: AzureImage.optional(),
  identity: z.enum(['None', 'SystemAssigned', 'UserAssigned']).optional(),
  userAssignedIdentities: z.array(z.strictObject({ providerID: z.string().min(1) })).optional(),
  systemAssignedIdentityRole: z
    .strictObject({
      name: z.string().optional(),
      scope: z.string().optional(),
      definitionID: z.string().optional(),
    })
    .optional(),
  roleAssignmentName: z.string().optional(),
  osDisk: OSDisk,
  dataDisks: z.array(DataDisk).optional(),
  sshPublicKey: z.string().optional(),
  additionalTags: Tags.optional(),
  additionalCapabilities: z.strictObject({ ultraSSDEnabled: z.boolean().optional() }).optional(),
  allocatePublicIP: z.boolean().optional(),
  enableIPForwarding: z.boolean().optional(),
  /** Deprecated upstream in favour of `networkInterfaces[].acceleratedNetworking`. */
  acceleratedNetworking: z.boolean().optional(),
  diagnostics: z
    .strictObject({
      boot: z
        .strictObject({
          storageAccountType: z.enum(['Managed', 'UserManaged', 'Disabled']),
          userManaged: z.strictObject({ storageAccountURI: z.string().min(1).max(1024) }).optional(),
        })
        .optional(),
    })
    .optional(),
  spotVMOptions: z
    .strictObject({
      maxPrice: Quantity.optional(),
      evictionPolicy: z.enum(['Deallocate', 'Delete']).optional(),
    })
    .optional(),
  securityProfile: z
    .strictObject({
      encryptionAtHost: z.boolean().optional(),
      securityType: z.enum(['ConfidentialVM', 'TrustedLaunch']).optional(),
      uefiSettings: z
        .strictObject({ secureBootEnabled: z.boolean().optional(), vTpmEnabled: z.boolean().optional() })
        .optional(),
    })
    .optional(),
  /** Deprecated upstream in favour of `networkInterfaces[].subnetName`. */
  subnetName: z.string().optional(),
  dnsServers: z.array(z.string()).optional(),
  disableExtensionOperations: z.boolean().optional(),
  disableVMBootstrapExtension: z.boolean().optional(),
  vmExtensions: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        publisher: z.string().min(1),
        version: z.string().min(1),
        settings: z.record(z.string(), z.string()).optional(),
        protectedSettings: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  networkInterfaces: z.array(NetworkInterface).optional(),
  capacityReservationGroupID: z.string().optional(),
});
export type AzureMachineSpec = z.infer<typeof AzureMachineSpec>;

/** A paused long-running ARM operation (CAPZ `Future`), resumed on the next reconcile. */
export const Future = z.strictObject({
  type: z.string(),
  resourceGroup: z.string().optional(),
  serviceName: z.string(),
  name: z.string(),
  data: z.string(),
});

export const AzureMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  addresses: z.array(MachineAddress).optional(),
  vmState: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
  longRunningOperationStates: z.array(Future).optional(),
});

export const AzureMachine = kindSchema({ spec: AzureMachineSpec, status: AzureMachineStatus.optional() });
export type AzureMachine = z.infer<typeof AzureMachine>;

export const AzureMachineTemplate = kindSchema({ spec: machineTemplateSpec(AzureMachineSpec) });
export type AzureMachineTemplate = z.infer<typeof AzureMachineTemplate>;

const SecurityRule = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  protocol: z.enum(['Tcp', 'Udp', 'Icmp', '*']),
  direction: z.enum(['Inbound', 'Outbound']),
  priority: z.number().int().optional(),
  sourcePorts: z.string().optional(),
  destinationPorts: z.string().optional(),
  source: z.string().optional(),
  sources: z.array(z.string()).optional(),
  destination: z.string().optional(),
  action: z.enum(['Allow', 'Deny']).optional(),
});

const PublicIPSpec = z.strictObject({
  name: z.string().min(1),
  dnsName: z.string().optional(),
  ipTags: z.array(z.strictObject({ type: z.string(), tag: z.string() })).optional(),
});

export const AzureLoadBalancerSpec = z.strictObject({
  id: z.string().optional(),
  name: z.string().optional(),
  type: z.enum(['Internal', 'Public']).optional(),
  sku: z.enum(['Standard']).optional(),
  frontendIPs: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        publicIP: PublicIPSpec.optional(),
        privateIP: z.string().optional(),
      }),
    )
    .optional(),
  frontendIPsCount: z.number().int().optional(),
  backendPool: z.strictObject({ name: z.string().optional() }).optional(),
  idleTimeoutInMinutes: z.number().int().min(4).max(30).optional(),
});

const SubnetSpec = z.strictObject({
  id: z.string().optional(),
  name: z.string().min(1),
  role: z.enum(['node', 'control-plane', 'bastion', 'cluster']),
  cidrBlocks: z.array(z.string()).optional(),
  securityGroup: z
    .strictObject({
      id: z.string().optional(),
      name: z.string().optional(),
      securityRules: z.array(SecurityRule).optional(),
      tags: Tags.optional(),
    })
    .optional(),
  routeTable: z.strictObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
  natGateway: z
    .strictObject({
      id: z.string().optional(),
      name: z.string().optional(),
      ip: PublicIPSpec.optional(),
    })
    .optional(),
  serviceEndpoints: z.array(z.strictObject({ service: z.string(), locations: z.array(z.string()) })).optional(),
  privateEndpoints: z
    .array(
      z.strictObject({
        name: z.string(),
        location: z.string().optional(),
        applicationSecurityGroups: z.array(z.string()).optional(),
        privateLinkServiceConnections: z
          .array(
            z.strictObject({
              name: z.string().optional(),
              privateLinkServiceID: z.string().optional(),
              groupIDs: z.array(z.string()).optional(),
              requestMessage: z.string().optional(),
            }),
          )
          .optional(),
        customNetworkInterfaceName: z.string().optional(),
        privateIPAddresses: z.array(z.string()).optional(),
        manualApproval: z.boolean().optional(),
      }),
    )
    .optional(),
});

export const AzureNetworkSpec = z.strictObject({
  vnet: z
    .strictObject({
      id: z.string().optional(),
      name: z.string().min(1),
      resourceGroup: z.string().optional(),
      cidrBlocks: z.array(z.string()).optional(),
      tags: Tags.optional(),
      peerings: z
        .array(
          z.strictObject({
            resourceGroup: z.string().optional(),
            remoteVnetName: z.string(),
            forwardPeeringProperties: z.record(z.string(), z.boolean()).optional(),
            reversePeeringProperties: z.record(z.string(), z.boolean()).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  subnets: z.array(SubnetSpec).optional(),
  apiServerLB: AzureLoadBalancerSpec.optional(),
  nodeOutboundLB: AzureLoadBalancerSpec.optional(),
  controlPlaneOutboundLB: AzureLoadBalancerSpec.optional(),
  privateDNSZoneName: z.string().optional(),
  privateDNSZoneResourceGroup: z.string().optional(),
});

export const AzureClusterSpec = z.strictObject({
  /** Unset on OpenShift: the subscription then comes from the environment (`AZURE_SUBSCRIPTION_ID`). */
  subscriptionID: z.string().optional(),
  location: z.string().min(1),
  extendedLocation: z.strictObject({ name: z.string(), type: z.string() }).optional(),
  additionalTags: Tags.optional(),
  /** An AzureClusterIdentity; the operator writes {kind, name, namespace}. */
  identityRef: ObjectReference.optional(),
  azureEnvironment: z.string().optional(),
  failureDomains: FailureDomains.optional(),
  networkSpec: AzureNetworkSpec.optional(),
  resourceGroup: z.string().optional(),
  bastionSpec: z
    .strictObject({
      azureBastion: z
        .strictObject({
          name: z.string().optional(),
          subnet: SubnetSpec.optional(),
          publicIP: PublicIPSpec.optional(),
          sku: z.enum(['Basic', 'Standard']).optional(),
          enableTunneling: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  controlPlaneEndpoint: APIEndpoint.optional(),
});
export type AzureClusterSpec = z.infer<typeof AzureClusterSpec>;

export const AzureClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  failureDomains: FailureDomains.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
  longRunningOperationStates: z.array(Future).optional(),
});

export const AzureCluster = kindSchema({ spec: AzureClusterSpec, status: AzureClusterStatus.optional() });
export type AzureCluster = z.infer<typeof AzureCluster>;

export const AzureIdentityTypes = [
  'ServicePrincipal',
  'UserAssignedMSI',
  'ManualServicePrincipal',
  'ServicePrincipalCertificate',
  'WorkloadIdentity',
  'UserAssignedIdentityCredential',
] as const;

export const AzureClusterIdentitySpec = z.strictObject({
  type: z.enum(AzureIdentityTypes),
  resourceID: z.string().optional(),
  clientID: z.string().min(1),
  /** The Secret with key `clientSecret` (OpenShift: `capz-manager-cluster-credential`). */
  clientSecret: SecretReference.optional(),
  certPath: z.string().optional(),
  tenantID: z.string().min(1),
  /** Namespaces whose AzureClusters may use this identity; `{}` means all, nil means only its own. */
  allowedNamespaces: z
    .strictObject({
      list: z.array(z.string()).optional(),
      selector: LabelSelector.optional(),
    })
    .optional(),
  userAssignedIdentityCredentialsPath: z.string().optional(),
  userAssignedIdentityCredentialsCloudType: z.enum(['public', 'china', 'usgovernment']).optional(),
});

export const AzureClusterIdentity = kindSchema({
  spec: AzureClusterIdentitySpec,
  status: z.strictObject({ conditions: Conditions.optional() }).optional(),
});
export type AzureClusterIdentity = z.infer<typeof AzureClusterIdentity>;

const labels = contractLabel(['v1beta1']);

export const azureKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'AzureCluster',
    plural: 'azureclusters',
    singular: 'azurecluster',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'azure',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: AzureCluster,
        printerColumns: infraClusterColumns([
          { name: 'Resource Group', type: 'string', jsonPath: '.spec.resourceGroup', priority: 1 },
          { name: 'SubscriptionID', type: 'string', jsonPath: '.spec.subscriptionID', priority: 1 },
          { name: 'Location', type: 'string', jsonPath: '.spec.location', priority: 1 },
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
    kind: 'AzureMachine',
    plural: 'azuremachines',
    singular: 'azuremachine',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'azure',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: AzureMachine,
        printerColumns: infraMachineColumns([
          { name: 'State', type: 'string', jsonPath: '.status.vmState', description: 'Azure VM provisioning state' },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'AzureMachineTemplate',
    plural: 'azuremachinetemplates',
    singular: 'azuremachinetemplate',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'azure',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: AzureMachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
  {
    group: INFRA_GROUP,
    kind: 'AzureClusterIdentity',
    plural: 'azureclusteridentities',
    singular: 'azureclusteridentity',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'azure',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: AzureClusterIdentity,
        printerColumns: [
          { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Type of the identity' },
          AGE_COLUMN,
        ],
      },
    ],
  },
];
