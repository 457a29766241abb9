// What a subscriber does with one CloudEvent a Knative Broker delivered: the one receive path of the
// Knative bus adapter and of the Knative function entrypoint.
//
// A Broker has no delayed delivery and no delivery counter, so both live in the event's transport
// attributes: a retry is a fresh publish targeted at this handler (`capifnto`) with `capifnattempt` + 1
// and a due time (`capifndue`); an event that is not due yet is held inside the request (the Broker waits
// for the answer, so a crashed subscriber means a redelivery, never a loss) for up to `holdMaxMs`, then
// published afresh with the same attributes. The answer is 200 with no body (a body would be a reply
// event) once the event is handled, retried or dead-lettered; 500 only when that could not be recorded,
// so the Trigger's delivery policy redelivers it.
import { randomUUID } from 'node:crypto';
import { type BackoffPolicy, backoffDelayMs } from './backoff.ts';
import { type BusLog, defaultLog, deliverSafely, sleep } from './consumer-support.ts';
import { remainingDelayMs } from './delay.ts';
import {
  ATTR_ATTEMPT,
  ATTR_DUE,
  ATTR_TO,
  attemptOf,
  knativeAttributesFor,
  withoutTransportAttributes,
} from './knative-routing.ts';
import type { DeadLetter, DeliverFn } from './types.ts';

export interface KnativeReceiverOptions {
  handler: string;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Longest a not-due event is held inside one request (below the Service's request timeout). */
  holdMaxMs: number;
  /** Publishes a structured CloudEvent to the Broker. */
  publish(event: Record<string, unknown>): Promise<void>;
  deadLetter(dl: DeadLetter): Promise<void>;
  log?: BusLog;
  /** Aborted when the subscriber stops: held events are published afresh at once. */
  signal?: AbortSignal;
  now?: () => number;
  random?: () => number;
}

export type ReceiveOutcome = 'done' | 'retried' | 'dead-lettered' | 'deferred';

function dueOf(raw: unknown): number {
  const v = Number((raw as Record<string, unknown> | null)?.[ATTR_DUE]);
  return Number.isFinite(v) ? v : 0;
}

/** Handles one delivery; throws only when the outcome could not be recorded (the caller answers 500). */
export async function receiveKnative(
  raw: unknown,
  deliver: DeliverFn,
  o: KnativeReceiverOptions,
): Promise<ReceiveOutcome> {
  const now = o.now ?? Date.now;
  const log = o.log ?? defaultLog;
  const payload = withoutTransportAttributes(raw);
  const attempt = attemptOf(raw);
  const due = () => Math.max(remainingDelayMs(payload, now()), dueOf(raw) - now());
  if (due() > 0) {
    await sleep(Math.min(due(), o.holdMaxMs), o.signal);
    if (due() > 0) {
      await o.publish(stamped(payload, { ...(raw as Record<string, unknown>) }));
      return 'deferred';
    }
  }
  const id = (payload as { id?: unknown } | null)?.id;
  const result = await deliverSafely(deliver, payload, {
    attempt,
    ...(typeof id === 'string' ? { messageId: id } : {}),
  });
  if (result.status === 'done') return 'done';
  const reason = result.status === 'dead-letter' ? result.reason : result.error;
  if (result.status === 'dead-letter' || attempt >= o.maxAttempts) {
    await o.deadLetter({
      handler: o.handler,
      reason,
      raw: payload,
      at: new Date(now()).toISOString(),
      attempts: attempt,
    });
    log('warn', 'dead-lettered', { handler: o.handler, attempt, reason });
    return 'dead-lettered';
  }
  const delay = result.delayMs ?? backoffDelayMs(attempt, o.backoff, o.random);
  await o.publish(
    stamped(payload, { [ATTR_TO]: o.handler, [ATTR_ATTEMPT]: String(attempt + 1), [ATTR_DUE]: String(now() + delay) }),
  );
  return 'retried';
}

/** The payload with its routing attributes, overridden by `transport` (a retry's target, attempt and due time). */
function stamped(payload: unknown, transport: Record<string, unknown>): Record<string, unknown> {
  const keep = Object.fromEntries(
    Object.entries(transport).filter(([k]) => k === ATTR_TO || k === ATTR_ATTEMPT || k === ATTR_DUE),
  );
  return { ...(payload as Record<string, unknown>), ...knativeAttributesFor(payload), ...keep };
}

/** A dead letter as the CloudEvent the dead-letter sink receives. */
export function deadLetterEvent(dl: DeadLetter, source: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: 'io.capifn.deadletter',
    subject: dl.handler,
    time: dl.at,
    datacontenttype: 'application/json',
    data: dl,
  };
}
