// Pure pieces of the Azure Storage Queue adapter: queue names, the subscription each queue describes
// in its metadata (so any publisher can discover the routing table), message text encoding, and the
// poison-queue wrapper that carries the dead-letter reason.
import { gateKey, parseGateKey } from '../events/resource-event.ts';
import { boundedName } from './names.ts';
import type { Subscription } from './types.ts';

export const DEFAULT_AZURE_QUEUE_PREFIX = 'capifn-';
/** Azure queue messages are at most 64 KiB of text. */
export const AZURE_QUEUE_MESSAGE_MAX = 64 * 1024;
/** Base64 inflates by 4/3: 48 KiB of JSON is what fits in one message. */
export const AZURE_QUEUE_MAX_JSON_BYTES = (AZURE_QUEUE_MESSAGE_MAX / 4) * 3;
/** Room kept for the poison wrapper (reason, handler, attempts, time), so a dead letter always fits. */
const POISON_ROOM_BYTES = 2_048;
export const AZURE_QUEUE_MAX_EVENT_BYTES = AZURE_QUEUE_MAX_JSON_BYTES - POISON_ROOM_BYTES;
/** sendMessage/updateMessage visibility timeouts are at most 7 days. */
export const AZURE_MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;
export const POISON_SUFFIX = '-poison';

/**
 * Queue names are 3–63 characters of lowercase letters, digits and single hyphens, starting and
 * ending with a letter or digit. The base leaves room for the Functions host's "-poison" suffix.
 */
export function azureQueueName(handler: string, prefix = DEFAULT_AZURE_QUEUE_PREFIX): string {
  return boundedName(`${prefix}${handler}`, {
    maxLength: 63 - POISON_SUFFIX.length,
    minLength: 3,
    invalid: /[^a-z0-9-]/g,
    replacement: '-',
    lowercase: true,
    collapse: true,
    trimEnds: true,
  });
}

export function poisonQueueName(queue: string): string {
  return `${queue}${POISON_SUFFIX}`;
}

/** Queue metadata describing the subscription (metadata names are case-insensitive identifiers). */
export function queueMetadataFor(sub: Subscription): Record<string, string> {
  const key = (k: { group: string; kind: string }) => `${k.group}/${k.kind}`;
  const metaSkip = sub.kinds.filter((k) => k.metadataChanges === false).map(key);
  const gated = sub.kinds.flatMap((k) => (k.whenExists ? [`${key(k)}=${gateKey(k.whenExists)}`] : []));
  const unchanged = sub.kinds.flatMap((k) => (k.unchanged ? [`${key(k)}=${k.unchanged}`] : []));
  return {
    capifnhandler: sub.handler,
    // `group/Kind`, then `=type|type` when only those event types of the kind are wanted, then `;status=false`
    // (or true) when the kind says whether it wants status-only changes.
    capifnkinds: sub.kinds
      .map(
        (k) =>
          `${key(k)}${k.types ? `=${k.types.join('|')}` : ''}${k.statusChanges === undefined ? '' : `;status=${k.statusChanges}`}`,
      )
      .join(','),
    capifnstatuschanges: String(sub.statusChanges),
    // Narrowing added later lives in keys of its own: a publisher that does not know them routes wider (the
    // handler's runtime drops the rest), where an unknown option inside `capifnkinds` would make it route nothing.
    ...(metaSkip.length ? { capifnmetaskip: metaSkip.join(',') } : {}),
    ...(gated.length ? { capifnwhenexists: gated.join(',') } : {}),
    ...(unchanged.length ? { capifnunchanged: unchanged.join(',') } : {}),
  };
}

export function subscriptionFromMetadata(meta: Record<string, string> | undefined): Subscription | undefined {
  const handler = meta?.capifnhandler;
  if (!meta || !handler) return undefined;
  const list = (v: string | undefined) => (v ?? '').split(',').filter((s) => s !== '');
  const metaSkip = new Set(list(meta.capifnmetaskip));
  const gates = new Map(list(meta.capifnwhenexists).map((e) => e.split('=') as [string, string]));
  const unchanged = new Map(list(meta.capifnunchanged).map((e) => e.split('=') as [string, string]));
  const kinds = list(meta.capifnkinds).map((entry) => {
    const [kindAndTypes, status] = entry.split(';status=') as [string, string | undefined];
    const [s, types] = kindAndTypes.split('=') as [string, string | undefined];
    const gate = gates.get(s);
    return {
      ...groupAndKind(s),
      ...(types ? { types: types.split('|') } : {}),
      ...(status === undefined ? {} : { statusChanges: status === 'true' }),
      ...(metaSkip.has(s) ? { metadataChanges: false } : {}),
      ...(gate ? { whenExists: parseGateKey(gate) } : {}),
      ...(unchanged.has(s) ? { unchanged: unchanged.get(s)! } : {}),
    };
  });
  return { handler, kinds, statusChanges: meta.capifnstatuschanges === 'true' };
}

function groupAndKind(s: string): { group: string; kind: string } {
  const slash = s.lastIndexOf('/');
  return { group: s.slice(0, slash), kind: s.slice(slash + 1) };
}

/** Base64 JSON: what Event Grid's storage-queue destination and the Functions queue trigger both use. */
export function encodeQueueMessage(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8').toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 JSON, else plain JSON (another writer), else the text itself (for the consumer to reject). */
export function decodeQueueMessage(text: string): unknown {
  if (text.length % 4 === 0 && BASE64.test(text)) {
    try {
      return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    } catch {
      // not base64 JSON after all
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface PoisonInfo {
  handler: string;
  reason: string;
  attempts: number;
  at: string;
}

interface PoisonWrapper {
  capifndeadletter: PoisonInfo;
  payload: unknown;
}

/**
 * The poison-queue message: the payload plus why it was dead-lettered. Undefined when even a shortened
 * reason does not fit; the caller then moves the original text unchanged (the Functions host's own
 * convention) and the reason survives only in the log.
 */
export function encodePoisonMessage(payload: unknown, info: PoisonInfo): string | undefined {
  for (const limit of [1_024, 128]) {
    const reason = info.reason.length > limit ? `${info.reason.slice(0, limit)}...` : info.reason;
    const wrapper: PoisonWrapper = { capifndeadletter: { ...info, reason }, payload };
    const text = encodeQueueMessage(wrapper);
    if (text.length <= AZURE_QUEUE_MESSAGE_MAX) return text;
  }
  return undefined;
}

export function decodePoisonMessage(text: string): { payload: unknown; info?: PoisonInfo } {
  const decoded = decodeQueueMessage(text);
  if (typeof decoded === 'object' && decoded !== null && 'capifndeadletter' in decoded && 'payload' in decoded) {
    const w = decoded as PoisonWrapper;
    return { payload: w.payload, info: w.capifndeadletter };
  }
  return { payload: decoded };
}
