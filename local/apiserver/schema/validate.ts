// OpenAPI v3 value validation with the messages kube-openapi produces for custom resources
// (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`).
// x-kubernetes-validations (CEL) rules are accepted in schemas but not evaluated: no CEL interpreter is embedded.
import { type FieldError, fieldErrors } from '../status-errors.ts';
import { deepEqual, isObject } from '../util.ts';
import { fieldPath, indexPath, OBJECT_META_FIELDS, type Schema } from './types.ts';

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, type: string): boolean {
  const t = jsonType(v);
  if (type === 'number') return t === 'number' || t === 'integer';
  return t === type;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const BYTE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DURATION = /^(-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|0)$/;

function formatOk(format: string, v: string): boolean {
  switch (format) {
    case 'date-time':
      return DATE_TIME.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T')));
    case 'date':
      return DATE.test(v);
    case 'uuid':
      return UUID.test(v);
    case 'ipv4':
      return IPV4.test(v);
    case 'byte':
      return BYTE.test(v);
    case 'duration':
      return DURATION.test(v);
    default:
      return true;
  }
}

export function validateValue(v: unknown, s: Schema, path: string, errs: FieldError[]): void {
  if (v === undefined) return;
  if (v === null) {
    if (s.nullable) return;
    if (s['x-kubernetes-preserve-unknown-fields'] && !s.type) return;
    if (s.type || s['x-kubernetes-int-or-string']) {
      errs.push(
        fieldErrors.typeInvalid(path, 'null', `${path} in body must be of type ${s.type ?? 'integer,string'}: "null"`),
      );
    }
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    const t = jsonType(v);
    if (t !== 'integer' && t !== 'string') {
      errs.push(fieldErrors.typeInvalid(path, t, `${path} in body must be of type integer,string: "${t}"`));
      return;
    }
  } else if (s.type && !typeMatches(v, s.type)) {
    const t = jsonType(v);
    errs.push(fieldErrors.typeInvalid(path, t, `${path} in body must be of type ${s.type}: "${t}"`));
    return;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
    errs.push(fieldErrors.notSupported(path, v, s.enum));
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined) {
      if (s.exclusiveMinimum ? !(v > s.minimum) : v < s.minimum)
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`,
          ),
        );
    }
    if (s.maximum !== undefined) {
      if (s.exclusiveMaximum ? !(v < s.maximum) : v > s.maximum)
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`,
          ),
        );
    }
    if (s.multipleOf !== undefined && s.multipleOf !== 0 && !Number.isInteger(v / s.multipleOf)) {
      errs.push(fieldErrors.invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
    }
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) errs.push(fieldErrors.tooLong(path, s.maxLength));
    if (s.minLength !== undefined && len < s.minLength)
      errs.push(fieldErrors.invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(v)) errs.push(fieldErrors.invalid(path, v, `${path} in body should match '${s.pattern}'`));
    }
    if (s.format && !formatOk(s.format, v)) {
      errs.push(fieldErrors.invalid(path, v, `${path} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
    }
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) errs.push(fieldErrors.tooMany(path, v.length, s.maxItems));
    if (s.minItems !== undefined && v.length < s.minItems)
      errs.push(fieldErrors.invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
    if (s.items) {
      const items = s.items;
      v.forEach((x, i) => {
        validateValue(x, items, indexPath(path, i), errs);
      });
    }
    validateListType(v, s, path, errs);
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (s.maxProperties !== undefined && keys.length > s.maxProperties)
      errs.push(fieldErrors.tooMany(path, keys.length, s.maxProperties));
    if (s.minProperties !== undefined && keys.length < s.minProperties)
      errs.push(
        fieldErrors.invalid(path, keys.length, `${path} in body should have at least ${s.minProperties} properties`),
      );
    for (const r of s.required ?? []) {
      if (!Object.hasOwn(v, r) || v[r] === undefined) errs.push(fieldErrors.required(fieldPath(path, r)));
    }
    if (s['x-kubernetes-embedded-resource']) validateEmbedded(v, path, errs);
    for (const [k, x] of Object.entries(v)) {
      const p = fieldPath(path, k);
      if (s.properties && Object.hasOwn(s.properties, k)) validateValue(x, s.properties[k]!, p, errs);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object')
        validateValue(x, s.additionalProperties, p, errs);
    }
  }
  for (const sub of s.allOf ?? []) validateValue(v, sub, path, errs);
  if (s.anyOf && s.anyOf.length > 0) {
    const ok = s.anyOf.some((sub) => {
      const e: FieldError[] = [];
      validateValue(v, sub, path, e);
      return e.length === 0;
    });
    if (!ok && !s['x-kubernetes-int-or-string'])
      errs.push(fieldErrors.invalid(path, v, `${path} in body must validate at least one schema (anyOf)`));
  }
  if (s.oneOf && s.oneOf.length > 0) {
    const n = s.oneOf.filter((sub) => {
      const e: FieldError[] = [];
      validateValue(v, sub, path, e);
      return e.length === 0;
    }).length;
    if (n !== 1)
      errs.push(fieldErrors.invalid(path, v, `${path} in body must validate one and only one schema (oneOf)`));
  }
  if (s.not) {
    const e: FieldError[] = [];
    validateValue(v, s.not, path, e);
    if (e.length === 0) errs.push(fieldErrors.invalid(path, v, `${path} in body should not validate the schema (not)`));
  }
}

function validateListType(v: unknown[], s: Schema, path: string, errs: FieldError[]): void {
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') {
    v.forEach((x, i) => {
      if (v.findIndex((y) => deepEqual(x, y)) < i) errs.push(fieldErrors.duplicate(indexPath(path, i), x));
    });
  } else if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen: unknown[] = [];
    v.forEach((x, i) => {
      if (!isObject(x)) return;
      const id = keys.map((k) => x[k]);
      if (seen.some((s2) => deepEqual(s2, id))) {
        const shown: Record<string, unknown> = {};
        keys.forEach((k, j) => {
          shown[k] = id[j];
        });
        errs.push(fieldErrors.duplicate(indexPath(path, i), shown));
      }
      seen.push(id);
    });
  }
}

const GV_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9a-z]+$/;

function validateEmbedded(v: Record<string, unknown>, path: string, errs: FieldError[]): void {
  const av = v.apiVersion;
  if (typeof av !== 'string' || av === '')
    errs.push(fieldErrors.required(fieldPath(path, 'apiVersion'), 'must not be empty'));
  else if (!GV_RE.test(av) && av.split('/').length > 2)
    errs.push(fieldErrors.invalid(fieldPath(path, 'apiVersion'), av, 'must be a valid group/version'));
  const kind = v.kind;
  if (typeof kind !== 'string' || kind === '')
    errs.push(fieldErrors.required(fieldPath(path, 'kind'), 'must not be empty'));
  if (v.metadata !== undefined && isObject(v.metadata)) {
    for (const k of Object.keys(v.metadata))
      if (!OBJECT_META_FIELDS.has(k))
        errs.push(fieldErrors.forbidden(fieldPath(fieldPath(path, 'metadata'), k), 'unknown field'));
  }
}

/** Validate a custom resource body (not its metadata, which the generic object-meta validation checks). */
export function validateObject(obj: Record<string, unknown>, schema: Schema | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (!schema) return errs;
  for (const r of schema.required ?? []) {
    if (r === 'metadata' || r === 'apiVersion' || r === 'kind') continue;
    if (!Object.hasOwn(obj, r)) errs.push(fieldErrors.required(r));
  }
  for (const [k, x] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    const child = schema.properties?.[k];
    if (child) validateValue(x, child, k, errs);
  }
  return errs;
}
