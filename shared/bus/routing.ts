import {
  absentExtensionsOf,
  apiGroupOf,
  gateExtension,
  META_ONLY_EXTENSION,
  type ResourceEvent,
  STATUS_ONLY_EXTENSION,
  TARGET_HANDLER_EXTENSION,
} from '../events/resource-event.ts';
import type { Subscription } from './types.ts';

const MODIFIED = 'io.capifn.resource.modified';

/**
 * The fields routing looks at, read defensively from any payload: a malformed event must still be
 * routed (to be dead-lettered with its reason by the handler), never crash the publisher.
 */
export interface RoutingFields {
  /** API group of `data.ref.apiVersion` ('' for the core group); undefined when the payload has none. */
  group?: string;
  kind?: string;
  /** `capifnhandler`: the one handler the event is for. */
  target?: string;
  /** A modification the bridge flagged as status-only (skipped by subscriptions with statusChanges false). */
  statusOnly: boolean;
  /** A modification the bridge flagged metadata-only (skipped by kinds with metadataChanges false). */
  metaOnly: boolean;
  type?: string;
  /** `capifnnone<kind>` extensions set on the event: kinds the bridge knew had no object where this one lives. */
  absent: Set<string>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function routingFieldsOf(raw: unknown): RoutingFields {
  const ev = obj(raw);
  const ref = obj(obj(ev?.data)?.ref);
  const apiVersion = str(ref?.apiVersion);
  const fields: RoutingFields = {
    statusOnly: ev?.type === MODIFIED && ev?.[STATUS_ONLY_EXTENSION] === 'true',
    metaOnly: ev?.type === MODIFIED && ev?.[META_ONLY_EXTENSION] === 'true',
    absent: absentExtensionsOf(ev),
  };
  if (apiVersion !== undefined) fields.group = apiGroupOf(apiVersion);
  const kind = str(ref?.kind);
  if (kind !== undefined) fields.kind = kind;
  const target = str(ev?.[TARGET_HANDLER_EXTENSION]);
  if (target !== undefined) fields.target = target;
  const type = str(ev?.type);
  if (type !== undefined) fields.type = type;
  return fields;
}

export function matchesRouting(f: RoutingFields, sub: Subscription): boolean {
  if (f.target !== undefined) return f.target === sub.handler;
  if (f.group === undefined || f.kind === undefined) return false;
  return sub.kinds.some(
    (k) =>
      k.kind === f.kind &&
      k.group === f.group &&
      (!k.types || (f.type !== undefined && k.types.includes(f.type))) &&
      !(f.statusOnly && !(k.statusChanges ?? sub.statusChanges)) &&
      !(f.metaOnly && k.metadataChanges === false) &&
      !(k.whenExists && f.absent.has(gateExtension(k.whenExists))) &&
      !(k.unchanged && f.absent.has(k.unchanged)),
  );
}

/** The routing rule every adapter applies (and every cloud rule/filter is generated from). */
export function matchesSubscription(event: ResourceEvent, sub: Subscription): boolean {
  return matchesRouting(routingFieldsOf(event), sub);
}

/** One group of a subscription's kinds that cloud filters can match alike. */
export interface KindGroup {
  group: string;
  kinds: string[];
  /** Absent: every type. */
  types?: string[];
  /** Whether status-only modifications of these kinds are wanted. */
  statusChanges: boolean;
  /** Whether metadata-only modifications of these kinds are wanted. */
  metadataChanges: boolean;
  /**
   * The `capifnnone…` extension whose presence skips these kinds: their watches' closed gate (`whenExists`,
   * `gateExtension`) or unchanged projection (`ignoring`, `unchangedExtension`).
   */
  absentKey?: string;
}

/**
 * `sub.kinds` grouped by API group, event types, whether status-only and metadata-only changes are wanted and the kind whose absence
 * skips them, in first-seen order
 * (cloud filters match group, kind and type separately).
 */
export function kindsByGroup(sub: Subscription): KindGroup[] {
  const out: KindGroup[] = [];
  const same = (a?: string[], b?: string[]) => (a ?? []).join(',') === (b ?? []).join(',') && !a === !b;
  for (const k of sub.kinds) {
    const statusChanges = k.statusChanges ?? sub.statusChanges;
    const metadataChanges = k.metadataChanges !== false;
    const absentKey = k.whenExists ? gateExtension(k.whenExists) : k.unchanged;
    let entry = out.find(
      (e) =>
        e.group === k.group &&
        same(e.types, k.types) &&
        e.statusChanges === statusChanges &&
        e.metadataChanges === metadataChanges &&
        e.absentKey === absentKey,
    );
    if (!entry) {
      entry = {
        group: k.group,
        kinds: [],
        ...(k.types ? { types: [...k.types] } : {}),
        statusChanges,
        metadataChanges,
        ...(absentKey ? { absentKey } : {}),
      };
      out.push(entry);
    }
    if (!entry.kinds.includes(k.kind)) entry.kinds.push(k.kind);
  }
  return out;
}
