// The one delivery path every cloud adapter shares: honour a not-yet-due delayed event, run the
// runtime, and report its verdict. Adapters only translate to and from their platform.
import type { DeliveryResult } from '../bus/types.ts';
import { NOT_BEFORE_EXTENSION, type ResourceEvent } from '../events/resource-event.ts';
import { dispatch } from '../runtime/dispatch.ts';
import type { HandlerDefinition } from '../runtime/handler.ts';
import type { FunctionEnv } from './deps.ts';

export type Verdict = DeliveryResult | { status: 'not-due'; delayMs: number };

export async function deliver<C>(
  def: HandlerDefinition<C>,
  raw: unknown,
  info: { attempt: number; messageId?: string },
  env: FunctionEnv,
  opts: {
    requeue: (ev: ResourceEvent, delayMs: number) => Promise<void>;
    maxAttempts?: number;
    now?: () => number;
    /** What became of the objects reconciled for this batch so far (RuntimeDeps.batch). */
    batch?: Map<string, DeliveryResult>;
  },
): Promise<Verdict> {
  const now = opts.now ?? Date.now;
  const notBefore = Date.parse((raw as Record<string, string> | undefined)?.[NOT_BEFORE_EXTENSION] ?? '');
  if (notBefore > now() + 1000) return { status: 'not-due', delayMs: notBefore - now() };
  return dispatch(def, raw, info, {
    kube: env.kube,
    log: env.log,
    requeue: opts.requeue,
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.batch ? { batch: opts.batch } : {}),
  });
}

export function parseJsonMessage(message: unknown): unknown {
  if (typeof message !== 'string') return message;
  try {
    return JSON.parse(message);
  } catch {
    // Left as text: the runtime's validation dead-letters it with a reason.
    return message;
  }
}
