// What every host deploys, read once from the registry: one function per handler (its bus subscription,
// its bundle, whether it is a singleton with a schedule of its own), plus the functions without a handler
// declaration — the admission webhooks (HTTP), the drift check (schedule) and the bridge. The Azure,
// Google and Knative renderers all start here, as serverless.yml does, so the hosts cannot drift apart.
import { operatorResyncEvent } from '../../functions/operator/index.ts';
import { cloudFunctions } from '../../functions/registry.ts';
import { WEBHOOKS_FUNCTION_NAME } from '../../functions/webhooks/serve.ts';
import type { Subscription } from '../../shared/bus/types.ts';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';
import { subscriptionOf } from '../../shared/runtime/handler.ts';
import { hostBundleName } from '../build.ts';

/** Every host runs the drift check, and each singleton's own resync, this often. */
export const SCHEDULE_MINUTES = 5;

export interface HandlerUnit {
  name: string;
  /** Folder under functions/ whose host files register it. */
  dir: string;
  /** The Azure / functions-framework bundle that registers it (dist/<host>/<bundle>.mjs). */
  bundle: string;
  subscription: Subscription;
  singleton: boolean;
  /** The event its own schedule delivers (the operator's targeted resync), when it has one. */
  scheduled?: ResourceEvent;
  /** Which cloud's API it calls with its own identity (a provider's functions). */
  provider?: string;
  description: string;
}

export function handlerUnits(): HandlerUnit[] {
  return cloudFunctions.map((f) => ({
    name: f.def.name,
    dir: f.dir,
    bundle: hostBundleName(f.dir),
    subscription: subscriptionOf(f.def),
    singleton: f.singleton === true,
    ...(f.ownSchedule ? { scheduled: scheduledEventFor(f.def.name) } : {}),
    ...(f.provider ? { provider: f.provider.name } : {}),
    description: `capi-fn ${f.def.name} handler (reconciles ${f.def.reconciles.kind})`,
  }));
}

/** A fixed id and time: the rendered files stay byte-stable, and the handler reads fresh state on every tick anyway. */
function scheduledEventFor(handler: string): ResourceEvent {
  const e = operatorResyncEvent();
  if (e.capifnhandler !== handler)
    throw new Error(`${handler} has a schedule, but only the operator's resync is known`);
  return { ...e, id: `${handler}-schedule`, time: '2026-01-01T00:00:00.000Z' };
}

export const WEBHOOKS = WEBHOOKS_FUNCTION_NAME;
export const DRIFT = 'drift';
export const BRIDGE = 'bridge';
