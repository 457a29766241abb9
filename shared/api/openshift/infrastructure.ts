// config.openshift.io/v1 Infrastructure (cluster-scoped singleton `cluster`): the platform the cluster runs on and
// the cluster ID the operator names the Cluster and InfraCluster after (openshift-capi.md §1.3, §1.6; openshift/api
// config/v1 types_infrastructure.go). `Local` is capi-fn's extension for its embedded default (constants.ts).
import * as z from 'zod';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { AzureCloudNames, CONFIG_GROUP, PlatformTypes, TopologyModes } from './constants.ts';

const PlatformType = z.enum(PlatformTypes);

const ServiceEndpoint = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, 'must consist of lower-case letters, digits and "-"'),
  url: z.string().regex(/^https:\/\//, 'must be an https:// URL'),
});
const ServiceEndpoints = z.array(ServiceEndpoint);
const IPs = z.array(z.string()).max(2);
const ResourceTag = z.strictObject({ key: z.string().min(1).max(128), value: z.string().min(1).max(256) });

const onPremSpec = z.strictObject({
  apiServerInternalIPs: IPs.optional(),
  ingressIPs: IPs.optional(),
  machineNetworks: z.array(z.string()).optional(),
});

const VSpherePlatformFailureDomain = z.strictObject({
  name: z.string().min(1).max(256),
  region: z.string().min(1).max(80),
  zone: z.string().min(1).max(80),
  server: z.string().min(1).max(255),
  topology: z.strictObject({
    datacenter: z.string().max(80),
    computeCluster: z.string().max(2048),
    networks: z.array(z.string()),
    datastore: z.string().max(2048),
    resourcePool: z.string().max(2048).optional(),
    folder: z.string().max(2048).optional(),
    template: z.string().max(2048).optional(),
  }),
});

const VSpherePlatformNodeNetworkingSpec = z.strictObject({
  network: z.string().optional(),
  networkSubnetCidr: z.array(z.string()).optional(),
  excludeNetworkSubnetCidr: z.array(z.string()).optional(),
});

export const PlatformSpec = z.strictObject({
  type: PlatformType,
  aws: z.strictObject({ serviceEndpoints: ServiceEndpoints.optional() }).optional(),
  azure: z.strictObject({}).optional(),
  gcp: z.strictObject({}).optional(),
  baremetal: onPremSpec.optional(),
  openstack: onPremSpec.optional(),
  ovirt: z.strictObject({}).optional(),
  vsphere: onPremSpec
    .extend({
      /** vCenters (at most 3); the operator's VSphereCluster `server` comes from `vcenters[0].server`. */
      vcenters: z
        .array(
          z.strictObject({
            server: z.string().min(1).max(255),
            port: z.number().int().min(1).max(32767).optional(),
            datacenters: z.array(z.string()).min(1),
          }),
        )
        .max(3)
        .optional(),
      failureDomains: z.array(VSpherePlatformFailureDomain).optional(),
      nodeNetworking: z
        .strictObject({
          external: VSpherePlatformNodeNetworkingSpec.optional(),
          internal: VSpherePlatformNodeNetworkingSpec.optional(),
        })
        .optional(),
    })
    .optional(),
  ibmcloud: z.strictObject({ serviceEndpoints: ServiceEndpoints.optional() }).optional(),
  kubevirt: z.strictObject({}).optional(),
  equinixMetal: z.strictObject({}).optional(),
  powervs: z.strictObject({ serviceEndpoints: ServiceEndpoints.optional() }).optional(),
  alibabaCloud: z.strictObject({}).optional(),
  nutanix: z
    .strictObject({
      prismCentral: z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535) }),
      prismElements: z.array(
        z.strictObject({
          name: z.string(),
          endpoint: z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535) }),
        }),
      ),
    })
    .optional(),
  external: z.strictObject({ platformName: z.string().optional() }).optional(),
});
export type PlatformSpec = z.infer<typeof PlatformSpec>;

const LoadBalancer = z.strictObject({ type: z.enum(['OpenShiftManagedDefault', 'UserManaged']).optional() });
const DNSRecordsType = z.enum(['Internal', 'External']);

const onPremStatus = {
  /** Deprecated: first entry of `apiServerInternalIPs`. */
  apiServerInternalIP: z.string().optional(),
  apiServerInternalIPs: IPs.optional(),
  ingressIP: z.string().optional(),
  ingressIPs: IPs.optional(),
  nodeDNSIP: z.string().optional(),
  loadBalancer: LoadBalancer.optional(),
  machineNetworks: z.array(z.string()).optional(),
  dnsRecordsType: DNSRecordsType.optional(),
};

const CloudLoadBalancerConfig = z.strictObject({
  dnsType: z.enum(['PlatformDefault', 'ClusterHosted']).optional(),
  clusterHosted: z
    .strictObject({
      apiIntLoadBalancerIPs: z.array(z.string()).optional(),
      apiLoadBalancerIPs: z.array(z.string()).optional(),
      ingressLoadBalancerIPs: z.array(z.string()).optional(),
    })
    .optional(),
});

export const PlatformStatus = z.strictObject({
  type: PlatformType,
  aws: z
    .strictObject({
      region: z.string(),
      serviceEndpoints: ServiceEndpoints.optional(),
      resourceTags: z.array(ResourceTag).max(25).optional(),
      cloudLoadBalancerConfig: CloudLoadBalancerConfig.optional(),
    })
    .optional(),
  azure: z
    .strictObject({
      resourceGroupName: z.string(),
      networkResourceGroupName: z.string().optional(),
      cloudName: z.enum(AzureCloudNames).optional(),
      armEndpoint: z.string().optional(),
      resourceTags: z.array(ResourceTag).max(10).optional(),
    })
    .optional(),
  gcp: z
    .strictObject({
      projectID: z.string(),
      region: z.string(),
      resourceLabels: z
        .array(z.strictObject({ key: z.string(), value: z.string() }))
        .max(32)
        .optional(),
      resourceTags: z
        .array(z.strictObject({ parentID: z.string(), key: z.string(), value: z.string() }))
        .max(50)
        .optional(),
      cloudLoadBalancerConfig: CloudLoadBalancerConfig.optional(),
    })
    .optional(),
  baremetal: z.strictObject(onPremStatus).optional(),
  openstack: z
    .strictObject({
      ...onPremStatus,
      /** The `clouds.yaml` entry (OpenShift: `openstack`). */
      cloudName: z.string().optional(),
    })
    .optional(),
  ovirt: z.strictObject(onPremStatus).optional(),
  vsphere: z.strictObject(onPremStatus).optional(),
  ibmcloud: z
    .strictObject({
      location: z.string().optional(),
      resourceGroupName: z.string().optional(),
      providerType: z.enum(['Classic', 'VPC', 'UPI']).optional(),
      cisInstanceCRN: z.string().optional(),
      dnsInstanceCRN: z.string().optional(),
      serviceEndpoints: ServiceEndpoints.optional(),
    })
    .optional(),
  kubevirt: z.strictObject({ apiServerInternalIP: z.string().optional(), ingressIP: z.string().optional() }).optional(),
  equinixMetal: z
    .strictObject({ apiServerInternalIP: z.string().optional(), ingressIP: z.string().optional() })
    .optional(),
  powervs: z
    .strictObject({
      region: z.string().optional(),
      zone: z.string().optional(),
      resourceGroup: z.string().optional(),
      serviceEndpoints: ServiceEndpoints.optional(),
      cisInstanceCRN: z.string().optional(),
      dnsInstanceCRN: z.string().optional(),
    })
    .optional(),
  alibabaCloud: z
    .strictObject({
      region: z.string(),
      resourceGroupID: z.string().optional(),
      resourceTags: z.array(ResourceTag).max(20).optional(),
    })
    .optional(),
  nutanix: z
    .strictObject({
      apiServerInternalIP: z.string().optional(),
      apiServerInternalIPs: IPs.optional(),
      ingressIP: z.string().optional(),
      ingressIPs: IPs.optional(),
      loadBalancer: LoadBalancer.optional(),
    })
    .optional(),
  external: z
    .strictObject({
      cloudControllerManager: z.strictObject({ state: z.enum(['', 'External', 'None']).optional() }).optional(),
    })
    .optional(),
});
export type PlatformStatus = z.infer<typeof PlatformStatus>;

export const InfrastructureSpec = z.strictObject({
  /** ConfigMap in `openshift-config` with the cloud provider configuration. */
  cloudConfig: z.strictObject({ name: z.string().optional(), key: z.string().optional() }).optional(),
  platformSpec: PlatformSpec.optional(),
});

export const InfrastructureStatus = z.strictObject({
  /** The cluster ID, e.g. `mycluster-x7k2p`: the name of the Cluster, InfraCluster and kubeconfig Secret. */
  infrastructureName: z.string().optional(),
  /** Deprecated: use `platformStatus.type`. */
  platform: PlatformType.optional(),
  platformStatus: PlatformStatus.optional(),
  etcdDiscoveryDomain: z.string().optional(),
  apiServerURL: z.string().optional(),
  /** JSON key `apiServerInternalURI`; the Go field is `APIServerInternalURL`. */
  apiServerInternalURI: z.string().optional(),
  controlPlaneTopology: z.enum(TopologyModes).optional(),
  infrastructureTopology: z.enum(['HighlyAvailable', 'SingleReplica']).optional(),
  cpuPartitioning: z.enum(['None', 'AllNodes']).optional(),
});
export type InfrastructureStatus = z.infer<typeof InfrastructureStatus>;

export const Infrastructure = kindSchema({ spec: InfrastructureSpec, status: InfrastructureStatus.optional() });
export type Infrastructure = z.infer<typeof Infrastructure>;

export const infrastructureKind: KindDefinition = {
  group: CONFIG_GROUP,
  kind: 'Infrastructure',
  plural: 'infrastructures',
  singular: 'infrastructure',
  scope: 'Cluster',
  provider: 'openshift',
  versions: [{ name: 'v1', storage: true, schema: Infrastructure, printerColumns: [AGE_COLUMN] }],
};
