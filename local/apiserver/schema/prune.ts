// Pruning of fields a structural schema does not declare (apiextensions pruning), reporting what was dropped so
// `fieldValidation=Strict|Warn` can name the unknown fields. `null` on a non-nullable field is pruned too.
import { isObject } from '../util.ts';
import { fieldPath, indexPath, OBJECT_META_FIELDS, type Schema } from './types.ts';

export interface PruneResult {
  value: unknown;
  unknown: string[];
}

/** Prune a whole custom resource: root apiVersion/kind/metadata are always kept, metadata reduced to ObjectMeta. */
export function pruneObject(obj: unknown, schema: Schema | undefined): PruneResult {
  const unknown: string[] = [];
  const value = pruneRoot(obj, schema, '', unknown);
  return { value, unknown };
}

function pruneRoot(obj: unknown, schema: Schema | undefined, path: string, unknown: string[]): unknown {
  if (!isObject(obj)) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const p = fieldPath(path, k);
    if (k === 'apiVersion' || k === 'kind') {
      out[k] = v;
    } else if (k === 'metadata') {
      out[k] = pruneMeta(v, p, unknown);
    } else if (schema?.['x-kubernetes-preserve-unknown-fields'] && !schema.properties?.[k]) {
      out[k] = v;
    } else {
      const child = schema?.properties?.[k];
      if (!child) {
        unknown.push(p);
        continue;
      }
      if (v === null && !child.nullable) continue;
      out[k] = prune(v, child, p, unknown);
    }
  }
  return out;
}

function pruneMeta(v: unknown, path: string, unknown: string[]): unknown {
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (OBJECT_META_FIELDS.has(k)) out[k] = x;
    else unknown.push(fieldPath(path, k));
  }
  return out;
}

export function prune(v: unknown, schema: Schema, path: string, unknown: string[]): unknown {
  if (schema['x-kubernetes-embedded-resource'] && isObject(v)) {
    return pruneRoot(v, schema, path, unknown);
  }
  if (Array.isArray(v)) {
    const items = schema.items;
    if (!items) return v;
    const out: unknown[] = [];
    v.forEach((x, i) => {
      out.push(x === null ? null : prune(x, items, indexPath(path, i), unknown));
    });
    return out;
  }
  if (!isObject(v)) return v;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = schema.properties;
  const addl = schema.additionalProperties;
  if (!props && addl === undefined && !preserve) {
    if (schema.type === 'object') {
      for (const k of Object.keys(v)) unknown.push(fieldPath(path, k));
      return {};
    }
    return v;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = fieldPath(path, k);
    let child: Schema | undefined;
    if (props && Object.hasOwn(props, k)) child = props[k];
    else if (addl && typeof addl === 'object') child = addl;
    else if (addl === true) {
      out[k] = x;
      continue;
    }
    if (!child) {
      if (preserve) out[k] = x;
      else unknown.push(p);
      continue;
    }
    if (x === null && !child.nullable) continue;
    out[k] = prune(x, child, p, unknown);
  }
  return out;
}
