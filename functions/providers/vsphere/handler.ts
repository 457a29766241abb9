// The vSphere provider's handlers: VSphereCluster and VSphereMachine on vCenter, from the kit.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import type { VSphereApi } from './client.ts';
import { vsphereClusterDefinition } from './cluster.ts';
import { VSphereClients } from './credentials.ts';
import { vsphereMachineDefinition } from './machine.ts';

export interface VSphereProviderOptions {
  /** The vCenter client (default: VSPHERE_* from the environment, and the credentials the cluster holds). */
  client?: () => VSphereApi;
  timings?: Partial<KitTimings>;
}

let processClients: VSphereClients | undefined;

/** The process's clients (one session per credential set while the function stays warm). */
export function sharedVSphereClients(): VSphereClients {
  if (!processClients) {
    processClients = new VSphereClients();
    const clients = processClients;
    // A function host stops its process with SIGTERM: end the vCenter sessions instead of leaving them to expire
    // (vCenter limits sessions per user). Alone, a SIGTERM listener would keep the process alive: then it is raised
    // again once the logout is done, or after two seconds.
    const alone = process.listenerCount('SIGTERM') === 0;
    process.once('SIGTERM', () => {
      const done = Promise.race([clients.logout(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      if (alone) void done.finally(() => process.kill(process.pid, 'SIGTERM'));
    });
  }
  return processClients;
}

export function vsphereProviderHandlers(o: VSphereProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  const client = o.client ?? sharedVSphereClients;
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(vsphereClusterDefinition, { client, ...t }),
    infraMachineHandler(vsphereMachineDefinition, { client, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
