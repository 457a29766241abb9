// Bare metal: Cluster API Provider Metal3 kinds (infrastructure.cluster.x-k8s.io/v1beta1, CAPM3 v1.11 API) and the
// baremetal-operator's BareMetalHost (metal3.io/v1alpha1) they claim (providers-openstack-vsphere-metal3.md §3,
// openshift-capi.md §1.6, §3).
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { MetaCondition } from '../conditions.ts';
import { AGE_COLUMN, contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { ObjectReference, preserved, SecretReference, Taint, Time } from '../meta.ts';
import { BMH_GROUP } from './constants.ts';
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

export {
  BareMetalHostAnnotation,
  BareMetalHostFinalizer,
  BMH_GROUP,
  BMHAnnotations,
  CAPM3_PAUSE_VALUE,
  METAL3_PROVIDER_ID_PREFIX,
  Metal3ClusterFinalizer,
  Metal3MachineFinalizer,
} from './constants.ts';
/** BareMetalHost `status.provisioning.state` values (BMO host state machine; no CRD enum upstream). */
export const BMHProvisioningStates = [
  '',
  'unmanaged',
  'registering',
  'match profile',
  'preparing',
  'ready',
  'available',
  'provisioning',
  'provisioned',
  'externally provisioned',
  'deprovisioning',
  'inspecting',
  'powering off before delete',
  'deleting',
] as const;
export type BMHProvisioningState = (typeof BMHProvisioningStates)[number];

export const BMHOperationalStatuses = ['', 'OK', 'discovered', 'error', 'delayed', 'detached', 'servicing'] as const;
export const BMHErrorTypes = [
  '',
  'provisioned registration error',
  'registration error',
  'inspection error',
  'preparation error',
  'provisioning error',
  'power management error',
  'detach error',
  'servicing error',
] as const;

const ImageFormat = z.enum(['raw', 'qcow2', 'vdi', 'vmdk', 'live-iso']);
const AutomatedCleaningMode = z.enum(['metadata', 'disabled']);

/** `customDeploy` is an object {method}, not the scalar the OpenShift docs show (§2 doc errors). */
export const CustomDeploy = z.strictObject({ method: z.string().min(1) });

export const Metal3Image = z.strictObject({
  url: z.string(),
  checksum: z.string().min(1),
  checksumType: z.enum(['md5', 'sha256', 'sha512']).optional(),
  format: ImageFormat.optional(),
});

export const Metal3MachineSpec = z.strictObject({
  providerID: z.string().optional(),
  image: Metal3Image.optional(),
  customDeploy: CustomDeploy.optional(),
  /** OpenShift: `worker-user-data-managed`, copied by the user into `openshift-cluster-api`. */
  userData: SecretReference.optional(),
  hostSelector: z
    .strictObject({
      matchLabels: z.record(z.string(), z.string()).optional(),
      matchExpressions: z
        .array(
          z.strictObject({
            key: z.string(),
            /** A label-selection operator: `in`, `notin`, `exists`, `!`, `=`, `==`, `!=`, `gt`, `lt`. */
            operator: z.string(),
            values: z.array(z.string()),
          }),
        )
        .optional(),
    })
    .optional(),
  dataTemplate: ObjectReference.optional(),
  metaData: SecretReference.optional(),
  networkData: SecretReference.optional(),
  automatedCleaningMode: AutomatedCleaningMode.optional(),
});
export type Metal3MachineSpec = z.infer<typeof Metal3MachineSpec>;

export const Metal3MachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  addresses: z.array(MachineAddress).optional(),
  lastUpdated: Time.optional(),
  userData: SecretReference.optional(),
  renderedData: ObjectReference.optional(),
  metaData: SecretReference.optional(),
  networkData: SecretReference.optional(),
  phase: z.string().optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const Metal3Machine = kindSchema({ spec: Metal3MachineSpec.optional(), status: Metal3MachineStatus.optional() });
export type Metal3Machine = z.infer<typeof Metal3Machine>;

export const Metal3MachineTemplate = kindSchema({
  spec: machineTemplateSpec(Metal3MachineSpec).extend({
    /** Keep a released host for the same MachineDeployment / control plane (node-reuse label). */
    nodeReuse: z.boolean().optional(),
  }),
});
export type Metal3MachineTemplate = z.infer<typeof Metal3MachineTemplate>;

export const Metal3ClusterSpec = z.strictObject({
  controlPlaneEndpoint: APIEndpoint.optional(),
  /** Deprecated upstream for `cloudProviderEnabled`; OpenShift's operator writes `noCloudProvider: true`. */
  noCloudProvider: z.boolean().optional(),
  cloudProviderEnabled: z.boolean().optional(),
});

export const Metal3ClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  lastUpdated: Time.optional(),
  failureDomains: FailureDomains.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});

export const Metal3Cluster = kindSchema({ spec: Metal3ClusterSpec.optional(), status: Metal3ClusterStatus.optional() });
export type Metal3Cluster = z.infer<typeof Metal3Cluster>;

// ---- BareMetalHost (metal3.io/v1alpha1) ----

export const RootDeviceHints = z.strictObject({
  deviceName: z.string().optional(),
  hctl: z.string().optional(),
  model: z.string().optional(),
  vendor: z.string().optional(),
  serialNumber: z.string().optional(),
  minSizeGigabytes: z.number().int().min(0).optional(),
  wwn: z.string().optional(),
  wwnWithExtension: z.string().optional(),
  wwnVendorExtension: z.string().optional(),
  rotational: z.boolean().optional(),
});

export const BMHImage = z.strictObject({
  url: z.string(),
  checksum: z.string().optional(),
  checksumType: z.enum(['md5', 'sha256', 'sha512', 'auto']).optional(),
  format: ImageFormat.optional(),
});

const BootMode = z.enum(['UEFI', 'UEFISecureBoot', 'legacy']);

const FirmwareConfig = z.strictObject({
  simultaneousMultithreadingEnabled: z.boolean().optional(),
  sriovEnabled: z.boolean().optional(),
  virtualizationEnabled: z.boolean().optional(),
});

const RAIDConfig = z.strictObject({
  hardwareRAIDVolumes: z
    .array(
      z.strictObject({
        sizeGibibytes: z.number().int().min(1).optional(),
        level: z.enum(['0', '1', '2', '5', '6', '1+0', '5+0', '6+0']),
        name: z.string().optional(),
        rotational: z.boolean().optional(),
        numberOfPhysicalDisks: z.number().int().min(1).optional(),
        controller: z.string().optional(),
        physicalDisks: z.array(z.string()).optional(),
      }),
    )
    .nullable()
    .optional(),
  softwareRAIDVolumes: z
    .array(
      z.strictObject({
        sizeGibibytes: z.number().int().min(1).optional(),
        level: z.enum(['0', '1', '1+0']),
        physicalDisks: z.array(RootDeviceHints).optional(),
      }),
    )
    .max(2)
    .nullable()
    .optional(),
});

export const BareMetalHostSpec = z.strictObject({
  taints: z.array(Taint).optional(),
  bmc: z
    .strictObject({
      /** e.g. `ipmi://192.168.111.1:6230`, `redfish-virtualmedia://host/redfish/v1/Systems/1`. */
      address: z.string(),
      /** Secret with `username` and `password`, same namespace. */
      credentialsName: z.string(),
      disableCertificateVerification: z.boolean().optional(),
    })
    .optional(),
  hardwareProfile: z.string().optional(),
  rootDeviceHints: RootDeviceHints.optional(),
  bootMode: BootMode.optional(),
  bootMACAddress: z.string().optional(),
  online: z.boolean(),
  consumerRef: ObjectReference.optional(),
  image: BMHImage.optional(),
  userData: SecretReference.optional(),
  preprovisioningNetworkDataName: z.string().optional(),
  metaData: SecretReference.optional(),
  networkData: SecretReference.optional(),
  description: z.string().optional(),
  externallyProvisioned: z.boolean().optional(),
  automatedCleaningMode: AutomatedCleaningMode.optional(),
  customDeploy: CustomDeploy.optional(),
  firmware: FirmwareConfig.optional(),
  raid: RAIDConfig.optional(),
  architecture: z.string().optional(),
  disablePowerOff: z.boolean().optional(),
});
export type BareMetalHostSpec = z.infer<typeof BareMetalHostSpec>;

const CredentialsStatus = z.strictObject({
  credentials: SecretReference.optional(),
  credentialsVersion: z.string().optional(),
});

const OperationMetric = z.strictObject({ start: Time.optional(), end: Time.optional() });

export const BareMetalHostStatus = z.strictObject({
  operationalStatus: z.enum(BMHOperationalStatuses),
  errorType: z.enum(BMHErrorTypes).optional(),
  lastUpdated: Time.optional(),
  hardwareProfile: z.string(),
  /** Inspection data (CPU, NICs, storage, firmware …); kept verbatim. */
  hardware: preserved('Details of the hardware found by inspection').optional(),
  provisioning: z.strictObject({
    state: z.string(),
    ID: z.string(),
    image: BMHImage.optional(),
    rootDeviceHints: RootDeviceHints.optional(),
    bootMode: BootMode.optional(),
    raid: RAIDConfig.optional(),
    firmware: FirmwareConfig.optional(),
    customDeploy: CustomDeploy.optional(),
  }),
  goodCredentials: CredentialsStatus.optional(),
  triedCredentials: CredentialsStatus.optional(),
  errorMessage: z.string(),
  errorCount: z.number().int().min(0),
  poweredOn: z.boolean(),
  operationHistory: z
    .strictObject({
      register: OperationMetric.optional(),
      inspect: OperationMetric.optional(),
      provision: OperationMetric.optional(),
      deprovision: OperationMetric.optional(),
      servicing: OperationMetric.optional(),
    })
    .optional(),
  provisioningFailCount: z.number().int().min(0).optional(),
  lastAttemptedImage: BMHImage.optional(),
  conditions: z.array(MetaCondition).optional(),
});
export type BareMetalHostStatus = z.infer<typeof BareMetalHostStatus>;

export const BareMetalHost = kindSchema({ spec: BareMetalHostSpec.optional(), status: BareMetalHostStatus.optional() });
export type BareMetalHost = z.infer<typeof BareMetalHost>;

const labels = contractLabel(['v1beta1']);

export const metal3Kinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'Metal3Cluster',
    plural: 'metal3clusters',
    singular: 'metal3cluster',
    scope: 'Namespaced',
    shortNames: ['m3c'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: Metal3Cluster,
        printerColumns: infraClusterColumns([
          {
            name: 'Error',
            type: 'string',
            jsonPath: '.status.failureReason',
            description: 'metal3Cluster failureReason',
          },
          {
            name: 'Endpoint',
            type: 'string',
            jsonPath: '.spec.controlPlaneEndpoint.host',
            description: 'Control plane endpoint',
            priority: 1,
          },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'Metal3Machine',
    plural: 'metal3machines',
    singular: 'metal3machine',
    scope: 'Namespaced',
    shortNames: ['m3m'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: Metal3Machine,
        printerColumns: infraMachineColumns([
          { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'metal3machine current phase' },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'Metal3MachineTemplate',
    plural: 'metal3machinetemplates',
    singular: 'metal3machinetemplate',
    scope: 'Namespaced',
    shortNames: ['m3mt'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: Metal3MachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
  {
    group: BMH_GROUP,
    kind: 'BareMetalHost',
    plural: 'baremetalhosts',
    singular: 'baremetalhost',
    scope: 'Namespaced',
    shortNames: ['bmh', 'bmhost'],
    provider: 'metal3',
    versions: [
      {
        name: 'v1alpha1',
        storage: true,
        schema: BareMetalHost,
        printerColumns: [
          { name: 'State', type: 'string', jsonPath: '.status.provisioning.state', description: 'Provisioning status' },
          {
            name: 'Consumer',
            type: 'string',
            jsonPath: '.spec.consumerRef.name',
            description: 'Consumer using this host',
          },
          {
            name: 'Online',
            type: 'string',
            jsonPath: '.spec.online',
            description: 'Whether the host is online or not',
          },
          {
            name: 'Error',
            type: 'string',
            jsonPath: '.status.errorType',
            description: 'Type of the most recent error',
          },
          { ...AGE_COLUMN, description: 'Time duration since creation of BaremetalHost' },
          {
            name: 'BMC',
            type: 'string',
            jsonPath: '.spec.bmc.address',
            description: 'Address of management controller',
            priority: 1,
          },
          {
            name: 'Hardware_Profile',
            type: 'string',
            jsonPath: '.status.hardwareProfile',
            description: 'The type of hardware detected',
            priority: 1,
          },
        ],
      },
    ],
  },
];
