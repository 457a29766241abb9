// Cluster API Provider OpenStack kinds, infrastructure.cluster.x-k8s.io/v1beta1 (openshift-capi.md §1.6, §2, §3;
// providers-openstack-vsphere-metal3.md §1). Fields follow CAPO's api/v1beta1 (v0.14 line, the one OpenShift 4.22
// vendors). `{id | filter}` parameters take exactly one alternative, like upstream's MinProperties/MaxProperties=1.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { TypedLocalObjectReference } from '../meta.ts';
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

export { OPENSTACK_PROVIDER_ID_PREFIX, OpenStackClusterFinalizer, OpenStackMachineFinalizer } from './constants.ts';

/** Nova server statuses CAPO copies into `status.instanceState` (no CRD enum upstream). */
export const OpenStackInstanceStates = ['BUILD', 'ACTIVE', 'ERROR', 'SHUTOFF', 'DELETED', 'SOFT_DELETED'] as const;

const UUID = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a UUID');
const NeutronTag = z
  .string()
  .min(1)
  .regex(/^[^,]+$/, 'must not contain ","');

const neutronTags = {
  tags: z.array(NeutronTag).optional(),
  tagsAny: z.array(NeutronTag).optional(),
  notTags: z.array(NeutronTag).optional(),
  notTagsAny: z.array(NeutronTag).optional(),
};

export const OpenStackIdentityReference = z.strictObject({
  type: z.enum(['Secret', 'ClusterIdentity']).optional(),
  /** A Secret in the object's namespace holding `clouds.yaml` (OpenShift: `openstack-cloud-credentials`). */
  name: z.string().min(1),
  /** The entry of `clouds.yaml` to use (OpenShift: `openstack`). */
  cloudName: z.string().min(1),
  region: z.string().optional(),
});

export const NetworkParam = exactlyOne({
  id: UUID.optional(),
  filter: z
    .strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      projectID: z.string().optional(),
      ...neutronTags,
    })
    .optional(),
});

export const SubnetParam = exactlyOne({
  id: UUID.optional(),
  filter: z
    .strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      projectID: z.string().optional(),
      ipVersion: z.number().int().optional(),
      gatewayIP: z.string().optional(),
      cidr: z.string().optional(),
      ipv6AddressMode: z.string().optional(),
      ipv6RAMode: z.string().optional(),
      ...neutronTags,
    })
    .optional(),
});

export const SecurityGroupParam = exactlyOne({
  id: UUID.optional(),
  filter: z
    .strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      projectID: z.string().optional(),
      ...neutronTags,
    })
    .optional(),
});

export const RouterParam = exactlyOne({
  id: UUID.optional(),
  filter: z
    .strictObject({
      name: z.string().optional(),
      description: z.string().optional(),
      projectID: z.string().optional(),
      ...neutronTags,
    })
    .optional(),
});

export const ImageParam = exactlyOne({
  id: UUID.optional(),
  filter: z.strictObject({ name: z.string().optional(), tags: z.array(z.string()).optional() }).optional(),
  /** An ORC `Image` object in the same namespace. */
  imageRef: z.strictObject({ name: z.string().min(1) }).optional(),
});

const ServerGroupParam = exactlyOne({
  id: UUID.optional(),
  filter: z.strictObject({ name: z.string().optional() }).optional(),
});

const AddressPair = z.strictObject({ ipAddress: z.string().min(1), macAddress: z.string().optional() });
const BindingProfile = z.strictObject({ ovsHWOffload: z.boolean().optional(), trusted: z.boolean().optional() });
const ValueSpec = z.strictObject({ name: z.string(), key: z.string(), value: z.string() });

const resolvedPortSpecFields = {
  adminStateUp: z.boolean().optional(),
  macAddress: z.string().optional(),
  allowedAddressPairs: z.array(AddressPair).optional(),
  hostID: z.string().optional(),
  vnicType: z.string().optional(),
  profile: BindingProfile.optional(),
  disablePortSecurity: z.boolean().optional(),
  propagateUplinkStatus: z.boolean().optional(),
  valueSpecs: z.array(ValueSpec).optional(),
};

export const PortOpts = z.strictObject({
  network: NetworkParam.optional(),
  description: z.string().optional(),
  nameSuffix: z.string().optional(),
  fixedIPs: z.array(z.strictObject({ subnet: SubnetParam.optional(), ipAddress: z.string().optional() })).optional(),
  securityGroups: z.array(SecurityGroupParam).optional(),
  tags: z.array(z.string()).optional(),
  trunk: z.boolean().optional(),
  ...resolvedPortSpecFields,
});

const VolumeAvailabilityZone = z.strictObject({
  from: z.enum(['Name', 'Machine']).optional(),
  name: z.string().optional(),
});

const BlockDeviceVolume = z.strictObject({
  type: z.string().optional(),
  availabilityZone: VolumeAvailabilityZone.optional(),
});

export const OpenStackMachineSpec = z.strictObject({
  providerID: z.string().optional(),
  flavor: z.string().min(1).optional(),
  flavorID: z.string().min(1).optional(),
  image: ImageParam,
  sshKeyName: z.string().optional(),
  ports: z.array(PortOpts).optional(),
  securityGroups: z.array(SecurityGroupParam).optional(),
  trunk: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  serverMetadata: z.array(z.strictObject({ key: z.string().max(255), value: z.string().max(255) })).optional(),
  configDrive: z.boolean().optional(),
  rootVolume: z
    .strictObject({
      sizeGiB: z.number().int().min(1),
      type: z.string().optional(),
      availabilityZone: VolumeAvailabilityZone.optional(),
    })
    .optional(),
  additionalBlockDevices: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        sizeGiB: z.number().int().min(1),
        storage: z.strictObject({
          type: z.enum(['Volume', 'Local']),
          volume: BlockDeviceVolume.optional(),
        }),
      }),
    )
    .optional(),
  serverGroup: ServerGroupParam.optional(),
  identityRef: OpenStackIdentityReference.optional(),
  floatingIPPoolRef: TypedLocalObjectReference.optional(),
  schedulerHintAdditionalProperties: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        value: z.strictObject({
          type: z.enum(['Bool', 'String', 'Number']),
          bool: z.boolean().optional(),
          number: z.number().int().optional(),
          string: z.string().optional(),
        }),
      }),
    )
    .optional(),
});
export type OpenStackMachineSpec = z.infer<typeof OpenStackMachineSpec>;

/** What CAPO resolved the machine's references to, written once before any create. */
export const ResolvedMachineSpec = z.strictObject({
  serverGroupID: z.string().optional(),
  imageID: z.string().optional(),
  flavorID: z.string().optional(),
  ports: z
    .array(
      z.strictObject({
        name: z.string(),
        description: z.string(),
        networkID: z.string(),
        tags: z.array(z.string()).optional(),
        trunk: z.boolean().optional(),
        fixedIPs: z
          .array(z.strictObject({ subnet: z.string().optional(), ipAddress: z.string().optional() }))
          .optional(),
        securityGroups: z.array(z.string()).optional(),
        ...resolvedPortSpecFields,
      }),
    )
    .optional(),
});

export const MachineResources = z.strictObject({
  ports: z.array(z.strictObject({ id: z.string() })).optional(),
});

export const OpenStackMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  initialization: z.strictObject({ provisioned: z.boolean().optional() }).optional(),
  instanceID: z.string().optional(),
  addresses: z.array(MachineAddress).optional(),
  instanceState: z.string().optional(),
  resolved: ResolvedMachineSpec.optional(),
  resources: MachineResources.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const OpenStackMachine = kindSchema({ spec: OpenStackMachineSpec, status: OpenStackMachineStatus.optional() });
export type OpenStackMachine = z.infer<typeof OpenStackMachine>;

export const OpenStackMachineTemplate = kindSchema({ spec: machineTemplateSpec(OpenStackMachineSpec) });
export type OpenStackMachineTemplate = z.infer<typeof OpenStackMachineTemplate>;

const SecurityGroupRuleSpec = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  direction: z.enum(['ingress', 'egress']),
  etherType: z.enum(['IPv4', 'IPv6']).optional(),
  portRangeMin: z.number().int().optional(),
  portRangeMax: z.number().int().optional(),
  protocol: z.string().optional(),
  remoteGroupID: z.string().optional(),
  remoteIPPrefix: z.string().optional(),
  remoteManagedGroups: z.array(z.enum(['bastion', 'controlplane', 'worker'])).optional(),
});

export const OpenStackClusterSpec = z.strictObject({
  managedSubnets: z
    .array(
      z.strictObject({
        cidr: z.string().min(1),
        dnsNameservers: z.array(z.string()).optional(),
        allocationPools: z.array(z.strictObject({ start: z.string(), end: z.string() })).optional(),
      }),
    )
    .max(1)
    .optional(),
  router: RouterParam.optional(),
  network: NetworkParam.optional(),
  subnets: z.array(SubnetParam).max(2).optional(),
  networkMTU: z.number().int().optional(),
  externalRouterIPs: z.array(z.strictObject({ fixedIP: z.string().optional(), subnet: SubnetParam })).optional(),
  externalNetwork: NetworkParam.optional(),
  disableExternalNetwork: z.boolean().optional(),
  apiServerLoadBalancer: z
    .strictObject({
      enabled: z.boolean().optional(),
      additionalPorts: z.array(z.number().int()).optional(),
      allowedCIDRs: z.array(z.string()).optional(),
      provider: z.string().optional(),
      network: NetworkParam.optional(),
      subnets: z.array(SubnetParam).max(2).optional(),
      availabilityZones: z.array(z.string()).optional(),
      flavor: z.string().optional(),
    })
    .optional(),
  disableAPIServerFloatingIP: z.boolean().optional(),
  apiServerFloatingIP: z.string().optional(),
  apiServerFixedIP: z.string().optional(),
  apiServerPort: z.number().int().min(1).max(65535).optional(),
  managedSecurityGroups: z
    .strictObject({
      allNodesSecurityGroupRules: z.array(SecurityGroupRuleSpec).optional(),
      controlPlaneNodesSecurityGroupRules: z.array(SecurityGroupRuleSpec).optional(),
      workerNodesSecurityGroupRules: z.array(SecurityGroupRuleSpec).optional(),
      allowAllInClusterTraffic: z.boolean(),
    })
    .optional(),
  disablePortSecurity: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  /** An object {host, port} (the OpenShift docs' scalar form is a documentation error, §2). */
  controlPlaneEndpoint: APIEndpoint.optional(),
  controlPlaneAvailabilityZones: z.array(z.string()).optional(),
  controlPlaneOmitAvailabilityZone: z.boolean().optional(),
  bastion: z
    .strictObject({
      enabled: z.boolean().optional(),
      spec: OpenStackMachineSpec.optional(),
      availabilityZone: z.string().optional(),
      floatingIP: z.string().optional(),
    })
    .optional(),
  identityRef: OpenStackIdentityReference,
});
export type OpenStackClusterSpec = z.infer<typeof OpenStackClusterSpec>;

const NetworkStatus = z.strictObject({
  id: z.string(),
  name: z.string(),
  tags: z.array(z.string()).optional(),
});

const SecurityGroupStatus = z.strictObject({
  id: z.string(),
  name: z.string(),
  rules: z
    .array(
      z.strictObject({
        id: z.string(),
        description: z.string().optional(),
        direction: z.string(),
        etherType: z.string().optional(),
        securityGroupID: z.string(),
        portRangeMin: z.number().int().optional(),
        portRangeMax: z.number().int().optional(),
        protocol: z.string().optional(),
        remoteGroupID: z.string().optional(),
        remoteIPPrefix: z.string().optional(),
      }),
    )
    .optional(),
});

export const OpenStackClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  initialization: z.strictObject({ provisioned: z.boolean().optional() }).optional(),
  network: NetworkStatus.extend({
    subnets: z
      .array(
        z.strictObject({
          id: z.string(),
          name: z.string(),
          cidr: z.string(),
          tags: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  }).optional(),
  externalNetwork: NetworkStatus.optional(),
  router: z
    .strictObject({
      id: z.string(),
      name: z.string(),
      tags: z.array(z.string()).optional(),
      ips: z.array(z.string()).optional(),
    })
    .optional(),
  apiServerLoadBalancer: z
    .strictObject({
      id: z.string(),
      name: z.string(),
      ip: z.string(),
      internalIP: z.string(),
      allowedCIDRs: z.array(z.string()).optional(),
      tags: z.array(z.string()).optional(),
      loadBalancerNetwork: NetworkStatus.optional(),
    })
    .optional(),
  failureDomains: FailureDomains.optional(),
  controlPlaneSecurityGroup: SecurityGroupStatus.optional(),
  workerSecurityGroup: SecurityGroupStatus.optional(),
  bastionSecurityGroup: SecurityGroupStatus.optional(),
  bastion: z
    .strictObject({
      id: z.string().optional(),
      name: z.string().optional(),
      sshKeyName: z.string().optional(),
      state: z.string().optional(),
      ip: z.string().optional(),
      floatingIP: z.string().optional(),
      resolved: ResolvedMachineSpec.optional(),
      resources: MachineResources.optional(),
    })
    .optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const OpenStackCluster = kindSchema({ spec: OpenStackClusterSpec, status: OpenStackClusterStatus.optional() });
export type OpenStackCluster = z.infer<typeof OpenStackCluster>;

const labels = contractLabel(['v1beta1']);

export const openstackKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'OpenStackCluster',
    plural: 'openstackclusters',
    singular: 'openstackcluster',
    scope: 'Namespaced',
    shortNames: ['osc'],
    categories: ['cluster-api'],
    provider: 'openstack',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: OpenStackCluster,
        printerColumns: infraClusterColumns([
          {
            name: 'Network',
            type: 'string',
            jsonPath: '.status.network.id',
            description: 'Network the cluster is using',
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
    kind: 'OpenStackMachine',
    plural: 'openstackmachines',
    singular: 'openstackmachine',
    scope: 'Namespaced',
    shortNames: ['osm'],
    categories: ['cluster-api'],
    provider: 'openstack',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: OpenStackMachine,
        printerColumns: infraMachineColumns([
          {
            name: 'InstanceState',
            type: 'string',
            jsonPath: '.status.instanceState',
            description: 'OpenStack instance state',
          },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'OpenStackMachineTemplate',
    plural: 'openstackmachinetemplates',
    singular: 'openstackmachinetemplate',
    scope: 'Namespaced',
    shortNames: ['osmt'],
    categories: ['cluster-api'],
    provider: 'openstack',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: OpenStackMachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
];
