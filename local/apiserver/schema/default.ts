// Schema defaulting: fills absent fields of objects that exist (a parent needs `default: {}` to be created).
import { clone, isObject } from '../util.ts';
import type { Schema } from './types.ts';

export function applyDefaults(v: unknown, schema: Schema | undefined): unknown {
  if (!schema) return v;
  if (Array.isArray(v)) {
    if (!schema.items) return v;
    return v.map((x) => applyDefaults(x, schema.items));
  }
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = { ...v };
  if (schema.properties) {
    for (const [k, child] of Object.entries(schema.properties)) {
      if (k === 'metadata' && !schema['x-kubernetes-embedded-resource'] && isRootLike(out)) continue;
      if (!Object.hasOwn(out, k) || out[k] === undefined) {
        if (child.default !== undefined) out[k] = clone(child.default);
      } else if (out[k] === null && !child.nullable && child.default !== undefined) {
        out[k] = clone(child.default);
      }
      if (out[k] !== undefined && out[k] !== null) out[k] = applyDefaults(out[k], child);
    }
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const ap = schema.additionalProperties;
    for (const k of Object.keys(out)) {
      if (schema.properties && Object.hasOwn(schema.properties, k)) continue;
      out[k] = applyDefaults(out[k], ap);
    }
  }
  return out;
}

function isRootLike(o: Record<string, unknown>): boolean {
  return typeof o.apiVersion === 'string' || typeof o.kind === 'string';
}
