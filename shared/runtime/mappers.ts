// Ready-made `Watch.map` functions: which objects an event about another object should reconcile.
import type { KubeObject, OwnerReference } from '../api/meta.ts';
import { apiGroupOf, type ObjectRef, type ResourceEvent } from '../events/resource-event.ts';
import { isNotFound } from '../kube/errors.ts';
import type { MapContext } from './handler.ts';

/** The object in the event, or a fresh read when the bridge left the body out (size limits). */
export async function eventObject(event: ResourceEvent, ctx: MapContext): Promise<KubeObject | undefined> {
  if (event.data.object) return event.data.object as unknown as KubeObject;
  if (event.type === 'io.capifn.resource.deleted') return undefined;
  try {
    return await ctx.kube.get(event.data.ref);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function ownerRef(o: OwnerReference, namespace: string | undefined): ObjectRef {
  const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid };
  if (namespace) ref.namespace = namespace;
  return ref;
}

/** The controller owner of the given group/kind (an InfraMachine → its Machine, a Machine → its MachineSet). */
export function controllerOwner(group: string, kind: string) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const obj = await eventObject(event, ctx);
    const o = obj?.metadata.ownerReferences?.find(
      (r) => r.controller === true && r.kind === kind && apiGroupOf(r.apiVersion) === group,
    );
    return o ? [ownerRef(o, obj?.metadata.namespace)] : [];
  };
}

/** Every owner of the given group/kind, controller or not (clones keep a MachineSet owner until adopted). */
export function ownersOfKind(group: string, kind: string) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const obj = await eventObject(event, ctx);
    return (obj?.metadata.ownerReferences ?? [])
      .filter((r) => r.kind === kind && apiGroupOf(r.apiVersion) === group)
      .map((r) => ownerRef(r, obj?.metadata.namespace));
  };
}

/** Combines mappers; the result is de-duplicated by object identity. */
export function all(...mappers: Array<(e: ResourceEvent, c: MapContext) => Promise<ObjectRef[]> | ObjectRef[]>) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const out = new Map<string, ObjectRef>();
    for (const m of mappers) {
      for (const r of await m(event, ctx))
        out.set(`${apiGroupOf(r.apiVersion)}/${r.kind}/${r.namespace ?? ''}/${r.name}`, r);
    }
    return [...out.values()];
  };
}

/** Objects of `target` kind in the event object's namespace whose label `label` equals `value(obj)`. */
export function listedBy(
  target: { apiVersion: string; kind: string },
  select: (obj: KubeObject) => { labelSelector?: string; filter?: (candidate: KubeObject) => boolean } | undefined,
) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const obj = await eventObject(event, ctx);
    if (!obj) return [];
    const q = select(obj);
    if (!q) return [];
    const list = await ctx.kube.listAll(target, {
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
    });
    return list.items
      .filter((c) => (q.filter ? q.filter(c) : true))
      .map((c) => ({
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: c.metadata.name!,
        ...(c.metadata.namespace ? { namespace: c.metadata.namespace } : {}),
        ...(c.metadata.uid ? { uid: c.metadata.uid } : {}),
      }));
  };
}
