// The simulated provider of the embedded default (like upstream's in-memory and Docker providers):
// LocalCluster, LocalMachine, LocalMachineTemplate in infrastructure.cluster.x-k8s.io/v1beta1.
import * as z from 'zod';
import { INFRA_GROUP } from '../capi/constants.ts';
import { contractLabel, type KindDefinition, kindSchema } from '../kind.ts';
import { Duration } from '../meta.ts';
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

export { LOCAL_FAIL_PROVISIONING_ANNOTATION, LOCAL_PROVIDER_ID_PREFIX } from './constants.ts';

export const LocalClusterSpec = z.strictObject({
  controlPlaneEndpoint: APIEndpoint.optional(),
  /** Zones the simulated cloud reports as failure domains. */
  failureDomains: z.array(z.string()).optional(),
});
export const LocalClusterStatus = z.strictObject({
  ready: z.boolean().optional(),
  failureDomains: FailureDomains.optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});
export const LocalCluster = kindSchema({ spec: LocalClusterSpec.optional(), status: LocalClusterStatus.optional() });
export type LocalCluster = z.infer<typeof LocalCluster>;

export const LocalMachineSpec = z.strictObject({
  providerID: z.string().optional(),
  failureDomain: z.string().optional(),
  /** Simulated time from create to a booted instance whose kubelet registers a Node. */
  bootDelay: Duration.optional(),
  cpus: z.number().int().min(1).optional(),
  memoryMiB: z.number().int().min(128).optional(),
  image: z.string().optional(),
});
export const LocalMachineStatus = z.strictObject({
  ready: z.boolean().optional(),
  instanceState: z.enum(['pending', 'running', 'terminating', 'terminated', 'failed']).optional(),
  addresses: z.array(MachineAddress).optional(),
  failureReason: z.string().optional(),
  failureMessage: z.string().optional(),
  conditions: Conditions.optional(),
});
export const LocalMachine = kindSchema({ spec: LocalMachineSpec, status: LocalMachineStatus.optional() });
export type LocalMachine = z.infer<typeof LocalMachine>;

export const LocalMachineTemplate = kindSchema({ spec: machineTemplateSpec(LocalMachineSpec) });
export type LocalMachineTemplate = z.infer<typeof LocalMachineTemplate>;

const labels = contractLabel(['v1beta1']);

export const localKinds: KindDefinition[] = [
  {
    group: INFRA_GROUP,
    kind: 'LocalCluster',
    plural: 'localclusters',
    singular: 'localcluster',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'local',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: LocalCluster, printerColumns: infraClusterColumns() }],
  },
  {
    group: INFRA_GROUP,
    kind: 'LocalMachine',
    plural: 'localmachines',
    singular: 'localmachine',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'local',
    labels,
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        schema: LocalMachine,
        printerColumns: infraMachineColumns([
          { name: 'State', type: 'string', jsonPath: '.status.instanceState', description: 'Simulated instance state' },
        ]),
      },
    ],
  },
  {
    group: INFRA_GROUP,
    kind: 'LocalMachineTemplate',
    plural: 'localmachinetemplates',
    singular: 'localmachinetemplate',
    scope: 'Namespaced',
    categories: ['cluster-api'],
    provider: 'local',
    labels,
    versions: [{ name: 'v1beta1', storage: true, schema: LocalMachineTemplate, printerColumns: TEMPLATE_COLUMNS }],
  },
];
