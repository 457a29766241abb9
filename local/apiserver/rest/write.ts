// The write pipeline every create/update/patch goes through, in upstream order:
// decode → prune (unknown fields per fieldValidation) → default → strategy (server-set fields, status rules,
// generation) → mutating admission → validation → validating admission → managedFields → commit.
import type { ApiContext } from '../context.ts';
import {
  diffFields,
  type ManagedEntry,
  parseManagedFields,
  recordUpdate,
  serializeManagedFields,
} from '../patch/managed-fields.ts';
import type { ResourceDef, VersionDef } from '../registry.ts';
import { firstInvalidBytes } from '../schema/bytes.ts';
import { applyDefaults } from '../schema/default.ts';
import { pruneObject } from '../schema/prune.ts';
import { validateObject } from '../schema/validate.ts';
import {
  ApiError,
  alreadyExists,
  badRequest,
  type FieldError,
  forbidden,
  invalid,
  notFound,
  staleConflict,
} from '../status-errors.ts';
import { PreconditionError } from '../storage/store.ts';
import { asArray, asObject, asString, clone, deepEqual, isObject, type JsonObject, nowRfc3339 } from '../util.ts';
import {
  apiVersionOf,
  checkTypeMeta,
  generateName,
  listTypeLookup,
  newUid,
  toExternal,
  toStorage,
  trackable,
  validateObjectMeta,
} from './objects.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  fieldManager: string;
  warnings: string[];
  /** CreateOptions/UpdateOptions/PatchOptions as webhooks see them */
  options: JsonObject;
}

export interface Target {
  ctx: ApiContext;
  def: ResourceDef;
  version: VersionDef;
  namespace: string;
  name: string;
  subresource: string;
}

/** Raised when the stored object moved under an unconditional write: the handler recomputes and retries. */
export class RetryWrite extends Error {}

export function hasStatusSubresource(t: Target): boolean {
  return t.version.status;
}

/** Prune against the served version's schema, report unknown fields, apply schema defaults (CRs). */
export function pruneAndDefault(
  t: Target,
  obj: JsonObject,
  opts: WriteOptions,
  duplicates: string[] = [],
  withDefaults = true,
): JsonObject {
  const { value, unknown } = pruneObject(obj, t.version.schema);
  const problems = [
    ...duplicates.map((d) => `duplicate field "${d}"`),
    ...[...unknown].sort().map((u) => `unknown field "${u}"`),
  ];
  if (problems.length > 0) {
    if (opts.fieldValidation === 'Strict') {
      throw badRequest(
        `${t.def.kind} in version "${t.version.name}" cannot be handled as a ${t.def.kind}: strict decoding error: ${problems.join(', ')}`,
      );
    }
    if (opts.fieldValidation === 'Warn') for (const p of problems) opts.warnings.push(p);
  }
  const pruned = value as JsonObject;
  return t.def.builtin || !withDefaults ? pruned : (applyDefaults(pruned, t.version.schema) as JsonObject);
}

/** Body → served object: a JSON object with matching apiVersion/kind, pruned and defaulted. */
export function decodeForWrite(t: Target, raw: unknown, opts: WriteOptions, duplicates: string[] = []): JsonObject {
  if (!isObject(raw)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(raw)}'`);
  const obj = clone(raw);
  checkTypeMeta(obj, t.def, t.version);
  if (obj.metadata !== undefined && !isObject(obj.metadata)) throw badRequest('metadata must be an object');
  if (!isObject(obj.metadata)) obj.metadata = {};
  // Custom resources report a bad `format: byte` as a 422 from schema validation; built-ins fail decoding first.
  const bad = t.def.builtin ? firstInvalidBytes(obj, t.version.schema) : undefined;
  if (bad) {
    throw badRequest(
      `${t.def.kind} in version "${t.version.name}" cannot be handled as a ${t.def.kind}: ${bad.path}: illegal base64 data at input byte ${bad.offset}`,
    );
  }
  return pruneAndDefault(t, obj, opts, duplicates);
}

function metaOf(o: JsonObject): JsonObject {
  if (!isObject(o.metadata)) o.metadata = {};
  return o.metadata as JsonObject;
}

function withoutMetaAndStatus(o: JsonObject, dropStatus: boolean): JsonObject {
  const out: JsonObject = { ...o };
  delete out.metadata;
  delete out.apiVersion;
  delete out.kind;
  if (dropStatus) delete out.status;
  return out;
}

/** Fields of `errs` whose value did not change since `old` are tolerated (validation ratcheting). */
function ratchet(errs: FieldError[], obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  if (!old) return errs;
  return errs.filter((e) => {
    const a = valueAtFieldPath(obj, e.field);
    const b = valueAtFieldPath(old, e.field);
    return a === undefined || !deepEqual(a, b);
  });
}

function valueAtFieldPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    if (m[1] !== undefined) cur = isObject(cur) ? cur[m[1]] : undefined;
    else cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function validate(t: Target, obj: JsonObject, old: JsonObject | undefined, subresource: string): void {
  const errs: FieldError[] = [...validateObjectMeta(t.def, obj, old)];
  if (!t.def.builtin) errs.push(...ratchet(validateObject(obj, t.version.schema), obj, old));
  if (t.def.validate) errs.push(...t.def.validate(obj, { old, subresource }));
  if (errs.length > 0) {
    throw invalid(t.def.kind, t.def.group, asString(asObject(obj.metadata).name) ?? '', errs);
  }
}

function checkNamespace(t: Target, creating: boolean): void {
  if (!t.def.namespaced) return;
  const ns = t.ctx.store.get('namespaces', '', t.namespace);
  if (!ns) throw notFound({ group: '', resource: 'namespaces' }, t.namespace);
  if (creating && asObject(ns.metadata).deletionTimestamp) {
    throw forbidden(
      { group: t.def.group, resource: t.def.resource },
      t.name,
      `unable to create new content in namespace ${t.namespace} because it is being terminated`,
      [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${t.namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    );
  }
}

function crdTerminating(t: Target): boolean {
  if (!t.def.crd) return false;
  const crd = t.ctx.store.get('apiextensions.k8s.io/customresourcedefinitions', '', t.def.crd.name);
  return !!crd && !!asObject(crd.metadata).deletionTimestamp;
}

export interface ManagedUpdate {
  /** precomputed entries (server-side apply); otherwise an Update entry is recorded for opts.fieldManager */
  entries?: ManagedEntry[];
}

function recordManaged(
  t: Target,
  oldExt: JsonObject | undefined,
  next: JsonObject,
  opts: WriteOptions,
  m: ManagedUpdate,
): void {
  const meta = metaOf(next);
  if (m.entries) {
    meta.managedFields = serializeManagedFields(m.entries);
    return;
  }
  const requested = meta.managedFields;
  let base: ManagedEntry[];
  if (Array.isArray(requested) && requested.length === 1 && deepEqual(requested[0], {})) base = [];
  else if (Array.isArray(requested) && oldExt && !deepEqual(requested, asObject(oldExt.metadata).managedFields))
    base = parseManagedFields(requested);
  else base = parseManagedFields(oldExt ? asObject(oldExt.metadata).managedFields : undefined);
  const hasStatus = hasStatusSubresource(t);
  const before = oldExt ? trackable(oldExt, hasStatus, t.subresource) : {};
  const after = trackable(next, hasStatus, t.subresource);
  const { changed, removed } = diffFields(before, after, listTypeLookup(t.def, t.version));
  const entries = recordUpdate(
    base,
    opts.fieldManager,
    apiVersionOf(t.def, t.version.name),
    t.subresource || undefined,
    changed,
    removed,
  );
  meta.managedFields = serializeManagedFields(entries);
  if ((meta.managedFields as unknown[]).length === 0) delete meta.managedFields;
}

export interface WriteResult {
  /** served form of what is stored now (or would be, for dryRun) */
  object: JsonObject;
  created: boolean;
  /** the write removed the object (last finalizer gone) */
  deleted: boolean;
}

/** POST: `obj` is already decoded (decodeForWrite). */
export async function createObject(
  t: Target,
  objIn: JsonObject,
  opts: WriteOptions,
  managed: ManagedUpdate = {},
): Promise<WriteResult> {
  const obj = clone(objIn);
  const meta = metaOf(obj);
  if (t.def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = t.namespace;
  } else {
    delete meta.namespace;
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
    throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
  }
  if (!asString(meta.name) && asString(meta.generateName)) meta.name = generateName(String(meta.generateName));
  const name = asString(meta.name) ?? '';
  const target: Target = { ...t, name };
  if (crdTerminating(t)) {
    throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
  }
  checkNamespace(target, true);
  // Server-owned metadata.
  meta.uid = newUid();
  meta.creationTimestamp = nowRfc3339();
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.resourceVersion;
  if (t.def.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  if (hasStatusSubresource(t)) delete obj.status;
  t.def.prepare?.(obj, { old: undefined, subresource: '' });
  let admitted = obj;
  if (name) {
    const mutated = await t.ctx.admission.mutate(admissionAttrs(target, 'CREATE', admitted, undefined, opts));
    if (mutated && mutated !== admitted) {
      admitted = pruneAndDefault(t, mutated, { ...opts, fieldValidation: 'Ignore' });
      restoreServerMeta(admitted, obj);
    }
  }
  validate(target, admitted, undefined, '');
  await t.ctx.admission.validate(admissionAttrs(target, 'CREATE', admitted, undefined, opts));
  recordManaged(target, undefined, admitted, opts, managed);
  if (opts.dryRun) {
    const existing = t.ctx.store.get(t.def.storageKey, t.namespace, name);
    if (existing) throw alreadyExists({ group: t.def.group, resource: t.def.resource }, name);
    return { object: admitted, created: true, deleted: false };
  }
  const stored = toStorage(t.def, admitted);
  try {
    t.ctx.store.write(t.def.storageKey, t.def.namespaced ? t.namespace : '', name, stored, null);
  } catch (e) {
    if (e instanceof PreconditionError) {
      const existing = t.ctx.store.get(t.def.storageKey, t.def.namespaced ? t.namespace : '', name);
      throw alreadyExists(
        { group: t.def.group, resource: t.def.resource },
        name,
        !!existing && !!asObject(existing.metadata).deletionTimestamp,
      );
    }
    throw e;
  }
  return { object: toExternal(t.def, t.version.name, stored), created: true, deleted: false };
}

/** Server-set metadata a mutating webhook may not change. */
function restoreServerMeta(obj: JsonObject, from: JsonObject): void {
  const m = metaOf(obj);
  const f = asObject(from.metadata);
  for (const k of [
    'uid',
    'creationTimestamp',
    'generation',
    'namespace',
    'name',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ]) {
    if (f[k] === undefined) delete m[k];
    else m[k] = f[k];
  }
}

export function admissionAttrs(
  t: Target,
  operation: 'CREATE' | 'UPDATE' | 'DELETE',
  object: JsonObject | undefined,
  oldObject: JsonObject | undefined,
  opts: WriteOptions,
) {
  return {
    operation,
    def: t.def,
    version: t.version.name,
    subresource: t.subresource,
    namespace: t.def.namespaced ? t.namespace : '',
    name: t.name,
    object,
    oldObject,
    dryRun: opts.dryRun,
    options: opts.options,
    convert: (o: JsonObject, version: string) => toExternal(t.def, version, toStorage(t.def, o)),
    warnings: opts.warnings,
  };
}

export interface UpdateInput {
  /** the stored object the new state was computed from */
  existing: JsonObject;
  /** the proposed new state, served form */
  next: JsonObject;
  /** a resourceVersion the client asked for (PUT body or patch precondition): mismatch → 409 */
  clientRv?: string;
  managed?: ManagedUpdate;
}

/** PUT/PATCH on the main resource or the status subresource. */
export async function updateObject(t: Target, input: UpdateInput, opts: WriteOptions): Promise<WriteResult> {
  const { existing } = input;
  const r = { group: t.def.group, resource: t.def.resource };
  const existingRv = String(asObject(existing.metadata).resourceVersion);
  if (input.clientRv !== undefined && input.clientRv !== '' && input.clientRv !== existingRv) {
    throw staleConflict(r, t.name);
  }
  const oldExt = toExternal(t.def, t.version.name, existing);
  const oldMeta = asObject(oldExt.metadata);
  let next = clone(input.next);
  const hasStatus = hasStatusSubresource(t);
  if (t.subresource === 'status') {
    // /status changes status only; everything else comes from storage.
    const status = next.status;
    const requestedManaged = asObject(next.metadata).managedFields;
    next = clone(oldExt);
    if (status === undefined) delete next.status;
    else next.status = status;
    if (requestedManaged !== undefined) metaOf(next).managedFields = requestedManaged;
  } else if (hasStatus) {
    if (oldExt.status === undefined) delete next.status;
    else next.status = clone(oldExt.status);
  }
  const meta = metaOf(next);
  if (t.def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    meta.namespace = t.namespace;
  } else delete meta.namespace;
  if (meta.name !== undefined && meta.name !== t.name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`);
  }
  meta.name = t.name;
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
    if (oldMeta[k] === undefined) delete meta[k];
    else meta[k] = oldMeta[k];
  }
  delete meta.selfLink;
  meta.resourceVersion = existingRv;
  t.def.prepare?.(next, { old: oldExt, subresource: t.subresource });
  let admitted = next;
  const mutated = await t.ctx.admission.mutate(admissionAttrs(t, 'UPDATE', admitted, oldExt, opts));
  if (mutated && mutated !== admitted) {
    admitted = pruneAndDefault(t, mutated, { ...opts, fieldValidation: 'Ignore' });
    restoreServerMeta(admitted, next);
    metaOf(admitted).resourceVersion = existingRv;
  }
  if (t.def.tracksGeneration) {
    const before = withoutMetaAndStatus(oldExt, hasStatus);
    const after = withoutMetaAndStatus(admitted, hasStatus);
    const gen = typeof oldMeta.generation === 'number' ? oldMeta.generation : 1;
    metaOf(admitted).generation = deepEqual(before, after) ? gen : gen + 1;
  }
  validate(t, admitted, oldExt, t.subresource);
  await t.ctx.admission.validate(admissionAttrs(t, 'UPDATE', admitted, oldExt, opts));
  recordManaged(t, oldExt, admitted, opts, input.managed ?? {});
  const strip = (o: JsonObject) => {
    const c = { ...o, metadata: { ...asObject(o.metadata) } };
    delete (c.metadata as JsonObject).managedFields;
    return c;
  };
  const sameManaged = managedEqualIgnoringTime(
    asObject(oldExt.metadata).managedFields,
    asObject(admitted.metadata).managedFields,
  );
  if (deepEqual(strip(oldExt), strip(admitted)) && sameManaged) {
    // No-op write: same resourceVersion, no event.
    return { object: oldExt, created: false, deleted: false };
  }
  const finalizersGone =
    !!asObject(admitted.metadata).deletionTimestamp &&
    asArray(asObject(admitted.metadata).finalizers).length === 0 &&
    !(t.def.group === '' && t.def.resource === 'namespaces' && asArray(asObject(admitted.spec).finalizers).length > 0);
  if (opts.dryRun) return { object: admitted, created: false, deleted: finalizersGone };
  const ns = t.def.namespaced ? t.namespace : '';
  try {
    if (finalizersGone) {
      const c = t.ctx.store.write(t.def.storageKey, ns, t.name, null, existingRv);
      return { object: toExternal(t.def, t.version.name, c.object), created: false, deleted: true };
    }
    const stored = toStorage(t.def, admitted);
    t.ctx.store.write(t.def.storageKey, ns, t.name, stored, existingRv);
    return { object: toExternal(t.def, t.version.name, stored), created: false, deleted: false };
  } catch (e) {
    if (e instanceof PreconditionError) {
      if (e.kind === 'missing') throw notFound(r, t.name);
      if (input.clientRv) throw staleConflict(r, t.name);
      throw new RetryWrite();
    }
    throw e;
  }
}

function managedEqualIgnoringTime(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    asArray(v).map((e) => {
      const o = { ...asObject(e) };
      delete o.time;
      return o;
    });
  return deepEqual(norm(a), norm(b));
}

/** Run `fn` again when an unconditional write lost a race with another writer. */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RetryWrite && i < 10) continue;
      if (e instanceof RetryWrite) throw new ApiError(409, 'Conflict', 'the object kept changing; please retry');
      throw e;
    }
  }
}
