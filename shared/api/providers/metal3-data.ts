// CAPM3's rendered host data (infrastructure.cluster.x-k8s.io/v1beta1, CAPM3 v1.11): a Metal3DataTemplate
// describes the metaData and networkData (OpenStack network_data.json) a host boots with; each Metal3Machine
// that names one gets a Metal3DataClaim, which is answered by a Metal3Data holding an index unique within the
// template and the two rendered Secrets. The IP-pool sources (metal3's ip-address-manager) are kept in the
// schema so that admission can refuse them by name instead of a pruning error.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { AGE_COLUMN, contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { ObjectReference, preserved, SecretReference, Time } from '../meta.ts';

export { METAL3_DATA_API_VERSION, Metal3DataTemplateFinalizer } from './constants.ts';

/** Where a metaData value is read from: the Metal3Machine, its Machine, or the claimed BareMetalHost. */
const DataObject = z.string().meta({ description: 'metal3machine, machine or baremetalhost' });
const Key = z.string().min(1);

const pool = z.array(preserved('a Metal3IPPool / IPAddressPool source')).optional();

export const MetaData = z.strictObject({
  strings: z.array(z.strictObject({ key: Key, value: z.string() })).optional(),
  objectNames: z.array(z.strictObject({ key: Key, object: DataObject })).optional(),
  indexes: z
    .array(
      z.strictObject({
        key: Key,
        offset: z.number().int().optional(),
        step: z.number().int().optional(),
        prefix: z.string().optional(),
        suffix: z.string().optional(),
      }),
    )
    .optional(),
  namespaces: z.array(z.strictObject({ key: Key })).optional(),
  fromHostInterfaces: z
    .array(z.strictObject({ key: Key, interface: z.string().optional(), fromBootMAC: z.boolean().optional() }))
    .optional(),
  fromLabels: z.array(z.strictObject({ key: Key, object: DataObject, label: z.string() })).optional(),
  fromAnnotations: z.array(z.strictObject({ key: Key, object: DataObject, annotation: z.string() })).optional(),
  ipAddressesFromIPPool: pool,
  prefixesFromIPPool: pool,
  gatewaysFromIPPool: pool,
  dnsServersFromIPPool: pool,
});
export type MetaData = z.infer<typeof MetaData>;

export const LinkMac = z.strictObject({
  string: z.string().optional(),
  fromHostInterface: z.string().optional(),
  fromAnnotation: z.strictObject({ object: DataObject, annotation: z.string() }).optional(),
});
export type LinkMac = z.infer<typeof LinkMac>;

const linkBase = {
  id: z.string().min(1),
  name: z.string().optional(),
  mtu: z.number().int().optional(),
  macAddress: LinkMac.optional(),
};

const Route = preserved('a route: network, prefix, gateway {string | fromIPPool}, services');
const dhcp = z
  .array(z.strictObject({ id: z.string(), link: z.string(), routes: z.array(Route).optional() }))
  .optional();

export const NetworkData = z.strictObject({
  links: z
    .strictObject({
      ethernets: z.array(z.strictObject({ ...linkBase, type: z.string() })).optional(),
      bonds: z
        .array(
          z.strictObject({
            ...linkBase,
            bondMode: z.string(),
            bondXmitHashPolicy: z.string().optional(),
            bondLinks: z.array(z.string()).optional(),
            parameters: preserved('bond parameters passed to cloud-init as bond_<name>').optional(),
          }),
        )
        .optional(),
      vlans: z.array(z.strictObject({ ...linkBase, vlanID: z.number().int(), vlanLink: z.string() })).optional(),
    })
    .optional(),
  networks: z
    .strictObject({
      ipv4: z.array(preserved('a static IPv4 network from an IP pool')).optional(),
      ipv6: z.array(preserved('a static IPv6 network from an IP pool')).optional(),
      ipv4DHCP: dhcp,
      ipv6DHCP: dhcp,
      ipv6SLAAC: dhcp,
    })
    .optional(),
  services: z.strictObject({ dns: z.array(z.string()).optional(), dnsFromIPPool: z.string().optional() }).optional(),
});
export type NetworkData = z.infer<typeof NetworkData>;

export const Metal3DataTemplateSpec = z.strictObject({
  clusterName: z.string().optional(),
  templateReference: z.string().optional(),
  metaData: MetaData.optional(),
  networkData: NetworkData.optional(),
});
export type Metal3DataTemplateSpec = z.infer<typeof Metal3DataTemplateSpec>;

export const Metal3DataTemplate = kindSchema({
  spec: Metal3DataTemplateSpec.optional(),
  status: z
    .strictObject({
      lastUpdated: Time.optional(),
      /** Claim name → index, as the template's claims hold them. */
      indexes: z.record(z.string(), z.number().int()).optional(),
    })
    .optional(),
});
export type Metal3DataTemplate = z.infer<typeof Metal3DataTemplate>;

export const Metal3DataClaim = kindSchema({
  spec: z.strictObject({ template: ObjectReference }).optional(),
  status: z.strictObject({ renderedData: ObjectReference.optional(), errorMessage: z.string().optional() }).optional(),
});
export type Metal3DataClaim = z.infer<typeof Metal3DataClaim>;

export const Metal3Data = kindSchema({
  spec: z
    .strictObject({
      index: z.number().int().optional(),
      templateReference: z.string().optional(),
      metaData: SecretReference.optional(),
      networkData: SecretReference.optional(),
      claim: ObjectReference,
      template: ObjectReference,
    })
    .optional(),
  status: z.strictObject({ ready: z.boolean().optional(), errorMessage: z.string().optional() }).optional(),
});
export type Metal3Data = z.infer<typeof Metal3Data>;

const labels = contractLabel(['v1beta1']);

export const metal3DataKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'Metal3DataTemplate',
    plural: 'metal3datatemplates',
    singular: 'metal3datatemplate',
    scope: 'Namespaced',
    shortNames: ['m3dt'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: Metal3DataTemplate,
        printerColumns: [
          {
            name: 'Cluster',
            type: 'string',
            jsonPath: '.spec.clusterName',
            description: 'Cluster to which this template belongs',
          },
          { ...AGE_COLUMN, description: 'Time duration since creation of Metal3DataTemplate' },
        ],
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'Metal3DataClaim',
    plural: 'metal3dataclaims',
    singular: 'metal3dataclaim',
    scope: 'Namespaced',
    shortNames: ['m3dc'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: Metal3DataClaim,
        printerColumns: [
          { name: 'Template', type: 'string', jsonPath: '.spec.template.name', description: 'The data template' },
          { name: 'Data', type: 'string', jsonPath: '.status.renderedData.name', description: 'The rendered data' },
          { ...AGE_COLUMN, description: 'Time duration since creation of Metal3DataClaim' },
        ],
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'Metal3Data',
    plural: 'metal3datas',
    singular: 'metal3data',
    scope: 'Namespaced',
    shortNames: ['m3d'],
    categories: ['cluster-api'],
    provider: 'metal3',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: Metal3Data,
        printerColumns: [
          { name: 'Index', type: 'integer', jsonPath: '.spec.index', description: 'Index within the template' },
          { name: 'Ready', type: 'boolean', jsonPath: '.status.ready', description: 'The Secrets are rendered' },
          { name: 'Error', type: 'string', jsonPath: '.status.errorMessage', description: 'Why rendering failed' },
          { ...AGE_COLUMN, description: 'Time duration since creation of Metal3Data' },
        ],
      },
    ],
  },
];
