// PutEvents mechanics, kept free of the SDK client so they can be unit-tested: the envelope, the
// documented entry-size formula, request batching, and resending only the entries that failed.
import type { ResourceEvent } from '../events/resource-event.ts';
import { type BackoffPolicy, backoffDelayMs } from './backoff.ts';
import { batchBySize, utf8Bytes } from './batching.ts';
import { PublishError } from './types.ts';

/** PutEvents takes at most 10 entries per request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/**
 * 256 KB per entry and per request. AWS announced 1 MB in January 2026, but some regions and pages still
 * say 256 KB, so this stays the design limit (serverless-anchors §0.4).
 */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** Per-entry errors that no resend can fix. */
const PERMANENT_ENTRY_ERRORS = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

function field(raw: unknown, key: string): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = (raw as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Source = CloudEvent source, DetailType = CloudEvent type, Detail = the whole CloudEvent. */
export function putEventsEntryFor(payload: unknown, busName: string): PutEventsEntry {
  return {
    Source: field(payload, 'source') ?? 'capifn.unknown',
    DetailType: field(payload, 'type') ?? 'capifn.unknown',
    // A payload that is itself a string is sent as-is: EventBridge then judges it (MalformedDetail).
    Detail: typeof payload === 'string' ? payload : JSON.stringify(payload),
    EventBusName: busName,
  };
}

/** The documented entry size: UTF-8 bytes of Source, DetailType and Detail (no Time, no Resources here). */
export function putEventsEntrySize(e: PutEventsEntry): number {
  return utf8Bytes(e.Source) + utf8Bytes(e.DetailType) + utf8Bytes(e.Detail);
}

export function batchPutEvents<T extends { entry: PutEventsEntry }>(items: T[]) {
  return batchBySize(items, (i) => putEventsEntrySize(i.entry), {
    maxCount: PUT_EVENTS_MAX_ENTRIES,
    maxBytes: PUT_EVENTS_MAX_BYTES,
  });
}

export interface EntryFailure {
  index: number;
  error: string;
}

export interface ResendOptions {
  /** Rounds in total, including the first send. */
  attempts: number;
  backoff: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends `entries` (one request's worth) and resends only those that failed with a retryable error,
 * with backoff, for at most `attempts` rounds. Returns what still failed, by index into `entries`.
 * A request that throws as a whole counts as every pending entry failing with that error.
 */
export async function putEventsWithResend(
  entries: PutEventsEntry[],
  send: (entries: PutEventsEntry[]) => Promise<PutEventsResultEntry[]>,
  opts: ResendOptions,
): Promise<EntryFailure[]> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const failures: EntryFailure[] = [];
  let pending = entries.map((entry, index) => ({ entry, index, lastError: '' }));
  for (let round = 1; pending.length > 0; round++) {
    const next: typeof pending = [];
    try {
      const results = await send(pending.map((p) => p.entry));
      pending.forEach((p, i) => {
        const r = results[i];
        if (!r) {
          next.push({ ...p, lastError: 'no result entry returned for this event' });
        } else if (r.ErrorCode) {
          const error = `${r.ErrorCode}: ${r.ErrorMessage ?? ''}`.trim();
          if (PERMANENT_ENTRY_ERRORS.has(r.ErrorCode)) failures.push({ index: p.index, error });
          else next.push({ ...p, lastError: error });
        }
      });
    } catch (err) {
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      for (const p of pending) next.push({ ...p, lastError: msg });
    }
    pending = next;
    if (pending.length === 0) break;
    if (round >= opts.attempts) {
      for (const p of pending) failures.push({ index: p.index, error: `${p.lastError} (after ${round} attempts)` });
      break;
    }
    await sleep(backoffDelayMs(round, opts.backoff));
  }
  return failures.sort((a, b) => a.index - b.index);
}

/** What EventBridge puts in the SQS message body: the event envelope with the CloudEvent as `detail`. */
export function eventBridgeEnvelope(payload: unknown, region: string): Record<string, unknown> {
  return {
    version: '0',
    id: field(payload, 'id') ?? crypto.randomUUID(),
    'detail-type': field(payload, 'type') ?? 'capifn.unknown',
    source: field(payload, 'source') ?? 'capifn.unknown',
    time: new Date().toISOString(),
    region,
    resources: [],
    detail: payload,
  };
}

/**
 * The payload inside an SQS body: the `detail` of an EventBridge envelope (a rule target without
 * InputPath, which is also all moto delivers), or the body itself when something sent the bare
 * CloudEvent; a body that is not JSON is passed on as the string it is.
 */
export function payloadOfSqsBody(body: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof parsed === 'object' && parsed !== null && 'detail-type' in parsed && 'detail' in parsed) {
    return (parsed as { detail: unknown }).detail;
  }
  return parsed;
}

/**
 * Publishes `payloads` to `busName` through `send` (one PutEvents call), in batches, resending only failed
 * entries; throws PublishError naming every payload that could not be published (too large, or failing still).
 */
export async function putEventsChecked<T>(
  payloads: T[],
  asEvent: (p: T) => ResourceEvent,
  o: {
    busName: string;
    maxEventBytes: number;
    attempts: number;
    send: (entries: PutEventsEntry[]) => Promise<PutEventsResultEntry[]>;
  },
): Promise<void> {
  const failed: Array<{ event: ResourceEvent; error: string }> = [];
  const items: Array<{ entry: PutEventsEntry; payload: T }> = [];
  for (const payload of payloads) {
    const entry = putEventsEntryFor(payload, o.busName);
    const bytes = utf8Bytes(entry.Detail);
    if (bytes > o.maxEventBytes) {
      failed.push({
        event: asEvent(payload),
        error: `event is ${bytes} bytes, over the ${o.maxEventBytes}-byte limit`,
      });
    } else if (putEventsEntrySize(entry) > PUT_EVENTS_MAX_BYTES) {
      failed.push({ event: asEvent(payload), error: `PutEvents entry is over ${PUT_EVENTS_MAX_BYTES} bytes` });
    } else {
      items.push({ entry, payload });
    }
  }
  const { batches } = batchPutEvents(items);
  for (const batch of batches) {
    const failures = await putEventsWithResend(
      batch.map((b) => b.entry),
      o.send,
      { attempts: o.attempts, backoff: { baseMs: 100, maxMs: 2_000, jitter: 0.2 } },
    );
    for (const f of failures) failed.push({ event: asEvent(batch[f.index]!.payload), error: f.error });
  }
  if (failed.length > 0) throw new PublishError(`${failed.length} event(s) not published to ${o.busName}`, failed);
}
