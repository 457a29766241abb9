// What client-go's event recorders do before an Event reaches the API server, as a pure decision over one
// process's memory: the same event again becomes a series on the first Event (tools/events), many different
// messages for one object and reason are combined into one Event (tools/record's aggregator), and a per-object
// token bucket caps what a retry loop can write (tools/record's spam filter). The memory is per warm function
// instance, as client-go's is per controller process: two instances reporting the same thing write two Events,
// as two controller replicas would.

/** client-go's EventAggregatorByReasonFunc limits: more than this many distinct messages in the window combine. */
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_WINDOW_MS = 10 * 60_000;
/** client-go's spam filter: a burst of 25 per object, then one more every 5 minutes. */
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 5 * 60_000;
/** A series is written on its second occurrence, then at most this often (client-go flushes every 30 minutes). */
export const SERIES_FLUSH_MS = 30_000;
export const COMBINED_PREFIX = '(combined from similar events): ';
/** events.k8s.io/v1 validation: a note is at most 1 KiB. */
export const NOTE_MAX_BYTES = 1024;
const CACHE_MAX = 4096;

export interface EventKeyParts {
  kind: string;
  namespace: string;
  name: string;
  uid?: string | undefined;
  type: string;
  reason: string;
  component: string;
}

interface Series {
  /** The Event this process created for it. */
  name: string;
  /** Occurrences seen by this process. */
  count: number;
  /** Of those, how many the API server has been told about. */
  written: number;
  lastWrite: number;
}

interface Similar {
  messages: Set<string>;
  since: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface CorrelatorState {
  series: Map<string, Series>;
  similar: Map<string, Similar>;
  buckets: Map<string, Bucket>;
  /** Tells apart Events created within the same millisecond. */
  sequence: number;
}

export function newCorrelatorState(): CorrelatorState {
  return { series: new Map(), similar: new Map(), buckets: new Map(), sequence: 0 };
}

export type EventDecision =
  /** First seen here: create it (another instance may have: then it is one more of its series). */
  | { action: 'create'; key: string; name: string; note: string }
  /** Seen before: add what the API server has not been told about to the Event's series count. */
  | { action: 'add'; key: string; name: string; note: string; increment: number }
  /** Counted in memory only: written with the next occurrence after the flush interval. */
  | { action: 'hold'; name: string }
  /** Over the object's budget: dropped, as client-go's spam filter drops. */
  | { action: 'drop'; reason: string };

/** Truncated on a character boundary so the note stays within the API's byte limit. */
export function clampNote(note: string): string {
  if (Buffer.byteLength(note) <= NOTE_MAX_BYTES) return note;
  let out = note.slice(0, NOTE_MAX_BYTES);
  while (Buffer.byteLength(`${out}…`) > NOTE_MAX_BYTES) out = out.slice(0, -1);
  return `${out}…`;
}

/**
 * client-go's naming, `<object>.<unix nanoseconds in hex>`: the API server lists by name, and kubectl describe keeps
 * that order when the Events carry no lastTimestamp (events.k8s.io/v1 may not set it), so names in time order are
 * what shows a history in order.
 */
export function eventName(objectName: string, now: number, sequence: number): string {
  const nanos = BigInt(now) * 1_000_000n + BigInt(sequence % 1_000_000);
  return `${objectName.slice(0, 253 - 17)}.${nanos.toString(16)}`;
}

function remember<V>(m: Map<string, V>, key: string, value: V): void {
  m.delete(key);
  m.set(key, value);
  if (m.size > CACHE_MAX) m.delete(m.keys().next().value!);
}

function takeToken(state: CorrelatorState, key: string, now: number): boolean {
  const b = state.buckets.get(key) ?? { tokens: SPAM_BURST, at: now };
  const refilled = Math.min(SPAM_BURST, b.tokens + Math.floor((now - b.at) / SPAM_REFILL_MS));
  const at = refilled > b.tokens ? now : b.at;
  if (refilled < 1) {
    remember(state.buckets, key, { tokens: refilled, at });
    return false;
  }
  remember(state.buckets, key, { tokens: refilled - 1, at });
  return true;
}

/** Decides what one more occurrence of an event turns into, and records it in `state`. */
export function correlate(state: CorrelatorState, e: EventKeyParts & { message: string }, now: number): EventDecision {
  const object = `${e.kind}/${e.namespace}/${e.name}/${e.uid ?? ''}`;
  const similarKey = `${object}/${e.component}/${e.type}/${e.reason}`;
  const similar = state.similar.get(similarKey);
  const fresh =
    similar && now - similar.since < AGGREGATE_WINDOW_MS ? similar : { messages: new Set<string>(), since: now };
  let note = e.message;
  let isoKey = `${similarKey}/${e.message}`;
  if (!fresh.messages.has(e.message) && fresh.messages.size >= AGGREGATE_MAX_EVENTS) {
    note = COMBINED_PREFIX + e.message;
    isoKey = `${similarKey}/combined`;
  } else {
    fresh.messages.add(e.message);
  }
  remember(state.similar, similarKey, fresh);
  note = clampNote(note);

  const bucket = `${object}/${e.component}`;
  const seen = state.series.get(isoKey);
  if (seen) {
    const count = seen.count + 1;
    remember(state.series, isoKey, { ...seen, count });
    const name = seen.name;
    if (seen.written >= 2 && now - seen.lastWrite < SERIES_FLUSH_MS) return { action: 'hold', name };
    if (!takeToken(state, bucket, now))
      return { action: 'drop', reason: `more than ${SPAM_BURST} Events for ${object}` };
    return { action: 'add', key: isoKey, name, note, increment: count - seen.written };
  }
  if (!takeToken(state, bucket, now)) return { action: 'drop', reason: `more than ${SPAM_BURST} Events for ${object}` };
  const name = eventName(e.name, now, state.sequence++);
  remember(state.series, isoKey, { name, count: 1, written: 0, lastWrite: now });
  return { action: 'create', key: isoKey, name, note };
}

/** After a successful write: the API server has been told about every occurrence this process has seen. */
export function markWritten(state: CorrelatorState, key: string, now: number): void {
  const s = state.series.get(key);
  if (s) remember(state.series, key, { ...s, written: s.count, lastWrite: now });
}
