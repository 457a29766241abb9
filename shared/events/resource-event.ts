// The event contract between the bridge, the buses and the handlers (see DESIGN.md, "Contracts").
// Every event is a hint: "look at this object again". Handlers read fresh state when the body is
// absent or older than they need.
// zod/mini: the same validation as the classic API, tree-shaken to what this contract uses, since every
// function bundle carries it.
import * as z from 'zod/mini';
import type { KubeObject } from '../api/meta.ts';

export const EVENT_TYPE_PREFIX = 'io.capifn.resource.';
export const ResourceEventType = z.enum([
  'io.capifn.resource.added',
  'io.capifn.resource.modified',
  'io.capifn.resource.deleted',
  'io.capifn.resource.resync',
]);
export type ResourceEventType = z.infer<typeof ResourceEventType>;

/** The schedule tick that drives the drift check; not a resource event. */
export const SCHEDULE_TICK_TYPE = 'io.capifn.schedule.tick';

/**
 * CloudEvents extension attribute naming the one handler an event is for (requeues, targeted
 * resyncs). Absent: every handler watching the kind receives it.
 */
export const TARGET_HANDLER_EXTENSION = 'capifnhandler';
/** Extension attribute: earliest delivery time (RFC 3339) for delayed events on buses without native delay. */
export const NOT_BEFORE_EXTENSION = 'capifnnotbefore';
/** Extension attribute: "true" when only `status` (and resourceVersion/managedFields) changed. */
export const STATUS_ONLY_EXTENSION = 'capifnstatusonly';
/**
 * Extension attribute: "true" when only metadata changed (labels, annotations, finalizers, owner references…):
 * neither spec nor status, and no deletion.
 */
export const META_ONLY_EXTENSION = 'capifnmetaonly';
/**
 * Extension attributes `capifnnone<kind>` = "true": when the bridge published the event, it knew that no object of
 * that kind existed where the event's object lives (its namespace; anywhere, for a cluster-scoped object). A watch
 * that only matters while such an object exists (`whenExists`) is then skipped by every bus's routing. One attribute
 * per kind, so that cloud filters test each by presence alone. The same prefix names every skip flag: a deleting
 * gate's (`gateExtension`) and a watch's "nothing it looks at changed" (`unchangedExtension`).
 */
export const ABSENT_EXTENSION_PREFIX = 'capifnnone';

/**
 * The `capifnnone…` extension for a kind: the first 10 lower-case letters and digits of its name, so the attribute
 * name stays within the 20 characters CloudEvents asks for (some SDKs refuse longer ones). Two gate kinds sharing a
 * name this way are refused when the watches are read (watchedKinds).
 */
export function absentExtension(kind: string): string {
  return `${ABSENT_EXTENSION_PREFIX}${kind
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10)}`;
}

/**
 * A watch's gate (`whenExists`): an object of this kind where the event's object lives, or with `deleting`, one being
 * deleted there (a Cluster waiting for its Machines to go).
 */
export interface Gate {
  group: string;
  kind: string;
  deleting?: boolean;
}

/**
 * The flag a gate's events carry when the bridge knows the gate is closed: `capifnnone<kind>` (none exists), or
 * `capifnnonedel<kind>` (none is being deleted; the same prefix, so every reader of absence flags reads it alike).
 */
export function gateExtension(g: Gate): string {
  return absentExtension(g.deleting ? `del${g.kind}` : g.kind);
}

/** An API group and kind, e.g. the controller a watch waits for (`Watch.addedOnceControlledBy`). */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * The flag a modification carries when nothing changed outside the paths a watch ignores (`ignoredPaths`), and, for
 * a watch with `addedOnceControlledBy`, an addition of an object without that controller: `capifnnone` (the
 * skip-flag prefix: "no change that matters") and 10 characters of a hash of the kind, the paths and the controller,
 * so cloud filters test it by presence alone, like a closed gate's.
 */
export function unchangedExtension(
  group: string,
  kind: string,
  ignoring: readonly (readonly string[])[],
  addedOnceControlledBy?: GroupKind,
): string {
  const by = addedOnceControlledBy;
  const key = `${group}/${kind}:${canonicalPaths(ignoring)}${by ? `|added once controlled by ${by.group}/${by.kind}` : ''}`;
  // FNV-1a, 32 bits twice (two seeds): stable across runtimes and cheap, and 10 base-36 characters keep the name
  // within the 20 CloudEvents asks for.
  const fnv = (seed: number) => {
    let h = seed >>> 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
    return h;
  };
  const digits = `${fnv(2166136261).toString(36)}${fnv(84696351).toString(36)}`.padStart(10, '0');
  return `${ABSENT_EXTENSION_PREFIX}${digits.slice(0, 10)}`;
}

/**
 * The first key of an ignored-path entry that is not a path: `[CONTROLLER_DELETING, group, kind]` says that every
 * modification of an object whose controller of that kind is being deleted is ignored
 * (`Watch.ignoringWhileControllerDeleting`). No object has such a top-level field.
 */
export const CONTROLLER_DELETING = '(controller deleting)';

/** The controller kinds an ignored-path list names with `CONTROLLER_DELETING`. */
export function controllersDeletingIn(paths: readonly (readonly string[])[]): GroupKind[] {
  return paths
    .filter((p) => p[0] === CONTROLLER_DELETING && p.length === 3)
    .map((p) => ({ group: p[1]!, kind: p[2]! }));
}

/** Paths (each a list of keys) in one order and one spelling, whatever order a declaration lists them in. */
export function canonicalPaths(paths: readonly (readonly string[])[]): string {
  return JSON.stringify(paths.map((p) => JSON.stringify(p)).sort());
}

/** One gate as a string: `group/Kind`, with `#deleting` for a deleting gate. */
export function gateKey(g: Gate): string {
  return `${g.group}/${g.kind}${g.deleting ? '#deleting' : ''}`;
}

/** The gate `gateKey` wrote. */
export function parseGateKey(s: string): Gate {
  const deleting = s.endsWith('#deleting');
  const gk = deleting ? s.slice(0, -'#deleting'.length) : s;
  const slash = gk.lastIndexOf('/');
  return { group: gk.slice(0, slash), kind: gk.slice(slash + 1), ...(deleting ? { deleting: true } : {}) };
}

/** The kinds (as `absentExtension` names) an event says are absent; read from any payload, never throws. */
export function absentExtensionsOf(raw: unknown): Set<string> {
  const out = new Set<string>();
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (v === 'true' && k.startsWith(ABSENT_EXTENSION_PREFIX) && /^[a-z0-9]+$/.test(k)) out.add(k);
  }
  return out;
}

export const ObjectRefSchema = z.strictObject({
  apiVersion: z.string().check(z.minLength(1)),
  kind: z.string().check(z.minLength(1)),
  namespace: z.optional(z.string()),
  name: z.string().check(z.minLength(1)),
  uid: z.optional(z.string()),
});
export type ObjectRef = z.infer<typeof ObjectRefSchema>;

export const ResourceEventData = z.strictObject({
  ref: ObjectRefSchema,
  resourceVersion: z.optional(z.string()),
  generation: z.optional(z.int()),
  object: z.optional(z.record(z.string(), z.unknown())),
  /** Why the drift check resyncs the object (`resync` events only), for the logs of the handler it wakes. */
  reason: z.optional(z.string()),
});
export type ResourceEventData = z.infer<typeof ResourceEventData>;

/** The parts of a CloudEvents 1.0 envelope capi-fn relies on, validated at every entrypoint. */
export const ResourceEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  type: ResourceEventType,
  subject: z.string().check(z.minLength(1)),
  time: z.optional(z.string()),
  datacontenttype: z.optional(z.string()),
  data: ResourceEventData,
  [TARGET_HANDLER_EXTENSION]: z.optional(z.string()),
  [NOT_BEFORE_EXTENSION]: z.optional(z.string()),
  [STATUS_ONLY_EXTENSION]: z.optional(z.enum(['true', 'false'])),
  [META_ONLY_EXTENSION]: z.optional(z.enum(['true', 'false'])),
});
export type ResourceEvent = z.infer<typeof ResourceEventSchema>;

export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function apiVersionOnly(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

/**
 * `group/version/kind/namespace/name`; the core group is written `core` and a cluster-scoped
 * object's namespace `_`, so every subject has five non-empty segments that bus filters can match.
 */
export function subjectOf(ref: ObjectRef): string {
  const group = apiGroupOf(ref.apiVersion) || 'core';
  return `${group}/${apiVersionOnly(ref.apiVersion)}/${ref.kind}/${ref.namespace || '_'}/${ref.name}`;
}

export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata.name ?? '' };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  return ref;
}

export function refKey(ref: Pick<ObjectRef, 'apiVersion' | 'kind' | 'namespace' | 'name'>): string {
  return `${apiGroupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export interface NewEventOptions {
  type: ResourceEventType;
  source: string;
  ref: ObjectRef;
  resourceVersion?: string;
  generation?: number;
  object?: KubeObject;
  targetHandler?: string;
  notBefore?: Date;
  statusOnly?: boolean;
  metaOnly?: boolean;
  /** Kinds known to have no object where this one lives (`absentExtension` of each). */
  absent?: Iterable<string>;
  id?: string;
  time?: Date;
  reason?: string;
}

export function newResourceEvent(o: NewEventOptions): ResourceEvent {
  const data: ResourceEventData = { ref: o.ref };
  if (o.resourceVersion !== undefined) data.resourceVersion = o.resourceVersion;
  if (o.generation !== undefined) data.generation = o.generation;
  if (o.object) data.object = o.object as Record<string, unknown>;
  if (o.reason) data.reason = o.reason;
  const ev: ResourceEvent = {
    specversion: '1.0',
    id: o.id ?? crypto.randomUUID(),
    source: o.source,
    type: o.type,
    subject: subjectOf(o.ref),
    time: (o.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
  if (o.targetHandler) ev[TARGET_HANDLER_EXTENSION] = o.targetHandler;
  if (o.notBefore) ev[NOT_BEFORE_EXTENSION] = o.notBefore.toISOString();
  if (o.statusOnly !== undefined) ev[STATUS_ONLY_EXTENSION] = o.statusOnly ? 'true' : 'false';
  if (o.metaOnly !== undefined) ev[META_ONLY_EXTENSION] = o.metaOnly ? 'true' : 'false';
  for (const ext of o.absent ?? []) (ev as Record<string, unknown>)[ext] = 'true';
  return ev;
}

export type ParseResult = { ok: true; event: ResourceEvent } | { ok: false; reason: string };

/** Validates an incoming envelope; the reason names each bad field so a dead letter explains itself. */
export function parseResourceEvent(input: unknown): ParseResult {
  const r = ResourceEventSchema.safeParse(input);
  if (r.success) {
    // The schema names its extensions; the per-kind `capifnnone…` flags are kept beside them.
    for (const ext of absentExtensionsOf(input)) (r.data as Record<string, unknown>)[ext] = 'true';
    return { ok: true, event: r.data };
  }
  const reason = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(event)'}: ${i.message}`).join('; ');
  return { ok: false, reason: `malformed capi-fn event: ${reason}` };
}
