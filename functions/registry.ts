// Every handler capi-fn ships, in one list: the local host, the serverless.yml generator, the bus
// rules and `capi-fn invoke` read it. Provider handlers come from the provider list.
import type { HandlerDefinition } from '../shared/runtime/handler.ts';
import { clusterHandler } from './cluster/handler.ts';
import { machineHandler } from './machine/handler.ts';
import { machineSetHandler } from './machineset/handler.ts';
import { operatorHandler } from './operator/index.ts';
import { providers } from './providers/index.ts';
import type { ProviderModule } from './providers/kit/module.ts';
import { localProviderHandlers } from './providers/local/handler.ts';
import { runtimes } from './providers/runtimes.ts';

export { localProviderHandlers };

export const coreHandlers: Array<HandlerDefinition<unknown>> = [
  clusterHandler,
  machineSetHandler,
  machineHandler,
] as Array<HandlerDefinition<unknown>>;

/** One handler deployed as a cloud function. */
export interface CloudFunction {
  /**
   * Folder under `functions/` whose `lambda.ts`, `azure-functions.ts` and `cloud-functions.ts` expose the
   * handler. A folder may expose several handlers (a provider's): `lambda.ts` then exports one Lambda handler
   * per function.
   */
  dir: string;
  /** The export of `<dir>/lambda.ts` that is this function's Lambda handler (default `handler`). */
  awsExport?: string;
  def: HandlerDefinition<unknown>;
  /** The provider whose cloud the handler calls with the function's own identity (its role holds those rights). */
  provider?: ProviderModule;
  /**
   * At most one invocation at a time: the handler reconciles a singleton and, like the leader-elected
   * operator it replaces, must not race itself.
   */
  singleton?: boolean;
  /**
   * Resynced by a schedule of its own (a targeted resync of the one object it reconciles) rather than by
   * the drift check, which would otherwise resync every object of every kind it watches (all Secrets, CRDs).
   */
  ownSchedule?: boolean;
}

/** A deployed provider's functions: `<name>-cluster` and `<name>-machine`, exported as `cluster` and `machine`. */
function providerFunctions(p: ProviderModule): CloudFunction[] {
  const runtime = runtimes[p.name];
  if (!runtime?.deploy) return [];
  return runtime.handlers().map((def) => ({
    dir: `providers/${p.name}`,
    awsExport: def.name.slice(p.name.length + 1),
    def,
    provider: p,
  }));
}

/**
 * The handlers deployed as cloud functions. The local provider is only for the embedded default and is
 * never deployed; the webhooks, the drift check and the bridge are functions without a handler
 * declaration (HTTP and schedules) and are listed by the deployment generators themselves.
 */
export const cloudFunctions: CloudFunction[] = [
  { dir: 'cluster', def: clusterHandler as HandlerDefinition<unknown> },
  { dir: 'machineset', def: machineSetHandler as HandlerDefinition<unknown> },
  { dir: 'machine', def: machineHandler as HandlerDefinition<unknown> },
  ...providers.flatMap(providerFunctions),
  {
    dir: 'operator',
    def: operatorHandler() as HandlerDefinition<unknown>,
    singleton: true,
    ownSchedule: true,
  },
];

/** The handlers whose watched objects the drift check resyncs. */
export function driftCheckedHandlers(): Array<HandlerDefinition<unknown>> {
  return cloudFunctions.filter((f) => !f.ownSchedule).map((f) => f.def);
}
