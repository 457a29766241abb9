// The Azure provider's handlers: AzureCluster and AzureMachine on Azure Resource Manager, from the kit.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import { type ArmApi, AzureSdkClients } from './client.ts';
import { azureClusterDefinition } from './cluster.ts';
import { azureMachineDefinition } from './machine.ts';

export interface AzureProviderOptions {
  /** The ARM client (default: the official SDKs with @azure/identity, honouring AZURE_RESOURCE_MANAGER_ENDPOINT). */
  client?: () => ArmApi;
  timings?: Partial<KitTimings>;
}

export function azureProviderHandlers(o: AzureProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  let shared: ArmApi | undefined;
  const client = o.client ?? (() => (shared ??= new AzureSdkClients()));
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(azureClusterDefinition, { client, ...t }),
    infraMachineHandler(azureMachineDefinition, { client, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
