// DELETE semantics: preconditions, admission, garbage-collector finalizers by propagation policy, finalizers
// holding the object with a deletionTimestamp, and the namespace/CRD deletion special cases.

import { ApiError, conflict, notFound } from '../status-errors.ts';
import { PreconditionError } from '../storage/store.ts';
import { asArray, asObject, clone, type JsonObject, nowRfc3339 } from '../util.ts';
import { toExternal } from './objects.ts';
import { admissionAttrs, RetryWrite, type Target, type WriteOptions } from './write.ts';

export type Propagation = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: Propagation;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';
export const CRD_CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';

export interface DeleteResult {
  /** served form: the last state (removed) or the object now carrying deletionTimestamp */
  object: JsonObject;
  deleted: boolean;
}

export function parsePropagation(v: unknown): Propagation | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'Orphan' || v === 'Background' || v === 'Foreground') return v;
  throw new ApiError(
    422,
    'Invalid',
    `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ${JSON.stringify(v)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
  );
}

export async function deleteObject(
  t: Target,
  opts: DeleteOptions,
  wopts: WriteOptions,
  runAdmission = true,
): Promise<DeleteResult> {
  const r = { group: t.def.group, resource: t.def.resource };
  const ns = t.def.namespaced ? t.namespace : '';
  const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
  if (!existing) throw notFound(r, t.name);
  const m = asObject(existing.metadata);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== m.uid) {
    throw conflict(
      r,
      t.name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(m.uid)}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
    throw conflict(
      r,
      t.name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(m.resourceVersion)}`,
    );
  }
  const ext = toExternal(t.def, t.version.name, existing);
  if (runAdmission) {
    await t.ctx.admission.mutate(admissionAttrs(t, 'DELETE', undefined, ext, wopts));
    await t.ctx.admission.validate(admissionAttrs(t, 'DELETE', undefined, ext, wopts));
  }
  const finalizers = asArray(m.finalizers).filter((f): f is string => typeof f === 'string');
  let policy = opts.propagationPolicy;
  if (!policy && opts.orphanDependents !== undefined) policy = opts.orphanDependents ? 'Orphan' : 'Background';
  if (!policy) {
    if (finalizers.includes(ORPHAN)) policy = 'Orphan';
    else if (finalizers.includes(FOREGROUND)) policy = 'Foreground';
    else policy = 'Background';
  }
  let next = finalizers.filter((f) => f !== ORPHAN && f !== FOREGROUND);
  if (policy === 'Orphan') next.push(ORPHAN);
  if (policy === 'Foreground') next.push(FOREGROUND);
  const isNamespace = t.def.group === '' && t.def.resource === 'namespaces';
  const isCrd = t.def.group === 'apiextensions.k8s.io' && t.def.resource === 'customresourcedefinitions';
  const deleting = !!m.deletionTimestamp;
  if (isCrd && !deleting && !next.includes(CRD_CLEANUP)) next = [...next, CRD_CLEANUP];
  const specFinalizers = isNamespace ? asArray(asObject(existing.spec).finalizers) : [];
  if (next.length === 0 && specFinalizers.length === 0) {
    if (wopts.dryRun) return { object: ext, deleted: true };
    try {
      const c = t.ctx.store.write(t.def.storageKey, ns, t.name, null, String(m.resourceVersion));
      return { object: toExternal(t.def, t.version.name, c.object), deleted: true };
    } catch (e) {
      if (e instanceof PreconditionError) throw new RetryWrite();
      throw e;
    }
  }
  const updated = clone(existing);
  const um = asObject(updated.metadata);
  um.finalizers = next;
  if (!deleting) {
    um.deletionTimestamp = nowRfc3339();
    um.deletionGracePeriodSeconds = 0;
    if (typeof um.generation === 'number' && um.generation > 0) um.generation += 1;
    if (isNamespace) updated.status = { ...asObject(updated.status), phase: 'Terminating' };
    if (isCrd) {
      const st = asObject(updated.status);
      const conds = asArray(st.conditions).filter((c) => asObject(c).type !== 'Terminating');
      conds.push({
        type: 'Terminating',
        status: 'True',
        lastTransitionTime: nowRfc3339(),
        reason: 'InstanceDeletionPending',
        message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
      });
      updated.status = { ...st, conditions: conds };
    }
  }
  if (next.length === 0) delete um.finalizers;
  const unchanged = deleting && JSON.stringify(asArray(m.finalizers)) === JSON.stringify(asArray(um.finalizers ?? []));
  if (unchanged || wopts.dryRun) return { object: toExternal(t.def, t.version.name, updated), deleted: false };
  try {
    t.ctx.store.write(t.def.storageKey, ns, t.name, updated, String(m.resourceVersion));
  } catch (e) {
    if (e instanceof PreconditionError) throw new RetryWrite();
    throw e;
  }
  return { object: toExternal(t.def, t.version.name, updated), deleted: false };
}
