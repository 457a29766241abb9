// Cluster API Provider vSphere kinds, infrastructure.cluster.x-k8s.io/v1beta1 (openshift-capi.md §1.6, §2, §3;
// providers-openstack-vsphere-metal3.md §2). Fields follow CAPV's apis/v1beta1 (v1.15 line, the one OpenShift 4.22
// vendors): the shared clone spec plus the machine-only fields.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { AGE_COLUMN, contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { Duration, LabelSelector, ObjectReference, Quantity, TypedLocalObjectReference } from '../meta.ts';
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

export { VSPHERE_PROVIDER_ID_PREFIX, VSphereClusterFinalizer, VSphereMachineFinalizer } from './constants.ts';

const NetworkRouteSpec = z.strictObject({
  to: z.string(),
  via: z.string(),
  metric: z.number().int(),
});

const DHCPOverrides = z.strictObject({
  hostname: z.string().optional(),
  routeMetric: z.number().int().optional(),
  sendHostname: z.boolean().optional(),
  useDNS: z.boolean().optional(),
  useDomains: z.string().optional(),
  useHostname: z.boolean().optional(),
  useMTU: z.boolean().optional(),
  useNTP: z.boolean().optional(),
  useRoutes: z.string().optional(),
});

export const NetworkDeviceSpec = z.strictObject({
  networkName: z.string(),
  deviceName: z.string().optional(),
  dhcp4: z.boolean().optional(),
  dhcp6: z.boolean().optional(),
  gateway4: z.string().optional(),
  gateway6: z.string().optional(),
  /** Static addresses in CIDR form, e.g. `192.168.4.21/24`. */
  ipAddrs: z.array(z.string()).optional(),
  mtu: z.number().int().optional(),
  macAddr: z.string().optional(),
  nameservers: z.array(z.string()).optional(),
  routes: z.array(NetworkRouteSpec).optional(),
  searchDomains: z.array(z.string()).optional(),
  addressesFromPools: z.array(TypedLocalObjectReference).optional(),
  dhcp4Overrides: DHCPOverrides.optional(),
  dhcp6Overrides: DHCPOverrides.optional(),
  skipIPAllocation: z.boolean().optional(),
});

const ResourceList = z.strictObject({ cpu: Quantity.optional(), memory: Quantity.optional() });

/** The clone spec CAPV shares between VSphereMachine and VSphereVM. */
const virtualMachineCloneSpec = {
  template: z.string().min(1),
  cloneMode: z.enum(['linkedClone', 'fullClone']).optional(),
  snapshot: z.string().optional(),
  server: z.string().optional(),
  thumbprint: z.string().optional(),
  datacenter: z.string().optional(),
  folder: z.string().optional(),
  datastore: z.string().optional(),
  storagePolicyName: z.string().optional(),
  resourcePool: z.string().optional(),
  network: z
    .strictObject({
      devices: z.array(NetworkDeviceSpec),
      routes: z.array(NetworkRouteSpec).optional(),
      preferredAPIServerCidr: z.string().optional(),
    })
    .optional(),
  numCPUs: z.number().int().optional(),
  numCoresPerSocket: z.number().int().optional(),
  resources: z
    .strictObject({
      requests: ResourceList.optional(),
      limits: ResourceList.optional(),
      shares: z.strictObject({ cpu: z.number().int().optional(), memory: z.number().int().optional() }).optional(),
    })
    .optional(),
  memoryMiB: z.number().int().optional(),
  diskGiB: z.number().int().optional(),
  additionalDisksGiB: z.array(z.number().int()).optional(),
  customVMXKeys: z.record(z.string(), z.string()).optional(),
  tagIDs: z.array(z.string()).optional(),
  pciDevices: z
    .array(
      z.strictObject({
        deviceId: z.number().int().optional(),
        vendorId: z.number().int().optional(),
        vGPUProfile: z.string().optional(),
        customLabel: z.string().optional(),
      }),
    )
    .optional(),
  os: z.enum(['Linux', 'Windows']).optional(),
  hardwareVersion: z
    .string()
    .regex(/^vmx-[0-9]+$/, 'must look like "vmx-15"')
    .optional(),
  dataDisks: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        sizeGiB: z.number().int().min(1),
        provisioningMode: z.enum(['Thin', 'Thick', 'EagerlyZeroed']).optional(),
      }),
    )
    .optional(),
};

export const VSphereMachineSpec = z.strictObject({
  ...virtualMachineCloneSpec,
  providerID: z.string().optional(),
  /** Names a VSphereDeploymentZone; a string, never the list the OpenShift docs show (§2 doc errors). */
  failureDomain: z.string().optional(),
  powerOffMode: z.enum(['hard', 'soft', 'trySoft']).optional(),
  guestSoftPowerOffTimeout: Duration.optional(),
  namingStrategy: z.strictObject({ template: z.string().optional() }).optional(),
});
export type VSphereMachineSpec = z.infer<typeof VSphereMachineSpec>;

export const VSphereMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  addresses: z.array(MachineAddress).optional(),
  network: z
    .array(
      z.strictObject({
        connected: z.boolean().optional(),
        ipAddrs: z.array(z.string()).optional(),
        macAddr: z.string(),
        networkName: z.string().optional(),
      }),
    )
    .optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
  // What CAPV keeps on the VSphereVM: capi-fn reconciles the VM from the VSphereMachine and keeps them here.
  /** The VM's power state (`poweredOn`, `poweredOff`, `suspended`) or `cloning`. */
  vmstate: z.string().optional(),
  /** The vCenter task in flight for this machine (`task-42`), followed across invocations. */
  taskRef: z.string().optional(),
  /** What the task does: `clone`, `reconfigure` or `powerOn`. */
  taskKind: z.string().optional(),
  /** The VM's managed object ID (`vm-42`). */
  vmRef: z.string().optional(),
  cloneMode: z.enum(['linkedClone', 'fullClone']).optional(),
  snapshot: z.string().optional(),
  /** After a failed task, when to try the step again (CAPV: one minute later). */
  retryAfter: z.string().optional(),
});

export const VSphereMachine = kindSchema({ spec: VSphereMachineSpec, status: VSphereMachineStatus.optional() });
export type VSphereMachine = z.infer<typeof VSphereMachine>;

export const VSphereMachineTemplate = kindSchema({ spec: machineTemplateSpec(VSphereMachineSpec) });
export type VSphereMachineTemplate = z.infer<typeof VSphereMachineTemplate>;

export const VSphereClusterSpec = z.strictObject({
  /** vCenter address (IP or FQDN); OpenShift: `spec.platformSpec.vsphere.vcenters[0].server`. */
  server: z.string().optional(),
  thumbprint: z.string().optional(),
  controlPlaneEndpoint: APIEndpoint.optional(),
  identityRef: z
    .strictObject({
      kind: z.enum(['VSphereClusterIdentity', 'Secret']),
      name: z.string().min(1),
    })
    .optional(),
  clusterModules: z
    .array(
      z.strictObject({
        controlPlane: z.boolean(),
        targetObjectName: z.string(),
        moduleUUID: z.string(),
      }),
    )
    .optional(),
  disableClusterModule: z.boolean().optional(),
  failureDomainSelector: LabelSelector.optional(),
});
export type VSphereClusterSpec = z.infer<typeof VSphereClusterSpec>;

export const VSphereClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  failureDomains: FailureDomains.optional(),
  vCenterVersion: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const VSphereCluster = kindSchema({
  spec: VSphereClusterSpec.optional(),
  status: VSphereClusterStatus.optional(),
});
export type VSphereCluster = z.infer<typeof VSphereCluster>;

/**
 * CAPV's VSphereVM: one per VSphereMachine, of the same name and owned by it, carrying the clone spec (placement
 * resolved from the failure domain), the bootstrap data reference and what capi-fn knows of the VM. capi-fn's
 * VSphereMachine reconcile writes it before the clone and mirrors the VM into its status; it is a record (the
 * reconcile and the task following live on the VSphereMachine), deleted with its VSphereMachine.
 */
export const VSphereVMSpec = z.strictObject({
  ...virtualMachineCloneSpec,
  bootstrapRef: ObjectReference.optional(),
  biosUUID: z.string().optional(),
  powerOffMode: z.enum(['hard', 'soft', 'trySoft']).optional(),
  guestSoftPowerOffTimeout: Duration.optional(),
});

export const VSphereVMStatus = z.strictObject({
  ready: z.boolean().optional(),
  /** Every IP address of the VM (CAPV: plain strings). */
  addresses: z.array(z.string()).optional(),
  cloneMode: z.enum(['linkedClone', 'fullClone']).optional(),
  snapshot: z.string().optional(),
  retryAfter: z.string().optional(),
  taskRef: z.string().optional(),
  network: VSphereMachineStatus.shape.network,
  vmRef: z.string().optional(),
  vmstate: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const VSphereVM = kindSchema({ spec: VSphereVMSpec, status: VSphereVMStatus.optional() });
export type VSphereVM = z.infer<typeof VSphereVM>;

/**
 * CAPV's failure domain (cluster-scoped): where in vCenter a zone is. capi-fn reads `topology` when a Machine's
 * failureDomain names a VSphereDeploymentZone that points here; region/zone tagging is vCenter's, not checked.
 */
export const VSphereFailureDomainSpec = z.strictObject({
  region: z
    .strictObject({
      name: z.string(),
      type: z.enum(['Datacenter', 'ComputeCluster', 'HostGroup']),
      tagCategory: z.string(),
      autoConfigure: z.boolean().optional(),
    })
    .optional(),
  zone: z
    .strictObject({
      name: z.string(),
      type: z.enum(['Datacenter', 'ComputeCluster', 'HostGroup']),
      tagCategory: z.string(),
      autoConfigure: z.boolean().optional(),
    })
    .optional(),
  topology: z.strictObject({
    datacenter: z.string().min(1),
    computeCluster: z.string().optional(),
    hosts: z.strictObject({ vmGroupName: z.string(), hostGroupName: z.string() }).optional(),
    networks: z.array(z.string()).optional(),
    datastore: z.string().optional(),
  }),
});

export const VSphereFailureDomain = kindSchema({ spec: VSphereFailureDomainSpec });
export type VSphereFailureDomain = z.infer<typeof VSphereFailureDomain>;

/** CAPV's deployment zone (cluster-scoped): the name a Machine's failureDomain gives, and where its VMs go. */
export const VSphereDeploymentZoneSpec = z.strictObject({
  server: z.string().optional(),
  failureDomain: z.string().optional(),
  controlPlane: z.boolean().optional(),
  placementConstraint: z
    .strictObject({ resourcePool: z.string().optional(), folder: z.string().optional() })
    .optional(),
});

export const VSphereDeploymentZone = kindSchema({
  spec: VSphereDeploymentZoneSpec,
  status: z.strictObject({ ready: z.boolean().optional(), conditions: Conditions.optional() }).optional(),
});
export type VSphereDeploymentZone = z.infer<typeof VSphereDeploymentZone>;

const labels = contractLabel(['v1beta1']);

export const vsphereKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'VSphereCluster',
    plural: 'vsphereclusters',
    singular: 'vspherecluster',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: VSphereCluster,
        printerColumns: infraClusterColumns([
          {
            name: 'Server',
            type: 'string',
            jsonPath: '.spec.server',
            description: 'Server is the address of the vSphere endpoint',
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
    kind: 'VSphereMachine',
    plural: 'vspheremachines',
    singular: 'vspheremachine',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: VSphereMachine, printerColumns: infraMachineColumns() }],
  },
  {
    group: INFRA_GROUP,
    kind: 'VSphereMachineTemplate',
    plural: 'vspheremachinetemplates',
    singular: 'vspheremachinetemplate',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: VSphereMachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
  {
    group: INFRA_GROUP,
    kind: 'VSphereVM',
    plural: 'vspherevms',
    singular: 'vspherevm',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: VSphereVM,
        printerColumns: [
          { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
          { name: 'VMState', type: 'string', jsonPath: '.status.vmstate' },
          { name: 'BIOS UUID', type: 'string', jsonPath: '.spec.biosUUID', priority: 1 },
          AGE_COLUMN,
        ],
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'VSphereFailureDomain',
    plural: 'vspherefailuredomains',
    singular: 'vspherefailuredomain',
    scope: 'Cluster',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: VSphereFailureDomain,
        printerColumns: [
          { name: 'Datacenter', type: 'string', jsonPath: '.spec.topology.datacenter' },
          { name: 'ComputeCluster', type: 'string', jsonPath: '.spec.topology.computeCluster' },
          AGE_COLUMN,
        ],
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'VSphereDeploymentZone',
    plural: 'vspheredeploymentzones',
    singular: 'vspheredeploymentzone',
    scope: 'Cluster',
    categories: ['cluster-api'],
    provider: 'vsphere',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: VSphereDeploymentZone,
        printerColumns: [
          { name: 'VSphereFailureDomain', type: 'string', jsonPath: '.spec.failureDomain' },
          { name: 'ControlPlane', type: 'boolean', jsonPath: '.spec.controlPlane' },
          { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
          AGE_COLUMN,
        ],
      },
    ],
  },
];
