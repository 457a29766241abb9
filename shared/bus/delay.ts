// Delayed delivery on buses without (enough) native delay: the event carries its earliest delivery
// time in the `capifnnotbefore` extension, and every consumer re-delays an event that is not due.
import { NOT_BEFORE_EXTENSION, type ResourceEvent } from '../events/resource-event.ts';

export function withNotBefore(event: ResourceEvent, notBeforeMs: number): ResourceEvent {
  return { ...event, [NOT_BEFORE_EXTENSION]: new Date(notBeforeMs).toISOString() };
}

/** The `capifnnotbefore` of any payload, in epoch ms; undefined when absent or unparseable (deliver now). */
export function notBeforeOf(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = (raw as Record<string, unknown>)[NOT_BEFORE_EXTENSION];
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Milliseconds until `raw` may be delivered; 0 when due. */
export function remainingDelayMs(raw: unknown, nowMs: number): number {
  const nb = notBeforeOf(raw);
  return nb === undefined ? 0 : Math.max(0, nb - nowMs);
}
