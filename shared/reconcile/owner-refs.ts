// Owner reference rules from Cluster API (capi-core-spec.md §2.4, §3.7, §4).
import type { KubeObject, OwnerReference } from '../api/meta.ts';
import { apiGroupOf } from '../events/resource-event.ts';

export function ownerRefTo(owner: KubeObject, opts: { controller?: boolean } = {}): OwnerReference {
  const ref: OwnerReference = {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
  };
  if (opts.controller) {
    ref.controller = true;
    ref.blockOwnerDeletion = true;
  }
  return ref;
}

export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return controllerOf(o)?.uid === owner.metadata.uid;
}

export function hasOwner(o: KubeObject, group: string, kind: string, name?: string): boolean {
  return (o.metadata.ownerReferences ?? []).some(
    (r) => r.kind === kind && apiGroupOf(r.apiVersion) === group && (name === undefined || r.name === name),
  );
}

export function isOwnedByUid(o: KubeObject, uid: string | undefined): boolean {
  return Boolean(uid) && (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
}

/** Adds or replaces (by UID) an owner reference; returns the same list when nothing changes. */
export function ensureOwnerRef(refs: OwnerReference[] | undefined, ref: OwnerReference): OwnerReference[] {
  const list = refs ?? [];
  const i = list.findIndex(
    (r) =>
      r.uid === ref.uid ||
      (r.kind === ref.kind && apiGroupOf(r.apiVersion) === apiGroupOf(ref.apiVersion) && r.name === ref.name),
  );
  if (i < 0) return [...list, ref];
  const cur = list[i]!;
  if (
    cur.apiVersion === ref.apiVersion &&
    cur.uid === ref.uid &&
    Boolean(cur.controller) === Boolean(ref.controller) &&
    Boolean(cur.blockOwnerDeletion) === Boolean(ref.blockOwnerDeletion)
  ) {
    return list;
  }
  return list.map((r, j) => (j === i ? ref : r));
}

export function removeOwnerRefs(
  refs: OwnerReference[] | undefined,
  pred: (r: OwnerReference) => boolean,
): OwnerReference[] {
  return (refs ?? []).filter((r) => !pred(r));
}
