// The GCP provider's handlers: GCPCluster and GCPMachine on Compute Engine, from the kit.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import type { GceApi } from './client.ts';
import { gcpClusterDefinition } from './cluster.ts';
import { GcpRestClients } from './credentials.ts';
import { gcpMachineDefinition } from './machine.ts';

export interface GcpProviderOptions {
  /** The Compute Engine client (default: REST with ADC, honouring CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE). */
  client?: () => GceApi;
  timings?: Partial<KitTimings>;
}

export function gcpProviderHandlers(o: GcpProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  let shared: GceApi | undefined;
  const client = o.client ?? (() => (shared ??= new GcpRestClients()));
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(gcpClusterDefinition, { client, ...t }),
    infraMachineHandler(gcpMachineDefinition, { client, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
