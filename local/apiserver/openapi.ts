// OpenAPI v3: the root index and one document per group/version. kubectl needs a PATCH operation carrying
// x-kubernetes-group-version-kind and a fieldValidation parameter to trust server-side field validation, and
// `kubectl explain` reads the schemas (with x-kubernetes-group-version-kind) from here.
import { createHash } from 'node:crypto';
import type { Registry, ResourceDef, VersionDef } from './registry.ts';
import { gvString } from './registry.ts';
import type { Schema } from './schema/types.ts';
import { isObject, type JsonObject } from './util.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const objectMetaSchema: Schema = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    annotations: {
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
      description: 'Annotations is an unstructured key value map stored with a resource.',
    },
    creationTimestamp: {
      type: 'string',
      format: 'date-time',
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
    },
    deletionGracePeriodSeconds: {
      type: 'integer',
      format: 'int64',
      description: 'Number of seconds allowed for this object to gracefully terminate.',
    },
    deletionTimestamp: {
      type: 'string',
      format: 'date-time',
      description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.',
    },
    finalizers: {
      type: 'array',
      items: { type: 'string', default: '' },
      description: 'Must be empty before the object is deleted from the registry.',
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-patch-strategy': 'merge',
    },
    generateName: {
      type: 'string',
      description: 'GenerateName is an optional prefix, used by the server, to generate a unique name.',
    },
    generation: {
      type: 'integer',
      format: 'int64',
      description: 'A sequence number representing a specific generation of the desired state.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
      description: 'Map of string keys and values that can be used to organize and categorize objects.',
    },
    managedFields: {
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
    },
    name: { type: 'string', description: 'Name must be unique within a namespace.' },
    namespace: { type: 'string', description: 'Namespace defines the space within which each name must be unique.' },
    ownerReferences: {
      type: 'array',
      description: 'List of objects depended by this object.',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: { type: 'string', default: '' },
          blockOwnerDeletion: { type: 'boolean' },
          controller: { type: 'boolean' },
          kind: { type: 'string', default: '' },
          name: { type: 'string', default: '' },
          uid: { type: 'string', default: '' },
        },
      },
      'x-kubernetes-list-map-keys': ['uid'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'uid',
      'x-kubernetes-patch-strategy': 'merge',
    },
    resourceVersion: {
      type: 'string',
      description: 'An opaque value that represents the internal version of this object.',
    },
    selfLink: { type: 'string', description: 'Deprecated: selfLink is a legacy read-only field.' },
    uid: { type: 'string', description: 'UID is the unique in time and space value for this object.' },
  },
};

function reverseDomain(group: string): string {
  if (group === '') return 'io.k8s.api.core';
  if (group.endsWith('.k8s.io')) return `io.k8s.api.${group.replace(/\.k8s\.io$/, '').replace(/\./g, '_')}`;
  if (!group.includes('.')) return `io.k8s.api.${group}`;
  return group.split('.').reverse().join('.');
}

export function schemaName(def: ResourceDef, version: string): string {
  return `${reverseDomain(def.group)}.${version}.${def.kind}`;
}

function kindSchema(def: ResourceDef, v: VersionDef): Schema {
  const base: Schema = v.schema
    ? structuredClone(v.schema)
    : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const props = { ...(base.properties ?? {}) };
  props.apiVersion = {
    type: 'string',
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  };
  props.kind = {
    type: 'string',
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to.',
  };
  props.metadata = {
    description:
      "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }],
    default: {},
  };
  return {
    ...base,
    type: 'object',
    properties: props,
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: def.kind, version: v.name }],
  };
}

const param = (name: string, inWhere: 'query' | 'path', description: string, required = false): JsonObject => ({
  name,
  in: inWhere,
  description,
  ...(required ? { required: true } : {}),
  schema: { type: 'string', uniqueItems: true },
});

const writeParams = [
  param('dryRun', 'query', 'When present, indicates that modifications should not be persisted.'),
  param(
    'fieldManager',
    'query',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  param(
    'fieldValidation',
    'query',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
  ),
];

function ops(def: ResourceDef, v: VersionDef, path: string, item: boolean, sub: string): JsonObject {
  const gvk = { group: def.group, version: v.name, kind: sub === 'scale' ? 'Scale' : def.kind };
  const ref =
    sub === 'scale'
      ? `#/components/schemas/io.k8s.api.autoscaling.v1.Scale`
      : `#/components/schemas/${schemaName(def, v.name)}`;
  const json = (schemaRef: string) => ({ 'application/json': { schema: { $ref: schemaRef } } });
  const ok = { '200': { description: 'OK', content: json(ref) } };
  const base = (action: string, opId: string) => ({
    tags: [gvString(def.group, v.name)],
    operationId: opId,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const name = `${def.kind}${sub ? sub[0]!.toUpperCase() + sub.slice(1) : ''}`;
  const out: JsonObject = {};
  if (item) {
    out.get = { ...base('get', `read${name}`), responses: ok };
    out.put = {
      ...base('put', `replace${name}`),
      parameters: writeParams,
      requestBody: { content: json(ref), required: true },
      responses: ok,
    };
    out.patch = {
      ...base('patch', `patch${name}`),
      parameters: [...writeParams, param('force', 'query', 'Force is going to "force" Apply requests.')],
      requestBody: {
        content: {
          'application/json-patch+json': { schema: { type: 'object' } },
          'application/merge-patch+json': { schema: { type: 'object' } },
          'application/apply-patch+yaml': { schema: { type: 'object' } },
        },
        required: true,
      },
      responses: ok,
    };
    if (!sub) out.delete = { ...base('delete', `delete${name}`), responses: { '200': { description: 'OK' } } };
  } else {
    out.get = { ...base('list', `list${name}`), responses: { '200': { description: 'OK' } } };
    out.post = {
      ...base('post', `create${name}`),
      parameters: writeParams,
      requestBody: { content: json(ref), required: true },
      responses: ok,
    };
  }
  out.parameters = [
    ...(path.includes('{name}') ? [param('name', 'path', `name of the ${def.kind}`, true)] : []),
    ...(path.includes('{namespace}') ? [param('namespace', 'path', 'object name and auth scope', true)] : []),
  ];
  return out;
}

export function groupVersionDoc(reg: Registry, group: string, version: string): JsonObject | undefined {
  const defs = reg.all().filter((d) => d.group === group && d.versions.some((v) => v.name === version && v.served));
  if (defs.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: JsonObject = {};
  const schemas: JsonObject = { [`${META}.ObjectMeta`]: objectMetaSchema };
  for (const def of defs) {
    const v = def.versions.find((x) => x.name === version)!;
    schemas[schemaName(def, version)] = kindSchema(def, v);
    const coll = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.resource}` : `${prefix}/${def.resource}`;
    paths[coll] = ops(def, v, coll, false, '');
    paths[`${coll}/{name}`] = ops(def, v, `${coll}/{name}`, true, '');
    if (v.status) paths[`${coll}/{name}/status`] = ops(def, v, `${coll}/{name}/status`, true, 'status');
    if (v.scale) {
      paths[`${coll}/{name}/scale`] = ops(def, v, `${coll}/{name}/scale`, true, 'scale');
      schemas['io.k8s.api.autoscaling.v1.Scale'] = {
        type: 'object',
        description: 'Scale represents a scaling request for a resource.',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }], default: {} },
          spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
          status: {
            type: 'object',
            properties: { replicas: { type: 'integer', format: 'int32' }, selector: { type: 'string' } },
          },
        },
        'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
      };
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

export class OpenApiCache {
  private docs = new Map<string, { body: string; hash: string }>();
  private readonly reg: Registry;
  constructor(reg: Registry) {
    this.reg = reg;
  }
  invalidate(): void {
    this.docs.clear();
  }
  private key(group: string, version: string): string {
    return group ? `apis/${group}/${version}` : `api/${version}`;
  }
  doc(group: string, version: string): { body: string; hash: string } | undefined {
    const k = this.key(group, version);
    let d = this.docs.get(k);
    if (!d) {
      const doc = groupVersionDoc(this.reg, group, version);
      if (!doc) return undefined;
      const body = JSON.stringify(doc);
      d = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
      this.docs.set(k, d);
    }
    return d;
  }
  root(): JsonObject {
    const paths: JsonObject = {};
    for (const g of this.reg.groups()) {
      for (const v of g.versions) {
        const d = this.doc(g.group, v);
        if (!d) continue;
        const k = this.key(g.group, v);
        paths[k] = { serverRelativeURL: `/openapi/v3/${k}?hash=${d.hash}` };
      }
    }
    return { paths };
  }
}

export function isSchema(v: unknown): v is Schema {
  return isObject(v);
}
