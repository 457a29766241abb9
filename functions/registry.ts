// Every handler capi-fn ships, in one list: the local host, the serverless.yml generator, the bus
// rules and `capi-fn invoke` read it.
import type { HandlerDefinition } from '../shared/runtime/handler.ts';
import { clusterHandler } from './cluster/handler.ts';
import { machineHandler } from './machine/handler.ts';
import { machineSetHandler } from './machineset/handler.ts';
import type { LocalCloudApi } from './providers/local/cloud.ts';
import { localClusterHandler, localMachineHandler } from './providers/local/handler.ts';

export const coreHandlers: Array<HandlerDefinition<unknown>> = [
  clusterHandler,
  machineSetHandler,
  machineHandler,
] as Array<HandlerDefinition<unknown>>;

export function localProviderHandlers(cloud: () => LocalCloudApi): Array<HandlerDefinition<unknown>> {
  return [localClusterHandler, localMachineHandler(cloud)] as Array<HandlerDefinition<unknown>>;
}

/**
 * The handlers deployed as cloud functions, with the module that exposes each: `functions/<dir>/aws.ts`
 * exports `handler`. The local provider is only for the embedded default and is never deployed.
 */
export const cloudFunctions: Array<{ dir: string; def: HandlerDefinition<unknown> }> = [
  { dir: 'cluster', def: clusterHandler as HandlerDefinition<unknown> },
  { dir: 'machineset', def: machineSetHandler as HandlerDefinition<unknown> },
  { dir: 'machine', def: machineHandler as HandlerDefinition<unknown> },
];
