// Pure derivations for Pub/Sub: message attributes carrying the routing fields, the per-handler
// subscription filter expression over them, ordering keys and resource names.
//
// The emulator (gcloud 528, jar 0.8.20) stores a subscription's filter but does not apply it (measured:
// a message the filter excludes is delivered). The consumer therefore applies the same rule to the same
// attributes as well; on real Pub/Sub the filter drops the message before it is ever delivered.
import { absentExtensionsOf, NOT_BEFORE_EXTENSION } from '../events/resource-event.ts';
import { boundedName } from './names.ts';
import { kindsByGroup, matchesRouting, type RoutingFields, routingFieldsOf } from './routing.ts';
import type { Subscription } from './types.ts';

/** Pub/Sub's documented limit on a subscription filter. */
export const FILTER_MAX_BYTES = 256;
/** Ordering keys are limited to 1 KB. */
const ORDERING_KEY_MAX_BYTES = 1_024;

export const ATTR_KIND = 'capifnkind';
export const ATTR_HANDLER = 'capifnhandler';
export const ATTR_STATUS_ONLY = 'capifnstatusonly';
export const ATTR_META_ONLY = 'capifnmetaonly';
export const ATTR_TYPE = 'capifntype';

/**
 * Attributes for a payload: `capifnkind` = "group/Kind" (core: "/Kind"), target handler, status-only flag, type and
 * the kinds known absent.
 */
export function pubsubAttributesFor(payload: unknown): Record<string, string> {
  const f = routingFieldsOf(payload);
  const attrs: Record<string, string> = {};
  if (f.group !== undefined && f.kind !== undefined) attrs[ATTR_KIND] = `${f.group}/${f.kind}`;
  if (f.target !== undefined) attrs[ATTR_HANDLER] = f.target;
  // Only the skippable case is flagged, so the filter can test presence.
  if (f.statusOnly) attrs[ATTR_STATUS_ONLY] = 'true';
  if (f.metaOnly) attrs[ATTR_META_ONLY] = 'true';
  if (f.type !== undefined) attrs[ATTR_TYPE] = f.type;
  // `capifnnone<kind>` under its own name, so a filter tests it by presence.
  for (const key of f.absent) attrs[key] = 'true';
  return attrs;
}

/** The routing fields as the filter sees them: attributes only, never the message body. */
export function routingFieldsOfAttributes(attrs: Record<string, string> | null | undefined): RoutingFields {
  const a = attrs ?? {};
  const f: RoutingFields = {
    statusOnly: a[ATTR_STATUS_ONLY] === 'true',
    metaOnly: a[ATTR_META_ONLY] === 'true',
    absent: absentExtensionsOf(a),
  };
  const k = a[ATTR_KIND];
  if (k !== undefined) {
    const slash = k.lastIndexOf('/');
    f.group = k.slice(0, slash);
    f.kind = k.slice(slash + 1);
  }
  if (a[ATTR_HANDLER]) f.target = a[ATTR_HANDLER];
  if (a[ATTR_TYPE]) f.type = a[ATTR_TYPE];
  return f;
}

export function attributesMatch(attrs: Record<string, string> | null | undefined, sub: Subscription): boolean {
  return matchesRouting(routingFieldsOfAttributes(attrs), sub);
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface PubSubFilter {
  filter: string;
  /** False when the exact filter was over 256 bytes and a wider one is used (the consumer narrows it). */
  exact: boolean;
}

/**
 * The subscription filter for `sub`. Mixing AND and OR needs parentheses in Pub/Sub's filter syntax.
 * Falls back to wider filters when the exact one exceeds 256 bytes: group prefixes, then targeting
 * and status only.
 */
export function pubsubFilterFor(sub: Subscription): PubSubFilter {
  const targeted = `attributes.${ATTR_HANDLER} = ${quote(sub.handler)}`;
  const groups = kindsByGroup(sub);
  if (groups.length === 0) return { filter: targeted, exact: true };
  const untargeted = [`NOT attributes:${ATTR_HANDLER}`];
  const notStatusOnly = `NOT attributes:${ATTR_STATUS_ONLY}`;
  // Skipped for every kind: said once. Skipped for some: said with those kinds (the wider fallbacks then let
  // status-only changes of them through, and the consumer narrows).
  const skipAll = groups.every((g) => !g.statusChanges);
  if (skipAll) untargeted.push(notStatusOnly);
  const build = (kindClause: string | undefined) => {
    const parts = kindClause ? [...untargeted, kindClause] : untargeted;
    return `${targeted} OR (${parts.join(' AND ')})`;
  };
  const exactKinds = groups.flatMap((g) =>
    g.kinds.map((k) => {
      const terms = [`attributes.${ATTR_KIND} = ${quote(`${g.group}/${k}`)}`];
      if (g.types) terms.push(orClause(g.types.map((t) => `attributes.${ATTR_TYPE} = ${quote(t)}`)));
      if (!g.statusChanges && !skipAll) terms.push(notStatusOnly);
      if (!g.metadataChanges) terms.push(`NOT attributes:${ATTR_META_ONLY}`);
      if (g.absentKey) terms.push(`NOT attributes:${g.absentKey}`);
      return terms.length === 1 ? terms[0]! : `(${terms.join(' AND ')})`;
    }),
  );
  const candidates = [
    { filter: build(orClause(exactKinds)), exact: true },
    {
      filter: build(
        orClause(
          [...new Set(groups.map((g) => g.group))].map((g) => `hasPrefix(attributes.${ATTR_KIND}, ${quote(`${g}/`)})`),
        ),
      ),
      exact: false,
    },
    { filter: build(undefined), exact: false },
  ];
  for (const c of candidates) if (Buffer.byteLength(c.filter) <= FILTER_MAX_BYTES) return c;
  throw new RangeError(`no Pub/Sub filter for handler "${sub.handler}" fits in ${FILTER_MAX_BYTES} bytes`);
}

function orClause(terms: string[]): string {
  return terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`;
}

/**
 * Per-object ordering: the object UID (subject as a fallback). Delayed events get no key: a message held
 * for its capifnnotbefore would otherwise hold back every later event of the same object.
 */
export function orderingKeyFor(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const p = payload as Record<string, unknown>;
  if (typeof p[NOT_BEFORE_EXTENSION] === 'string') return '';
  const data = p.data as { ref?: { uid?: unknown } } | undefined;
  const uid = typeof data?.ref?.uid === 'string' ? data.ref.uid : undefined;
  const subject = typeof p.subject === 'string' ? p.subject : undefined;
  const key = uid || subject || '';
  return Buffer.byteLength(key) <= ORDERING_KEY_MAX_BYTES ? key : '';
}

const PUBSUB_NAME = { maxLength: 255, invalid: /[^A-Za-z0-9._~+%-]/g, replacement: '-' };

export function pubsubSubscriptionName(topic: string, handler: string): string {
  return boundedName(`${topic}-${handler}`, PUBSUB_NAME);
}

/** What receives a handler's events while its subscription is replaced by a deployment (infra/gcp/deploy.sh). */
export function pubsubStandInName(topic: string, handler: string): string {
  return boundedName(`${topic}-${handler}-standin`, PUBSUB_NAME);
}

/** Topic (and its one subscription) that holds a handler's dead letters. */
export function pubsubDeadLetterName(topic: string, handler: string): string {
  return boundedName(`${topic}-${handler}-dead-letter`, PUBSUB_NAME);
}
