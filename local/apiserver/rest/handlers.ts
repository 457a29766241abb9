// Resource endpoints: maps an HTTP request on a resource path to get/list/watch/create/update/patch/delete and
// the status, scale, eviction and finalize subresources.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { ApiContext } from '../context.ts';
import { evictPod } from '../eviction.ts';
import { applyJsonPatch, decodeJsonPatch, PatchApplyError, PatchDecodeError } from '../patch/json-patch.ts';
import {
  applyConfig,
  conflictMessage,
  fieldsOf,
  type ManagedEntry,
  parseManagedFields,
  renderPath,
} from '../patch/managed-fields.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyStrategicMergePatch, SmpError } from '../patch/strategic-merge.ts';
import { queryBool } from '../query.ts';
import type { ResourceDef, VersionDef } from '../registry.ts';
import {
  contentType,
  decodeObjectBody,
  duplicateJsonFields,
  type Negotiated,
  parseJson,
  parseYamlBody,
  type ResourcePath,
} from '../request.ts';
import { applyDefaults } from '../schema/default.ts';
import {
  ApiError,
  badRequest,
  fieldErrors,
  invalid,
  methodNotAllowed,
  notFound,
  RawValue,
  unsupportedMediaType,
} from '../status-errors.ts';
import { asArray, asObject, asString, isObject, type JsonObject } from '../util.ts';
import { type DeleteOptions, deleteObject, parsePropagation } from './delete.ts';
import { apiVersionOf, listTypeLookup, toExternal, trackable, untrack } from './objects.ts';
import { getObject, listBody, listObjects, type ReadTarget, serveWatch, tableBody } from './read.ts';
import { applyScale, hasSpecReplicas, scaleReplicas, scaleResourceVersion, toScale } from './scale.ts';
import {
  createObject,
  decodeForWrite,
  type FieldValidation,
  hasStatusSubresource,
  pruneAndDefault,
  type Target,
  updateObject,
  type WriteOptions,
  withRetry,
} from './write.ts';

export interface ResourceRequest {
  ctx: ApiContext;
  method: string;
  path: ResourcePath;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  res: ServerResponse;
  negotiated: Negotiated;
}

export interface ResourceResponse {
  status: number;
  body?: unknown;
  warnings: string[];
  /** the handler wrote the response itself (watch) */
  streamed?: boolean;
}

const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function notFoundResource(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export async function handleResource(req: ResourceRequest): Promise<ResourceResponse> {
  const { ctx, path } = req;
  const resolved = ctx.registry.find(path.group, path.version, path.resource);
  if (!resolved) throw notFoundResource();
  const { def, version } = resolved;
  if (path.namespace !== undefined && !def.namespaced) throw notFoundResource();
  const sub = path.subresource;
  if (sub) {
    const ok =
      (sub === 'status' && version.status) || (sub === 'scale' && version.scale) || def.extraSubresources.includes(sub);
    if (!ok || !path.name) throw notFoundResource();
  }
  if (def.namespaced && path.name !== undefined && path.namespace === undefined) throw notFoundResource();
  const warnings: string[] = [];
  if (version.deprecated && version.deprecationWarning) warnings.push(version.deprecationWarning);
  const method = req.method;
  if (def.review) {
    if (method !== 'POST' || path.name || sub) throw methodNotAllowed(method.toLowerCase(), def.resource);
    const raw = decodeObjectBody(req.body, contentType(req.headers['content-type']));
    if (!isObject(raw)) throw badRequest('body must be an object');
    const obj = {
      ...raw,
      apiVersion: apiVersionOf(def, version.name),
      kind: def.kind,
      metadata: asObject(raw.metadata),
    };
    return { status: 201, warnings, body: def.review(obj) };
  }
  const isWatch = path.watchPrefix || queryBool(req.query, 'watch');
  const read: ReadTarget = { ctx, def, version, namespace: path.namespace };
  if (method === 'GET' && isWatch) {
    const q = new URLSearchParams(req.query);
    if (path.name)
      q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${path.name}`].filter(Boolean).join(','));
    serveWatch(read, q, req.res, {
      table: req.negotiated.table,
      includeObject:
        q.get('includeObject') === 'None' || q.get('includeObject') === 'Object'
          ? (q.get('includeObject') as 'None' | 'Object')
          : 'Metadata',
    });
    return { status: 200, warnings, streamed: true };
  }
  if (method === 'GET' && !path.name) {
    const r = listObjects(read, req.query);
    return {
      status: 200,
      warnings,
      body: req.negotiated.table ? tableBody(read, r.items, r.meta, req.query) : listBody(read, r),
    };
  }
  const target: Target = {
    ctx,
    def,
    version,
    namespace: path.namespace ?? '',
    name: path.name ?? '',
    subresource: sub,
  };
  if (method === 'GET') {
    const obj = getObject(read, path.name!);
    if (sub === 'scale') return { status: 200, warnings, body: toScale(obj, version.scale!) };
    if (sub === 'eviction' || sub === 'finalize') throw methodNotAllowed('get', `${def.resource}/${sub}`);
    if (req.negotiated.table && !sub) {
      return {
        status: 200,
        warnings,
        body: tableBody(
          read,
          [obj],
          { resourceVersion: asString(asObject(obj.metadata).resourceVersion) ?? '' },
          req.query,
        ),
      };
    }
    return { status: 200, warnings, body: obj };
  }
  const opts = writeOptions(req, def, warnings, method);
  switch (method) {
    case 'POST': {
      if (sub === 'eviction') {
        const body = decodeObjectBody(req.body, contentType(req.headers['content-type']));
        return { status: 201, warnings, body: await evictPod(target, body, opts) };
      }
      if (path.name) throw methodNotAllowed('create', def.resource);
      const raw = decodeObjectBody(req.body, contentType(req.headers['content-type']));
      const obj = decodeForWrite(target, raw, opts, duplicatesOf(req));
      const result = await createObject(target, obj, opts);
      return { status: 201, warnings, body: result.object };
    }
    case 'PUT':
      if (!path.name) throw methodNotAllowed('update', def.resource);
      return { status: 200, warnings, body: await put(req, target, opts) };
    case 'PATCH':
      if (!path.name) throw methodNotAllowed('patch', def.resource);
      return patch(req, target, opts, warnings);
    case 'DELETE':
      if (sub) throw methodNotAllowed('delete', `${def.resource}/${sub}`);
      if (!path.name && !def.verbs.includes('deletecollection'))
        throw methodNotAllowed('deletecollection', def.resource);
      if (!path.name) return { status: 200, warnings, body: await deleteCollection(req, read, target, opts) };
      return del(req, target, opts, warnings);
    default:
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
}

function duplicatesOf(req: ResourceRequest): string[] {
  if (contentType(req.headers['content-type']) !== 'application/json') return [];
  return duplicateJsonFields(req.body.toString('utf8'));
}

function writeOptions(req: ResourceRequest, def: ResourceDef, warnings: string[], method: string): WriteOptions {
  const q = req.query;
  const dryRunValues = q.getAll('dryRun');
  const optionsKind =
    method === 'POST'
      ? 'CreateOptions'
      : method === 'PUT'
        ? 'UpdateOptions'
        : method === 'PATCH'
          ? 'PatchOptions'
          : 'DeleteOptions';
  for (const v of dryRunValues) {
    if (v !== 'All') throw invalid(optionsKind, 'meta.k8s.io', '', [fieldErrors.notSupported('dryRun[0]', v, ['All'])]);
  }
  const fv = q.get('fieldValidation') ?? '';
  let fieldValidation: FieldValidation = 'Warn';
  if (fv === 'Strict' || fv === 'Warn' || fv === 'Ignore') fieldValidation = fv;
  else if (fv !== '') throw badRequest(`invalid fieldValidation directive: ${fv}`);
  let fieldManager = q.get('fieldManager') ?? '';
  if (fieldManager.length > 128) {
    throw invalid(optionsKind, 'meta.k8s.io', '', [fieldErrors.tooLong('fieldManager', 128)]);
  }
  if (!fieldManager) {
    const ua = String(req.headers['user-agent'] ?? '');
    fieldManager = ua.split('/')[0] || 'unknown';
  }
  void def;
  const options: JsonObject = { kind: optionsKind, apiVersion: 'meta.k8s.io/v1' };
  if (dryRunValues.length) options.dryRun = dryRunValues;
  if (q.get('fieldManager')) options.fieldManager = q.get('fieldManager');
  return { dryRun: dryRunValues.includes('All'), fieldValidation, fieldManager, warnings, options };
}

async function put(req: ResourceRequest, t: Target, opts: WriteOptions): Promise<JsonObject> {
  const ctype = contentType(req.headers['content-type']);
  const raw = decodeObjectBody(req.body, ctype);
  const ns = t.def.namespaced ? t.namespace : '';
  if (t.subresource === 'scale') {
    const scale = asObject(raw);
    if (scale.kind !== undefined && scale.kind !== 'Scale')
      throw badRequest(`the kind in the data (${String(scale.kind)}) does not match the expected kind (Scale)`);
    const smeta = asObject(scale.metadata);
    if (smeta.name !== undefined && smeta.name !== t.name)
      throw badRequest(`the name of the object (${String(smeta.name)}) does not match the name on the URL (${t.name})`);
    return writeScale(t, scaleReplicas(scale), scaleResourceVersion(scale), opts);
  }
  if (t.subresource === 'finalize') {
    const body = asObject(raw);
    return withRetry(async () => {
      const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
      if (!existing) throw notFound({ group: t.def.group, resource: t.def.resource }, t.name);
      const next = toExternal(t.def, t.version.name, existing);
      next.spec = { ...asObject(next.spec), finalizers: asArray(asObject(body.spec).finalizers) };
      const r = await updateObject(
        t,
        { existing, next, clientRv: asString(asObject(body.metadata).resourceVersion) },
        opts,
      );
      return r.object;
    });
  }
  const obj = decodeForWrite(t, raw, opts, duplicatesOf(req));
  const clientRv = asString(asObject(obj.metadata).resourceVersion) ?? '';
  const bodyName = asObject(obj.metadata).name;
  if (bodyName !== undefined && bodyName !== t.name) {
    throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${t.name})`);
  }
  if (!clientRv && !t.def.builtin) {
    throw invalid(t.def.kind, t.def.group, t.name, [
      fieldErrors.invalid('metadata.resourceVersion', new RawValue('0x0'), 'must be specified for an update'),
    ]);
  }
  return withRetry(async () => {
    const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
    if (!existing) throw notFound({ group: t.def.group, resource: t.def.resource }, t.name);
    const r = await updateObject(t, { existing, next: obj, clientRv: clientRv || undefined }, opts);
    return r.object;
  });
}

async function writeScale(
  t: Target,
  replicas: number | undefined,
  clientRv: string | undefined,
  opts: WriteOptions,
): Promise<JsonObject> {
  const ns = t.def.namespaced ? t.namespace : '';
  const spec = t.version.scale!;
  return withRetry(async () => {
    const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
    if (!existing) throw notFound({ group: t.def.group, resource: t.def.resource }, t.name);
    const ext = toExternal(t.def, t.version.name, existing);
    if (replicas === undefined && !hasSpecReplicas(ext, spec)) {
      throw badRequest(`the spec replicas field "${spec.specReplicasPath}" cannot be empty`);
    }
    const next = applyScale(ext, spec, replicas);
    const r = await updateObject(t, { existing, next, ...(clientRv ? { clientRv } : {}) }, opts);
    return toScale(r.object, spec);
  });
}

function patchError(e: unknown): ApiError {
  if (e instanceof PatchDecodeError) return badRequest(e.message);
  if (e instanceof PatchApplyError)
    return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ message: e.message }],
    });
  if (e instanceof SmpError) return badRequest(e.message);
  if (e instanceof ApiError) return e;
  return badRequest(e instanceof Error ? e.message : String(e));
}

async function patch(
  req: ResourceRequest,
  t: Target,
  opts: WriteOptions,
  warnings: string[],
): Promise<ResourceResponse> {
  const ctype = contentType(req.headers['content-type']);
  const supported = t.def.smp
    ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]
    : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
  if (!supported.includes(ctype)) throw unsupportedMediaType(ctype, supported);
  const force = req.query.get('force');
  if (ctype !== PATCH_TYPES.apply && force !== null) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [
      fieldErrors.forbidden('force', 'may not be specified for non-apply patch'),
    ]);
  }
  if (ctype === PATCH_TYPES.apply) {
    if (!req.query.get('fieldManager')) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [
        fieldErrors.required('fieldManager', 'is required for apply patch'),
      ]);
    }
    return apply(req, t, opts, warnings, force === 'true');
  }
  const patchBody = parseJson(req.body);
  const ns = t.def.namespaced ? t.namespace : '';
  return withRetry(async () => {
    const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
    if (!existing) throw notFound({ group: t.def.group, resource: t.def.resource }, t.name);
    const ext = toExternal(t.def, t.version.name, existing);
    const base = t.subresource === 'scale' ? toScale(ext, t.version.scale!) : ext;
    let patched: unknown;
    try {
      if (ctype === PATCH_TYPES.json) patched = applyJsonPatch(base, decodeJsonPatch(patchBody));
      else if (ctype === PATCH_TYPES.merge) {
        // Go's encoding/json names the JSON type it could not put in a map (a Python client sends a list this way).
        if (!isObject(patchBody))
          throw badRequest(
            `json: cannot unmarshal ${goJsonType(patchBody)} into Go value of type map[string]interface {}`,
          );
        patched = applyMergePatch(base, patchBody);
      } else patched = applyStrategicMergePatch(base, patchBody, t.def.smp!);
    } catch (e) {
      throw patchError(e);
    }
    if (!isObject(patched)) throw badRequest('patched object is not a JSON object');
    const pm = asObject(patched.metadata);
    const bm = asObject(base.metadata);
    if (pm.uid !== undefined && pm.uid !== bm.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${t.def.group ? `${t.def.resource}.${t.def.group}` : t.def.resource} "${t.name}": Precondition failed: UID in precondition: ${String(pm.uid)}, UID in object meta: ${String(bm.uid)}`,
        {
          name: t.name,
          group: t.def.group,
          kind: t.def.resource,
        },
      );
    }
    const rvChanged = pm.resourceVersion !== bm.resourceVersion ? asString(pm.resourceVersion) : undefined;
    if (t.subresource === 'scale') {
      const replicas = scaleReplicas(patched);
      return { status: 200, warnings, body: await writeScale(t, replicas, rvChanged, opts) };
    }
    const next = decodeForWrite(t, patched, opts);
    const r = await updateObject(
      t,
      { existing, next, ...(rvChanged !== undefined ? { clientRv: rvChanged } : {}) },
      opts,
    );
    return { status: 200, warnings, body: r.object };
  });
}

async function apply(
  req: ResourceRequest,
  t: Target,
  opts: WriteOptions,
  warnings: string[],
  force: boolean,
): Promise<ResourceResponse> {
  const raw = parseYamlBody(req.body);
  if (!isObject(raw)) throw badRequest(`Object 'Kind' is missing in '${req.body.toString('utf8')}'`);
  if (t.subresource === 'scale') {
    return { status: 200, warnings, body: await writeScale(t, scaleReplicas(raw), scaleResourceVersion(raw), opts) };
  }
  const want = apiVersionOf(t.def, t.version.name);
  if (raw.apiVersion !== want || raw.kind !== t.def.kind) {
    throw badRequest(
      raw.apiVersion === undefined || raw.kind === undefined
        ? `Object 'Kind' is missing in '${req.body.toString('utf8')}'`
        : `the API version or kind in the data (${String(raw.apiVersion)}, ${String(raw.kind)}) does not match the expected (${want}, ${t.def.kind})`,
    );
  }
  const cfgName = asObject(raw.metadata).name;
  if (cfgName !== undefined && cfgName !== t.name) {
    throw badRequest(`the name of the object (${String(cfgName)}) does not match the name on the URL (${t.name})`);
  }
  // The applied configuration is pruned but not defaulted: defaults are not fields the applier owns.
  const pruned = pruneAndDefault(t, raw, opts, [], false);
  const cfg = { ...pruned, metadata: { ...asObject(pruned.metadata), name: t.name } };
  const cfgRv = asString(asObject(cfg.metadata).resourceVersion);
  const lookup = listTypeLookup(t.def, t.version);
  const hasStatus = hasStatusSubresource(t);
  const ns = t.def.namespaced ? t.namespace : '';
  const apiVersion = want;
  return withRetry(async () => {
    const existing = t.ctx.store.get(t.def.storageKey, ns, t.name);
    if (!existing) {
      if (t.subresource) throw notFound({ group: t.def.group, resource: t.def.resource }, t.name);
      const entries: ManagedEntry[] = [
        {
          manager: opts.fieldManager,
          operation: 'Apply',
          apiVersion,
          time: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
          fields: fieldsOf(trackable(cfg, hasStatus, ''), lookup),
        },
      ];
      const obj = t.def.builtin ? cfg : (applyDefaults(cfg, t.version.schema) as JsonObject);
      const m = asObject(obj.metadata);
      delete m.resourceVersion;
      const r = await createObject(t, obj, opts, { entries });
      return { status: 201, warnings, body: r.object };
    }
    const live = toExternal(t.def, t.version.name, existing);
    const entries = parseManagedFields(asObject(live.metadata).managedFields);
    const res = applyConfig(
      trackable(live, hasStatus, t.subresource),
      trackable(cfg, hasStatus, t.subresource),
      entries,
      opts.fieldManager,
      apiVersion,
      t.subresource || undefined,
      force,
      lookup,
    );
    if (res.conflicts.length > 0) {
      throw new ApiError(409, 'Conflict', conflictMessage(res.conflicts), {
        causes: res.conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with ${JSON.stringify(c.manager.manager)}${c.manager.operation === 'Update' ? ` using ${c.manager.apiVersion}` : ''}`,
          field: renderPath(c.path),
        })),
      });
    }
    let next = untrack(live, res.object, hasStatus, t.subresource);
    if (!t.def.builtin) next = applyDefaults(next, t.version.schema) as JsonObject;
    const r = await updateObject(
      t,
      { existing, next, ...(cfgRv ? { clientRv: cfgRv } : {}), managed: { entries: res.entries } },
      opts,
    );
    return { status: 200, warnings, body: r.object };
  });
}

function deleteOptionsOf(req: ResourceRequest): DeleteOptions {
  let body: JsonObject = {};
  const text = req.body.toString('utf8').trim();
  if (text) {
    const parsed = decodeObjectBody(req.body, contentType(req.headers['content-type']));
    if (!isObject(parsed)) throw badRequest('DeleteOptions must be an object');
    body = parsed;
  }
  const q = req.query;
  const opts: DeleteOptions = {};
  const pp = parsePropagation(body.propagationPolicy ?? q.get('propagationPolicy') ?? undefined);
  if (pp) opts.propagationPolicy = pp;
  const od = body.orphanDependents ?? (q.has('orphanDependents') ? queryBool(q, 'orphanDependents') : undefined);
  if (typeof od === 'boolean') opts.orphanDependents = od;
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    throw invalid('DeleteOptions', 'meta.k8s.io', '', [
      fieldErrors.invalid(
        'propagationPolicy',
        opts.propagationPolicy,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    ]);
  }
  const pre = asObject(body.preconditions);
  if (pre.uid !== undefined || pre.resourceVersion !== undefined) {
    opts.preconditions = {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    };
  }
  const grace =
    body.gracePeriodSeconds ?? (q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : undefined);
  if (typeof grace === 'number') opts.gracePeriodSeconds = grace;
  const bodyDry = asArray(body.dryRun);
  if (bodyDry.length && !q.getAll('dryRun').length) for (const d of bodyDry) q.append('dryRun', String(d));
  return opts;
}

async function del(req: ResourceRequest, t: Target, opts: WriteOptions, warnings: string[]): Promise<ResourceResponse> {
  const dopts = deleteOptionsOf(req);
  if (req.query.getAll('dryRun').includes('All')) opts.dryRun = true;
  const r = await withRetry(() => deleteObject(t, dopts, opts));
  if (r.deleted && !t.def.deleteReturnsObject) {
    return {
      status: 200,
      warnings,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: t.name,
          group: t.def.group,
          kind: t.def.resource,
          uid: asObject(r.object.metadata).uid,
        },
      },
    };
  }
  const accepted = !r.deleted && dopts.orphanDependents === false;
  return { status: accepted ? 202 : 200, warnings, body: r.object };
}

async function deleteCollection(
  req: ResourceRequest,
  read: ReadTarget,
  t: Target,
  opts: WriteOptions,
): Promise<JsonObject> {
  const dopts = deleteOptionsOf(req);
  if (req.query.getAll('dryRun').includes('All')) opts.dryRun = true;
  const q = new URLSearchParams(req.query);
  q.delete('limit');
  q.delete('continue');
  const { items } = listObjects(read, q);
  for (const o of items) {
    const m = asObject(o.metadata);
    try {
      await withRetry(() =>
        deleteObject({ ...t, namespace: asString(m.namespace) ?? t.namespace, name: String(m.name) }, dopts, opts),
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
}

export type { VersionDef };

/** The JSON type as Go's encoding/json names it in an UnmarshalTypeError. */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'boolean' ? 'bool' : typeof v; // number, string
}
