import * as z from 'zod';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { ObjectReference, Time } from '../meta.ts';
import { Conditions, MachineAddress, MachineSpec, V1Beta2Conditions } from './common.ts';
import { CAPI_GROUP, MachinePhases } from './constants.ts';

export const NodeSystemInfo = z.strictObject({
  machineID: z.string(),
  systemUUID: z.string(),
  bootID: z.string(),
  kernelVersion: z.string(),
  osImage: z.string(),
  containerRuntimeVersion: z.string(),
  kubeletVersion: z.string(),
  kubeProxyVersion: z.string(),
  operatingSystem: z.string(),
  architecture: z.string(),
});

export const MachineStatus = z.strictObject({
  nodeRef: ObjectReference.optional(),
  nodeInfo: NodeSystemInfo.partial().optional(),
  lastUpdated: Time.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  addresses: z.array(MachineAddress).optional(),
  phase: z.enum(MachinePhases).optional(),
  certificatesExpiryDate: Time.optional(),
  bootstrapReady: z.boolean().optional(),
  infrastructureReady: z.boolean().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: Conditions.optional(),
  deletion: z
    .strictObject({
      nodeDrainStartTime: Time.optional(),
      waitForNodeVolumeDetachStartTime: Time.optional(),
    })
    .optional(),
  v1beta2: V1Beta2Conditions.optional(),
});
export type MachineStatus = z.infer<typeof MachineStatus>;

export const Machine = kindSchema({ spec: MachineSpec, status: MachineStatus.optional() });
export type Machine = z.infer<typeof Machine>;

export const machineKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'Machine',
  plural: 'machines',
  singular: 'machine',
  scope: 'Namespaced',
  shortNames: ['ma'],
  categories: ['cluster-api'],
  provider: 'core',
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: Machine,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'Cluster' },
        {
          name: 'NodeName',
          type: 'string',
          jsonPath: '.status.nodeRef.name',
          description: 'Node name associated with this machine',
        },
        { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID', description: 'Provider ID' },
        {
          name: 'Phase',
          type: 'string',
          jsonPath: '.status.phase',
          description: 'Machine status such as Terminating/Pending/Running/Failed etc',
        },
        AGE_COLUMN,
        {
          name: 'Version',
          type: 'string',
          jsonPath: '.spec.version',
          description: 'Kubernetes version associated with this Machine',
        },
      ],
    },
  ],
};
