// Object-level rules shared by every write: version conversion, type meta, ObjectMeta validation, names.
import { randomInt, randomUUID } from 'node:crypto';
import type { ListKind, ListTypeLookup } from '../patch/managed-fields.ts';
import { gvString, type ResourceDef, type VersionDef } from '../registry.ts';
import type { Schema } from '../schema/types.ts';
import { labelKeyError, labelValueError } from '../selectors.ts';
import { badRequest, type FieldError, fieldErrors } from '../status-errors.ts';
import { asArray, asObject, asString, isObject, type JsonObject } from '../util.ts';

export function apiVersionOf(def: ResourceDef, version: string): string {
  return gvString(def.group, version);
}

/** Stored object → what clients of `version` see. */
export function toExternal(def: ResourceDef, version: string, stored: JsonObject): JsonObject {
  if (def.fromStorage) return def.fromStorage(stored, version);
  return { ...stored, apiVersion: apiVersionOf(def, version), kind: def.kind };
}

/** Served object → stored form. */
export function toStorage(def: ResourceDef, obj: JsonObject): JsonObject {
  if (def.toStorage) return def.toStorage(obj);
  return { ...obj, apiVersion: apiVersionOf(def, def.storageVersion), kind: def.kind };
}

/** The body's apiVersion/kind must name this endpoint's type when set (client-node may omit them). */
export function checkTypeMeta(obj: JsonObject, def: ResourceDef, version: VersionDef): void {
  const want = apiVersionOf(def, version.name);
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`);
  }
  obj.apiVersion = want;
  obj.kind = def.kind;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** apiserver names.SimpleNameGenerator: base cut to 58 chars + 5 random chars. */
export function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  return b + s;
}

export function newUid(): string {
  return randomUUID();
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kinds whose names are path segments rather than DNS subdomains (RBAC allows ':' etc.). */
const PATH_SEGMENT_NAMES = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);

export function validateObjectMeta(def: ResourceDef, obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const m = asObject(obj.metadata);
  const name = asString(m.name) ?? '';
  if (!name) {
    errs.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
  } else if (PATH_SEGMENT_NAMES.has(def.resource)) {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%'))
      errs.push(fieldErrors.invalid('metadata.name', name, "may not contain '/' or '%'"));
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errs.push(fieldErrors.invalid('metadata.name', name, SUBDOMAIN_MSG));
  }
  const labels = m.labels;
  if (labels !== undefined && labels !== null) {
    if (!isObject(labels)) errs.push(fieldErrors.invalid('metadata.labels', labels, 'must be a map of strings'));
    else
      for (const [k, v] of Object.entries(labels)) {
        const ke = labelKeyError(k);
        if (ke) errs.push(fieldErrors.invalid('metadata.labels', k, ke));
        if (typeof v !== 'string') errs.push(fieldErrors.invalid(`metadata.labels`, v, 'must be a string'));
        else {
          const ve = labelValueError(v);
          if (ve) errs.push(fieldErrors.invalid('metadata.labels', v, ve));
        }
      }
  }
  const ann = m.annotations;
  if (ann !== undefined && ann !== null) {
    if (!isObject(ann)) errs.push(fieldErrors.invalid('metadata.annotations', ann, 'must be a map of strings'));
    else {
      let size = 0;
      for (const [k, v] of Object.entries(ann)) {
        const ke = labelKeyError(k);
        if (ke) errs.push(fieldErrors.invalid('metadata.annotations', k, ke));
        size += k.length + (typeof v === 'string' ? v.length : 0);
      }
      if (size > 256 * 1024) errs.push(fieldErrors.tooLong('metadata.annotations', 256 * 1024));
    }
  }
  const finalizers = asArray(m.finalizers);
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string' || !validQualifiedName(f))
      errs.push(
        fieldErrors.invalid(
          `metadata.finalizers[${i}]`,
          f,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
  });
  const owners = asArray(m.ownerReferences);
  let controllers = 0;
  owners.forEach((o, i) => {
    const r = asObject(o);
    const p = `metadata.ownerReferences[${i}]`;
    if (!asString(r.apiVersion))
      errs.push(fieldErrors.invalid(`${p}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!asString(r.kind)) errs.push(fieldErrors.invalid(`${p}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!asString(r.name)) errs.push(fieldErrors.invalid(`${p}.name`, r.name ?? '', 'name must not be empty'));
    if (!asString(r.uid)) errs.push(fieldErrors.invalid(`${p}.uid`, r.uid ?? '', 'uid must not be empty'));
    if (r.controller === true) controllers++;
  });
  if (controllers > 1)
    errs.push(
      fieldErrors.invalid('metadata.ownerReferences', owners, 'Only one reference can have Controller set to true'),
    );
  if (old) {
    const om = asObject(old.metadata);
    if (om.deletionTimestamp) {
      const before = new Set(asArray(om.finalizers));
      const added = finalizers.filter((f) => !before.has(f));
      if (added.length > 0)
        errs.push(
          fieldErrors.forbidden(
            'metadata.finalizers',
            'no new finalizers can be added if the object is being deleted, found new finalizers []string{' +
              added.map((f) => JSON.stringify(f)).join(', ') +
              '}',
          ),
        );
    }
  }
  return errs;
}

function validQualifiedName(f: string): boolean {
  const parts = f.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && (!parts[0] || !DNS1123_SUBDOMAIN.test(parts[0]))) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** List semantics for SSA: built-ins from their merge keys, CRs from x-kubernetes-list-type. */
export function listTypeLookup(def: ResourceDef, version: VersionDef): ListTypeLookup {
  if (def.builtin) {
    return (names): ListKind => {
      const st = def.smp?.(names);
      if (!st?.merge) return { type: 'atomic' };
      return st.mergeKey ? { type: 'map', keys: [st.mergeKey] } : { type: 'set' };
    };
  }
  return (names): ListKind => {
    if (names[0] === 'metadata') {
      if (names[1] === 'finalizers') return { type: 'set' };
      if (names[1] === 'ownerReferences') return { type: 'map', keys: ['uid'] };
      return { type: 'atomic' };
    }
    let s: Schema | undefined = version.schema;
    for (let i = 0; i < names.length && s; i++) {
      const n = names[i]!;
      s = s.properties?.[n] ?? (isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined);
      if (s && s.type === 'array' && i < names.length - 1) s = s.items;
    }
    const lt = s?.['x-kubernetes-list-type'];
    if (lt === 'set') return { type: 'set' };
    if (lt === 'map') return { type: 'map', keys: s?.['x-kubernetes-list-map-keys'] ?? [] };
    return { type: 'atomic' };
  };
}

const TRACKED_META = ['labels', 'annotations', 'ownerReferences', 'finalizers'];

/** The part of an object field managers can own at this endpoint. */
export function trackable(obj: JsonObject, hasStatus: boolean, subresource: string): JsonObject {
  const out: JsonObject = {};
  if (subresource === 'status') {
    if (obj.status !== undefined) out.status = obj.status;
    return out;
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || (hasStatus && k === 'status')) continue;
    if (k === 'metadata') {
      const m = asObject(v);
      const tm: JsonObject = {};
      for (const f of TRACKED_META) if (m[f] !== undefined) tm[f] = m[f];
      if (Object.keys(tm).length) out.metadata = tm;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Put the trackable part `t` back into `base` (inverse of `trackable`). */
export function untrack(base: JsonObject, t: JsonObject, hasStatus: boolean, subresource: string): JsonObject {
  const out: JsonObject = { ...base };
  if (subresource === 'status') {
    if (t.status === undefined) delete out.status;
    else out.status = t.status;
    return out;
  }
  for (const k of Object.keys(base)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || (hasStatus && k === 'status')) continue;
    if (!(k in t)) delete out[k];
  }
  for (const [k, v] of Object.entries(t)) if (k !== 'metadata') out[k] = v;
  const m: JsonObject = { ...asObject(base.metadata) };
  const tm = asObject(t.metadata);
  for (const f of TRACKED_META) {
    if (tm[f] === undefined) delete m[f];
    else m[f] = tm[f];
  }
  out.metadata = m;
  return out;
}
