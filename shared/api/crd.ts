// Turns a KindDefinition into a CustomResourceDefinition with a structural openAPIV3Schema
// (zod → JSON Schema → the subset the Kubernetes structural-schema rules allow).
import * as z from 'zod';
import type { KindDefinition, KindVersion } from './kind.ts';

type Json = { [k: string]: unknown };

const SAFE_INT = 9007199254740991;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites one JSON Schema node (recursively) into structural OpenAPI v3. */
export function structural(node: Json): Json {
  const out: Json = {};
  if (node['x-kubernetes-int-or-string'] === true) {
    const o: Json = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    if (typeof node.description === 'string') o.description = node.description;
    return o;
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, v] of Object.entries(node)) {
    switch (k) {
      case '$schema':
      case 'propertyNames':
      case 'id':
        break;
      case 'additionalProperties':
        // Structural schemas forbid `additionalProperties: false`; preserved subtrees take anything.
        if (isObj(v) && !preserve) out.additionalProperties = structural(v);
        break;
      case 'properties':
        if (isObj(v))
          out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, structural(s as Json)]));
        break;
      case 'items':
        if (isObj(v)) out.items = structural(v);
        break;
      case 'minimum':
        if (v !== -SAFE_INT) out.minimum = v;
        break;
      case 'maximum':
        if (v !== SAFE_INT) out.maximum = v;
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        throw new Error(`schema uses ${k}, which a structural CRD schema cannot express here: ${JSON.stringify(node)}`);
      default:
        out[k] = v;
    }
  }
  if (preserve && out.type === undefined) out.type = 'object';
  // Structural rule: every node names its type (int-or-string returned above; preserved subtrees are objects).
  if (typeof out.type !== 'string') {
    throw new Error(`schema node has no single type, which a structural CRD schema requires: ${JSON.stringify(node)}`);
  }
  return out;
}

export function versionSchema(v: KindVersion): Json {
  const json = z.toJSONSchema(v.schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as Json;
  const root = structural(json);
  const props = root.properties as Json;
  // The API server owns ObjectMeta's schema; CRDs only declare it as an object.
  props.metadata = { type: 'object' };
  props.apiVersion = {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  props.kind = {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  const required = ((root.required as string[] | undefined) ?? []).filter(
    (r) => !['metadata', 'apiVersion', 'kind'].includes(r),
  );
  if (required.length) root.required = required;
  else delete root.required;
  return root;
}

export function toCrd(def: KindDefinition): Json {
  const labels: Record<string, string> = { 'app.kubernetes.io/part-of': 'capi-fn', ...(def.labels ?? {}) };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}`, labels },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
        ...(def.categories?.length ? { categories: def.categories } : {}),
      },
      scope: def.scope,
      versions: def.versions.map((v) => ({
        name: v.name,
        served: v.served !== false,
        storage: v.storage,
        ...(v.deprecated ? { deprecated: true } : {}),
        schema: { openAPIV3Schema: versionSchema(v) },
        subresources: {
          status: {},
          ...(def.scale ? { scale: def.scale } : {}),
        },
        ...(v.printerColumns?.length ? { additionalPrinterColumns: v.printerColumns } : {}),
      })),
    },
  };
}

/**
 * Paths of `value` that `schema` (a structural openAPIV3Schema) does not declare, i.e. what an API server would
 * prune. Honours `additionalProperties` (maps), `x-kubernetes-preserve-unknown-fields` and int-or-string; the
 * root `metadata` is the API server's own (ObjectMeta) and counts as declared.
 */
export function undeclaredPaths(value: unknown, schema: Json, path = ''): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (schema['x-kubernetes-int-or-string'] === true) return [];
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!isObj(items)) return value.length ? [`${path}[*]`] : [];
    return value.flatMap((v, i) => undeclaredPaths(v, items, `${path}[${i}]`));
  }
  if (!isObj(value)) return [];
  const props = isObj(schema.properties) ? schema.properties : {};
  const additional = isObj(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (path === '' && k === 'metadata') continue;
    const child = isObj(props[k]) ? (props[k] as Json) : additional;
    if (!child) out.push(p);
    else out.push(...undeclaredPaths(v, child, p));
  }
  return out;
}
