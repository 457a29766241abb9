// Status-only change detection: a handler's own status write must not wake it again (DESIGN.md
// rule 1, serverless-anchors §0.5). Everything but `status`, `resourceVersion` and `managedFields`
// goes into the fingerprint, so label, annotation, finalizer, owner and deletion changes still count.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../shared/api/meta.ts';
import { CONTROLLER_DELETING, controllersDeletingIn, type GroupKind } from '../../shared/events/resource-event.ts';

/** JSON with every object's keys in sorted order (objects already sorted are written as they are). */
function stable(v: unknown): string {
  return (
    JSON.stringify(v, (_key, value: unknown) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const keys = Object.keys(value);
      let sorted = true;
      for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
      if (sorted) return value;
      // Without a prototype, so that a `__proto__` key (a free-form map may have one) stays a key.
      const out: Record<string, unknown> = Object.create(null);
      for (const k of keys.sort()) out[k] = (value as Record<string, unknown>)[k];
      return out;
    }) ?? 'null'
  );
}

function hash(v: unknown): string {
  return createHash('sha1').update(stable(v)).digest('base64url');
}

/**
 * The three parts a modification can touch, fingerprinted apart: `meta` (labels, annotations, finalizers, owners…),
 * `body` (spec and every other top-level field, with the deletion marks: a deletion is never "metadata only"),
 * `status`. resourceVersion and managedFields are in none of them.
 */
function parts(obj: KubeObject): { meta: string; body: string; status: string } {
  const { status, metadata, ...rest } = obj;
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    deletionTimestamp,
    deletionGracePeriodSeconds,
    ...meta
  } = metadata ?? {};
  return {
    meta: hash(meta),
    body: hash({ ...rest, deletionTimestamp, deletionGracePeriodSeconds }),
    status: hash(status ?? null),
  };
}

/** What a modification changed, as far as the cache knows; both false when the previous state is unknown. */
export interface Change {
  /** Nothing outside `status` changed. */
  statusOnly: boolean;
  /** Only metadata changed (labels, annotations, finalizers, owner references…), neither spec nor status nor deletion. */
  metaOnly: boolean;
}

/** Whether the bridge knows the object with this UID, of this kind, to be being deleted. */
export type KnownDeleting = (controller: GroupKind, uid: string) => boolean;

/**
 * Remembers, per object UID, a fingerprint of everything a watch looks at: the object without resourceVersion,
 * managedFields, generation and the paths it ignores (`ignoredPaths`: `status` among them for most). An entry
 * `[CONTROLLER_DELETING, group, kind]` among them makes every modification of an object whose controller of that
 * kind is known (`knownDeleting`) to be being deleted count as unchanged.
 */
export class ProjectionCache {
  private readonly byUid = new Map<string, string>();
  private readonly paths: ReadonlyArray<readonly string[]>;
  private readonly controllers: GroupKind[];
  private readonly knownDeleting: KnownDeleting | undefined;

  constructor(ignoring: ReadonlyArray<readonly string[]>, knownDeleting?: KnownDeleting) {
    this.paths = ignoring.filter((p) => p[0] !== CONTROLLER_DELETING);
    this.controllers = controllersDeletingIn(ignoring);
    this.knownDeleting = knownDeleting;
  }

  /** Records `obj`; true when what the watch looks at is as it was for its UID (false when unknown). */
  observe(obj: KubeObject): boolean {
    const uid = obj.metadata.uid;
    if (!uid) return false;
    // The generation follows the spec: a change of a path looked at shows there itself.
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...metadata } = obj.metadata ?? {};
    const view: Record<string, unknown> = { ...obj, metadata };
    for (const path of this.paths) drop(view, path);
    const now = hash(view);
    const prev = this.byUid.get(uid);
    this.byUid.set(uid, now);
    if (prev === now) return true;
    return this.controllerDeleting(obj);
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
  }

  private controllerDeleting(obj: KubeObject): boolean {
    if (!this.knownDeleting || !this.controllers.length) return false;
    const owner = obj.metadata.ownerReferences?.find((o) => o.controller);
    if (!owner?.uid) return false;
    const group = owner.apiVersion.includes('/') ? owner.apiVersion.slice(0, owner.apiVersion.lastIndexOf('/')) : '';
    return this.controllers.some(
      (c) => c.group === group && c.kind === owner.kind && this.knownDeleting!(c, owner.uid),
    );
  }
}

/**
 * Removes `path` from `o`, an object of the caller's own: each object on the way is copied first, so the event's
 * object is never changed, and only what a path reaches is copied (not the whole object).
 */
function drop(o: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(o, head)) return;
  if (!rest.length) {
    delete o[head];
    return;
  }
  const next = o[head];
  if (!next || typeof next !== 'object' || Array.isArray(next)) return;
  const own = { ...(next as Record<string, unknown>) };
  drop(own, rest);
  // A map left empty is the map absent (Kubernetes reads both alike): the first label copied in is no change either.
  if (Object.keys(own).length) o[head] = own;
  else delete o[head];
}

/** Remembers the last fingerprints per object UID to classify MODIFIED events. */
export class FingerprintCache {
  private readonly byUid = new Map<string, { meta: string; body: string; status: string; stub: KubeObject }>();

  /** Records `obj` and says what changed since the state remembered for its UID. */
  observe(obj: KubeObject): Change {
    const uid = obj.metadata.uid;
    if (!uid) return { statusOnly: false, metaOnly: false };
    const now = parts(obj);
    const prev = this.byUid.get(uid);
    const { name, namespace } = obj.metadata;
    const stub: KubeObject = {
      ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
      ...(obj.kind ? { kind: obj.kind } : {}),
      metadata: { uid, ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) },
    };
    this.byUid.set(uid, { ...now, stub });
    if (!prev) return { statusOnly: false, metaOnly: false };
    const statusOnly = prev.meta === now.meta && prev.body === now.body;
    return { statusOnly, metaOnly: !statusOnly && prev.body === now.body && prev.status === now.status };
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
  }

  uids(): Set<string> {
    return new Set(this.byUid.keys());
  }

  /** Identity (apiVersion, kind, name, namespace, uid) of a remembered object. */
  stub(uid: string): KubeObject | undefined {
    return this.byUid.get(uid)?.stub;
  }

  get size(): number {
    return this.byUid.size;
  }
}
