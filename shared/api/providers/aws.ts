// Cluster API Provider AWS kinds, infrastructure.cluster.x-k8s.io/v1beta2 (storage) and served as
// v1beta1 because the OpenShift docs reference that version (openshift-capi.md §2–3; the field list
// follows CAPA's api/v1beta2 and every field the OpenShift "configuration options" pages list).
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { contractLabel, type KindDefinition, type KindVersion, kindSchema } from '../kind.ts';
import {
  APIEndpoint,
  Conditions,
  FailureDomains,
  Filter,
  infraClusterColumns,
  infraMachineColumns,
  MachineAddress,
  machineTemplateSpec,
  TEMPLATE_COLUMNS,
} from './shared.ts';

export { AWS_PROVIDER_ID_PREFIX, AWSMachineFinalizer } from './constants.ts';
export const AWSClusterFinalizer = 'awscluster.infrastructure.cluster.x-k8s.io';

const Tags = z.record(z.string(), z.string());

export const AWSResourceReference = z.strictObject({
  id: z.string().optional(),
  arn: z.string().optional(),
  filters: z.array(Filter).optional(),
});
export type AWSResourceReference = z.infer<typeof AWSResourceReference>;

export const Volume = z.strictObject({
  deviceName: z.string().optional(),
  size: z.number().int().min(8),
  type: z.enum(['standard', 'io1', 'io2', 'gp2', 'gp3', 'sc1', 'st1']).optional(),
  iops: z.number().int().optional(),
  throughput: z.number().int().min(125).max(2000).optional(),
  encrypted: z.boolean().optional(),
  encryptionKey: z.string().optional(),
});

export const InstanceMetadataOptions = z.strictObject({
  httpEndpoint: z.enum(['enabled', 'disabled']).optional(),
  httpProtocolIPv6: z.enum(['enabled', 'disabled']).optional(),
  httpPutResponseHopLimit: z.number().int().min(1).max(64).optional(),
  httpTokens: z.enum(['optional', 'required']).optional(),
  instanceMetadataTags: z.enum(['enabled', 'disabled']).optional(),
});

export const Ignition = z.strictObject({
  version: z.enum(['2.3', '3.0', '3.1', '3.2', '3.3', '3.4']).optional(),
  storageType: z.enum(['ClusterObjectStore', 'UnencryptedUserData']).optional(),
  proxy: z
    .strictObject({
      httpProxy: z.string().optional(),
      httpsProxy: z.string().optional(),
      noProxy: z.array(z.string()).optional(),
    })
    .optional(),
  tls: z.strictObject({ certificateAuthorities: z.array(z.string()).optional() }).optional(),
});

export const AWSMachineSpec = z.strictObject({
  providerID: z.string().optional(),
  instanceID: z.string().optional(),
  ami: z
    .strictObject({
      id: z.string().optional(),
      eksLookupType: z.enum(['AmazonLinux', 'AmazonLinuxGPU']).optional(),
    })
    .optional(),
  imageLookupFormat: z.string().optional(),
  imageLookupOrg: z.string().optional(),
  imageLookupBaseOS: z.string().optional(),
  instanceType: z.string().min(2),
  additionalTags: Tags.optional(),
  iamInstanceProfile: z.string().optional(),
  publicIP: z.boolean().optional(),
  elasticIpPool: z
    .strictObject({
      publicIpv4Pool: z.string().optional(),
      publicIpv4PoolFallbackOrder: z.enum(['AmazonPool', 'None']).optional(),
    })
    .optional(),
  additionalSecurityGroups: z.array(AWSResourceReference).optional(),
  subnet: AWSResourceReference.optional(),
  securityGroupOverrides: z.record(z.string(), z.string()).optional(),
  sshKeyName: z.string().optional(),
  rootVolume: Volume.optional(),
  nonRootVolumes: z.array(Volume).optional(),
  networkInterfaces: z.array(z.string()).max(2).optional(),
  networkInterfaceType: z.enum(['interface', 'efa']).optional(),
  uncompressedUserData: z.boolean().optional(),
  cloudInit: z
    .strictObject({
      insecureSkipSecretsManager: z.boolean().optional(),
      secretCount: z.number().int().optional(),
      secretPrefix: z.string().optional(),
      secureSecretsBackend: z.enum(['secrets-manager', 'ssm-parameter-store']).optional(),
    })
    .optional(),
  ignition: Ignition.optional(),
  spotMarketOptions: z.strictObject({ maxPrice: z.string().optional() }).optional(),
  placementGroupName: z.string().optional(),
  placementGroupPartition: z.number().int().min(1).max(7).optional(),
  tenancy: z.enum(['default', 'dedicated', 'host']).optional(),
  privateDnsName: z
    .strictObject({
      enableResourceNameDnsAAAARecord: z.boolean().optional(),
      enableResourceNameDnsARecord: z.boolean().optional(),
      hostnameType: z.enum(['ip-name', 'resource-name']).optional(),
    })
    .optional(),
  capacityReservationId: z.string().optional(),
  capacityReservationPreference: z.enum(['CapacityReservationsOnly', 'Open', 'None']).optional(),
  marketType: z.enum(['OnDemand', 'Spot', 'CapacityBlock']).optional(),
  hostID: z.string().optional(),
  hostAffinity: z.enum(['default', 'host']).optional(),
  dynamicHostAllocation: z.strictObject({ tags: Tags.optional() }).optional(),
  instanceMetadataOptions: InstanceMetadataOptions.optional(),
  cpuOptions: z
    .strictObject({
      confidentialCompute: z.enum(['Disabled', 'AMDEncryptedVirtualizationNestedPaging']).optional(),
    })
    .optional(),
});
export type AWSMachineSpec = z.infer<typeof AWSMachineSpec>;

export const AWSMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  interruptible: z.boolean().optional(),
  addresses: z.array(MachineAddress).optional(),
  instanceState: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
  dedicatedHost: z.strictObject({ id: z.string().optional() }).optional(),
});

export const AWSMachine = kindSchema({ spec: AWSMachineSpec, status: AWSMachineStatus.optional() });
export type AWSMachine = z.infer<typeof AWSMachine>;

export const AWSMachineTemplate = kindSchema({
  spec: machineTemplateSpec(AWSMachineSpec),
  status: z.strictObject({ capacity: z.record(z.string(), z.string()).optional() }).optional(),
});
export type AWSMachineTemplate = z.infer<typeof AWSMachineTemplate>;

const SubnetSpec = z.strictObject({
  id: z.string().optional(),
  resourceID: z.string().optional(),
  cidrBlock: z.string().optional(),
  availabilityZone: z.string().optional(),
  isPublic: z.boolean().optional(),
  routeTableId: z.string().optional(),
  natGatewayId: z.string().optional(),
  tags: Tags.optional(),
});

export const AWSClusterSpec = z.strictObject({
  network: z
    .strictObject({
      vpc: z
        .strictObject({ id: z.string().optional(), cidrBlock: z.string().optional(), tags: Tags.optional() })
        .optional(),
      subnets: z.array(SubnetSpec).optional(),
      securityGroupOverrides: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  region: z.string().optional(),
  partition: z.string().optional(),
  sshKeyName: z.string().optional(),
  controlPlaneEndpoint: APIEndpoint.optional(),
  additionalTags: Tags.optional(),
  controlPlaneLoadBalancer: z
    .strictObject({
      name: z.string().optional(),
      scheme: z.enum(['internet-facing', 'internal']).optional(),
      loadBalancerType: z.enum(['classic', 'elb', 'alb', 'nlb', 'disabled']).optional(),
      subnets: z.array(z.string()).optional(),
    })
    .optional(),
  imageLookupFormat: z.string().optional(),
  imageLookupOrg: z.string().optional(),
  imageLookupBaseOS: z.string().optional(),
  identityRef: z
    .strictObject({
      kind: z.enum(['AWSClusterControllerIdentity', 'AWSClusterRoleIdentity', 'AWSClusterStaticIdentity']),
      name: z.string().min(1),
    })
    .optional(),
  s3Bucket: z
    .strictObject({
      name: z.string().min(3).max(63),
      controlPlaneIAMInstanceProfile: z.string().optional(),
      nodesIAMInstanceProfiles: z.array(z.string()).optional(),
      presignedURLDuration: z.string().optional(),
      bestEffortDeleteObjects: z.boolean().optional(),
    })
    .optional(),
});

export const AWSClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  networkStatus: z.record(z.string(), z.unknown()).meta({ 'x-kubernetes-preserve-unknown-fields': true }).optional(),
  failureDomains: FailureDomains.optional(),
  conditions: Conditions.optional(),
});

export const AWSCluster = kindSchema({ spec: AWSClusterSpec.optional(), status: AWSClusterStatus.optional() });
export type AWSCluster = z.infer<typeof AWSCluster>;

const labels = contractLabel(['v1beta1', 'v1beta2']);

/** v1beta2 is stored; v1beta1 is served with the same schema (conversion None) for the docs' manifests. */
function awsVersions(schema: z.ZodType, printerColumns: KindVersion['printerColumns']): KindVersion[] {
  return [
    { name: 'v1beta2', storage: true, schema, printerColumns },
    { name: 'v1beta1', storage: false, schema, printerColumns },
  ];
}

export const awsKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'AWSCluster',
    plural: 'awsclusters',
    singular: 'awscluster',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'aws',
    labels,
    versions: awsVersions(
      AWSCluster,
      infraClusterColumns([
        { name: 'VPC', type: 'string', jsonPath: '.spec.network.vpc.id', description: 'AWS VPC the cluster is using' },
        {
          name: 'Endpoint',
          type: 'string',
          jsonPath: '.spec.controlPlaneEndpoint.host',
          description: 'API Endpoint',
          priority: 1,
        },
      ]),
    ),
  },
  {
    group: INFRA_GROUP,
    kind: 'AWSMachine',
    plural: 'awsmachines',
    singular: 'awsmachine',
    scope: 'Namespaced',
    shortNames: ['awsm'],
    categories: ['cluster-api'],
    provider: 'aws',
    labels,
    versions: awsVersions(
      AWSMachine,
      infraMachineColumns([
        { name: 'State', type: 'string', jsonPath: '.status.instanceState', description: 'EC2 instance state' },
        {
          name: 'InstanceID',
          type: 'string',
          jsonPath: '.spec.instanceID',
          description: 'EC2 instance ID',
          priority: 1,
        },
      ]),
    ),
  },
  {
    group: INFRA_GROUP,
    kind: 'AWSMachineTemplate',
    plural: 'awsmachinetemplates',
    singular: 'awsmachinetemplate',
    scope: 'Namespaced',
    shortNames: ['awsmt'],
    categories: ['cluster-api'],
    provider: 'aws',
    labels,
    versions: awsVersions(AWSMachineTemplate, TEMPLATE_COLUMNS),
  },
];
