// Status-only change detection: a handler's own status write must not wake it again (DESIGN.md
// rule 1, serverless-anchors §0.5). Everything but `status`, `resourceVersion` and `managedFields`
// goes into the fingerprint, so label, annotation, finalizer, owner and deletion changes still count.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../shared/api/meta.ts';
import { WHILE_DELETING } from '../../shared/events/resource-event.ts';

/** JSON with every object's keys in sorted order (objects already sorted are written as they are). */
function stable(v: unknown): string {
  return (
    JSON.stringify(v, (_key, value: unknown) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const keys = Object.keys(value);
      let sorted = true;
      for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
      if (sorted) return value;
      const out: Record<string, unknown> = {};
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

/**
 * Remembers, per object UID, a fingerprint of everything a watch looks at: the object without resourceVersion,
 * managedFields, generation and the paths it ignores (`ignoredPaths`: `status` among them for most). A path marked
 * `WHILE_DELETING` is ignored only in an object being deleted: the cache then keeps a second fingerprint without those
 * paths, and compares an object being deleted by that one, so that neither the deletion's start (when the watch
 * ignores the deletion marks) nor a later change of those paths counts.
 */
export class ProjectionCache {
  private readonly byUid = new Map<string, { always: string; deleting: string }>();
  private readonly always: ReadonlyArray<readonly string[]>;
  private readonly whileDeleting: ReadonlyArray<readonly string[]>;

  constructor(ignoring: ReadonlyArray<readonly string[]>) {
    this.always = ignoring.filter((p) => p[0] !== WHILE_DELETING);
    this.whileDeleting = ignoring.filter((p) => p[0] === WHILE_DELETING).map((p) => p.slice(1));
  }

  /** Records `obj`; true when what the watch looks at is as it was for its UID (false when unknown). */
  observe(obj: KubeObject): boolean {
    const uid = obj.metadata.uid;
    if (!uid) return false;
    // The generation follows the spec: a change of a path looked at shows there itself.
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...metadata } = obj.metadata ?? {};
    const view: Record<string, unknown> = { ...obj, metadata };
    for (const path of this.always) drop(view, path);
    const always = hash(view);
    let deleting = always;
    if (this.whileDeleting.length) {
      for (const path of this.whileDeleting) drop(view, path);
      deleting = hash(view);
    }
    const prev = this.byUid.get(uid);
    this.byUid.set(uid, { always, deleting });
    if (!prev) return false;
    return obj.metadata.deletionTimestamp ? prev.deleting === deleting : prev.always === always;
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
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
