// The only way handlers write objects: compare first (a converged reconcile makes zero writes,
// DESIGN.md rule 1), then write with the resourceVersion the change was computed from (rule 2).
import type { KubeObject } from '../api/meta.ts';
import { cloneJson } from '../json/clone.ts';
import type { KubeClient } from '../kube/client.ts';
import { deepEqual, pruneEmpty } from './equal.ts';

function withoutStatus(o: KubeObject): KubeObject {
  const { status: _s, ...rest } = o;
  return rest as KubeObject;
}

/** PUTs `desired` (everything but status) when it differs from `current`; returns the stored object. */
export async function updateIfChanged<T extends KubeObject>(
  kube: KubeClient,
  current: T,
  desired: T,
  fieldManager?: string,
): Promise<T> {
  if (deepEqual(pruneEmpty(withoutStatus(current)), pruneEmpty(withoutStatus(desired)))) return current;
  const body = {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: current.metadata.resourceVersion },
  } as T;
  return kube.update(body, fieldManager ? { fieldManager } : {});
}

/** PUTs `/status` with `status` when it differs from `current.status`; returns the stored object. */
export async function updateStatusIfChanged<T extends KubeObject>(
  kube: KubeClient,
  current: T,
  status: unknown,
  fieldManager?: string,
): Promise<T> {
  if (deepEqual(pruneEmpty(current.status ?? {}), pruneEmpty(status ?? {}))) return current;
  const body = { ...current, status: pruneEmpty(status) } as T;
  return kube.updateStatus(body, fieldManager ? { fieldManager } : {});
}

export function hasFinalizer(o: KubeObject, f: string): boolean {
  return (o.metadata.finalizers ?? []).includes(f);
}

export function withFinalizer<T extends KubeObject>(o: T, f: string): T {
  if (hasFinalizer(o, f)) return o;
  return { ...o, metadata: { ...o.metadata, finalizers: [...(o.metadata.finalizers ?? []), f] } };
}

export function withoutFinalizer<T extends KubeObject>(o: T, f: string): T {
  if (!hasFinalizer(o, f)) return o;
  return { ...o, metadata: { ...o.metadata, finalizers: (o.metadata.finalizers ?? []).filter((x) => x !== f) } };
}

export function isDeleting(o: KubeObject): boolean {
  return Boolean(o.metadata.deletionTimestamp);
}

export function clone<T>(v: T): T {
  return cloneJson(v);
}
