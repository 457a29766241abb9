// The local provider's handlers: LocalCluster and LocalMachine on the simulated cloud, from the kit.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import type { LocalCloudApi } from './cloud.ts';
import { localClusterDefinition } from './cluster.ts';
import { localMachineDefinition } from './machine.ts';

export function localProviderHandlers(
  cloud: () => LocalCloudApi,
  timings?: Partial<KitTimings>,
): Array<HandlerDefinition<unknown>> {
  return [
    infraClusterHandler(localClusterDefinition, { client: cloud, ...(timings ? { timings } : {}) }),
    infraMachineHandler(localMachineDefinition, { client: cloud, ...(timings ? { timings } : {}) }),
  ] as Array<HandlerDefinition<unknown>>;
}
