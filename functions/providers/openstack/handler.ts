// The OpenStack provider's handlers: OpenStackCluster and OpenStackMachine on Nova, Neutron, Glance and Cinder,
// from the kit. One transport per process (tokens are reused across invocations of a warm function).
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import { OpenStackRest, type OpenStackTransport } from './client.ts';
import { openstackClusterDefinition } from './cluster.ts';
import { type OpenStackClient, processClient } from './credentials.ts';
import { openstackMachineDefinition } from './machine.ts';

export interface OpenStackProviderOptions {
  /** The transport every call goes through (default: REST with the process's defaults); tests wrap it. */
  transport?: () => OpenStackTransport;
  /** The process's own cloud (default: OS_CLOUD + clouds.yaml, else OS_*; identityRef Secrets take precedence). */
  env?: NodeJS.ProcessEnv;
  timings?: Partial<KitTimings>;
}

export function openstackProviderHandlers(o: OpenStackProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  let shared: OpenStackClient | undefined;
  // Built on first use: a missing or broken clouds.yaml is the reconcile's condition, not a crash at import.
  const client = (): OpenStackClient =>
    (shared ??= processClient(o.transport?.() ?? new OpenStackRest(), o.env ?? process.env));
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(openstackClusterDefinition, { client, ...t }),
    infraMachineHandler(openstackMachineDefinition, { client, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
