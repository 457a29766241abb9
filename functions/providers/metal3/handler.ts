// The Metal3 provider's handlers: Metal3Cluster and Metal3Machine over BareMetalHosts, from the kit. The
// "cloud" is the cluster itself, so the handlers need no client of their own.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import { metal3ClusterDefinition } from './cluster.ts';
import { metal3MachineDefinition } from './machine.ts';

export function metal3ProviderHandlers(o: { timings?: Partial<KitTimings> } = {}): Array<HandlerDefinition<unknown>> {
  // The kit binds the machine handler to its own Kubernetes client (`connect`); nothing else is needed.
  const none = () => undefined as never;
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(metal3ClusterDefinition, { client: none, ...t }),
    infraMachineHandler(metal3MachineDefinition, { client: none, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
