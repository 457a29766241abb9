// The generated CRDs: structural, nothing a user writes following the docs is pruned, and the CRD facts
// kubectl and core Cluster API rely on (storage version, scale, contract label, categories, printer columns).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';
import { loadFixtures } from '../../test/fixtures/index.ts';
import { undeclaredPaths, versionSchema } from './crd.ts';
import { renderCrdFiles } from './crd-files.ts';
import { kindSchema } from './kind.ts';
import { allKinds, findKindVersion } from './registry.ts';

type Json = { [k: string]: unknown };
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: Json };
  subresources?: {
    status?: Json;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
}
interface Crd {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

/** What ships: the rendered files, parsed back. */
const crds: Crd[] = [...renderCrdFiles().values()].map((text) => parse(text) as Crd);
const crdOf = (group: string, kind: string) => {
  const c = crds.find((x) => x.spec.group === group && x.spec.names.kind === kind);
  if (!c) throw new Error(`no CRD for ${group}/${kind}`);
  return c;
};

describe('nothing a user writes following the docs is pruned', () => {
  it.each(loadFixtures().map((f) => [f.label, f] as const))('%s is fully declared', (_l, f) => {
    const found = findKindVersion(String(f.object.apiVersion), String(f.object.kind));
    expect(found, 'fixture kind/version is served').toBeDefined();
    const crd = crdOf(found!.def.group, found!.def.kind);
    const schema = crd.spec.versions.find((v) => v.name === found!.version.name)!.schema.openAPIV3Schema;
    expect(undeclaredPaths(f.object, schema)).toEqual([]);
  });
});

describe('undeclaredPaths', () => {
  const schema: Json = {
    type: 'object',
    properties: {
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          mapOfObjects: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { controlPlane: { type: 'boolean' } } },
          },
        },
      },
    },
  };

  it('accepts declared fields, maps, preserved subtrees, int-or-string and the root metadata', () => {
    const obj = {
      metadata: { name: 'x', anything: { goes: 1 } },
      spec: {
        list: [{ a: 'x' }],
        labels: { k: 'v', other: 'w' },
        raw: { deep: { free: ['form'] } },
        port: 'http',
        mapOfObjects: { zoneA: { controlPlane: true } },
      },
    };
    expect(undeclaredPaths(obj, schema)).toEqual([]);
  });

  it('lists every field that would be pruned, with its path', () => {
    const obj = {
      kind: 'X',
      spec: {
        list: [{ a: 'x' }, { b: 'y' }],
        extra: true,
        mapOfObjects: { zoneA: { controlPlane: true, attributes: {} } },
      },
    };
    expect(undeclaredPaths(obj, schema)).toEqual([
      'kind',
      'spec.list[1].b',
      'spec.extra',
      'spec.mapOfObjects.zoneA.attributes',
    ]);
  });
});

/** Every problem with one schema node and its children, per the structural-schema rules. */
function structuralProblems(node: Json, path: string): string[] {
  const out: string[] = [];
  const at = path || '<root>';
  if (node['x-kubernetes-int-or-string'] === true) {
    if ('type' in node) out.push(`${at}: int-or-string has a type`);
    expect(node.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    return out;
  }
  // Junctors (only int-or-string may use anyOf here) and what apiextensions.k8s.io/v1 forbids outright.
  const forbidden = ['oneOf', 'allOf', 'anyOf', 'not', '$ref', '$defs', 'definitions', 'patternProperties'];
  forbidden.push('dependencies', 'readOnly', 'writeOnly', 'xml', 'id', 'discriminator', 'deprecated', '$schema');
  for (const k of forbidden) if (k in node) out.push(`${at}: uses ${k}`);
  if (node.uniqueItems === true) out.push(`${at}: uniqueItems: true`);
  if (typeof node.type !== 'string') out.push(`${at}: no type`);
  if (node.additionalProperties === false) out.push(`${at}: additionalProperties: false`);
  if ('additionalProperties' in node && 'properties' in node)
    out.push(`${at}: both properties and additionalProperties`);
  if (node['x-kubernetes-preserve-unknown-fields'] === true && node.type !== 'object') {
    out.push(`${at}: preserved subtree is not an object`);
  }
  if (node.type === 'array' && !isObj(node.items)) out.push(`${at}: array without items`);
  if (Array.isArray(node.required)) {
    const props = isObj(node.properties) ? node.properties : {};
    for (const r of node.required as string[]) if (!(r in props)) out.push(`${at}: required ${r} is not a property`);
  }
  if (isObj(node.properties)) {
    for (const [k, v] of Object.entries(node.properties)) out.push(...structuralProblems(v as Json, `${path}.${k}`));
  }
  if (isObj(node.additionalProperties)) out.push(...structuralProblems(node.additionalProperties, `${path}.*`));
  if (isObj(node.items)) out.push(...structuralProblems(node.items, `${path}[]`));
  return out;
}

/** Resolves a printer-column / scale JSONPath against a schema; undefined when the schema lacks it. */
function resolve(schema: Json, jsonPath: string): Json | undefined {
  const tokens = [...jsonPath.matchAll(/\.([A-Za-z0-9_]+)|\[(\?\(.*?\)|\*|\d+)\]|\['(.*?)'\]/g)];
  let node: Json | undefined = schema;
  for (const [i, t] of tokens.entries()) {
    if (!node) return undefined;
    if (node['x-kubernetes-preserve-unknown-fields'] === true) return node; // kept verbatim below here
    if (i === 0 && t[1] === 'metadata') return { type: 'object' }; // the API server's ObjectMeta
    if (t[2] !== undefined) node = isObj(node.items) ? node.items : undefined;
    else {
      const key = t[1] ?? t[3]!.replace(/\\\./g, '.');
      const props: Json = isObj(node.properties) ? node.properties : {};
      node = isObj(props[key])
        ? (props[key] as Json)
        : isObj(node.additionalProperties)
          ? node.additionalProperties
          : undefined;
    }
  }
  return node;
}

describe('generated CRDs', () => {
  it('renders one CRD per kind', () => {
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(allKinds.map((k) => `${k.plural}.${k.group}`).sort());
    for (const c of crds) {
      expect(c.spec.names.listKind).toBe(`${c.spec.names.kind}List`);
      expect(c.metadata.labels['app.kubernetes.io/part-of']).toBe('capi-fn');
    }
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s is structural', (_n, c) => {
    for (const v of c.spec.versions) {
      const root = v.schema.openAPIV3Schema;
      expect(structuralProblems(root, ''), `${c.metadata.name} ${v.name}`).toEqual([]);
      expect(root.type).toBe('object');
      const props = root.properties as Json;
      expect(props.metadata).toEqual({ type: 'object' });
      expect((props.apiVersion as Json).type).toBe('string');
      expect((props.kind as Json).type).toBe('string');
    }
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s has exactly one storage version and status', (_n, c) => {
    expect(c.spec.versions.filter((v) => v.storage)).toHaveLength(1);
    for (const v of c.spec.versions) {
      expect(v.served).toBe(true);
      expect(v.subresources?.status).toEqual({});
    }
  });

  it('refuses zod constructs a structural schema cannot express instead of emitting them', () => {
    const base = { name: 'v1', storage: true };
    const union = kindSchema({ spec: z.strictObject({ x: z.union([z.string(), z.boolean()]) }) });
    expect(() => versionSchema({ ...base, schema: union })).toThrow(/anyOf/);
    const untyped = kindSchema({ spec: z.strictObject({ m: z.record(z.string(), z.unknown()) }) });
    expect(() => versionSchema({ ...base, schema: untyped })).toThrow(/no single type/);
    const preserved = kindSchema({
      spec: z.strictObject({
        m: z.record(z.string(), z.unknown()).meta({ 'x-kubernetes-preserve-unknown-fields': true }),
      }),
    });
    expect((versionSchema({ ...base, schema: preserved }).properties as Json).spec).toEqual({
      type: 'object',
      properties: { m: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      required: ['m'],
    });
  });

  it('has the scale subresource exactly on the replica sets and deployments', () => {
    const scaled = crds.filter((c) => c.spec.versions.some((v) => v.subresources?.scale)).map((c) => c.metadata.name);
    expect(scaled.sort()).toEqual([
      'machinedeployments.cluster.x-k8s.io',
      'machinesets.cluster.x-k8s.io',
      'machinesets.machine.openshift.io',
    ]);
    for (const name of ['machinesets.cluster.x-k8s.io', 'machinedeployments.cluster.x-k8s.io']) {
      for (const v of crds.find((c) => c.metadata.name === name)!.spec.versions) {
        expect(v.subresources?.scale).toEqual({
          specReplicasPath: '.spec.replicas',
          statusReplicasPath: '.status.replicas',
          labelSelectorPath: '.status.selector',
        });
      }
    }
    // OpenShift's Machine API CRD points the selector at .status.labelSelector (openshift/api machine/v1beta1).
    expect(crdOf('machine.openshift.io', 'MachineSet').spec.versions[0]!.subresources?.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.labelSelector',
    });
    for (const c of crds) {
      for (const v of c.spec.versions) {
        const s = v.subresources?.scale;
        if (!s) continue;
        const schema = v.schema.openAPIV3Schema;
        expect(resolve(schema, s.specReplicasPath)?.type, `${c.metadata.name} spec replicas`).toBe('integer');
        expect(resolve(schema, s.statusReplicasPath)?.type, `${c.metadata.name} status replicas`).toBe('integer');
        expect(resolve(schema, s.labelSelectorPath)?.type, `${c.metadata.name} selector`).toBe('string');
      }
    }
  });

  it('labels every infrastructure CRD with the contract versions it serves', () => {
    const infra = crds.filter((c) => c.spec.group === 'infrastructure.cluster.x-k8s.io');
    expect(infra.length).toBe(28);
    for (const c of infra) {
      const label = c.metadata.labels['cluster.x-k8s.io/v1beta1'];
      expect(label, c.metadata.name).toBeDefined();
      expect(label!.split('_').sort()).toEqual(c.spec.versions.map((v) => v.name).sort());
    }
    for (const c of crds.filter((x) => x.spec.group !== 'infrastructure.cluster.x-k8s.io')) {
      expect(c.metadata.labels['cluster.x-k8s.io/v1beta1'], c.metadata.name).toBeUndefined();
    }
  });

  it('puts every Cluster API kind, and only those, in the cluster-api category', () => {
    for (const c of crds) {
      const capi = c.spec.group === 'cluster.x-k8s.io' || c.spec.group === 'infrastructure.cluster.x-k8s.io';
      expect(c.spec.names.categories ?? [], c.metadata.name).toEqual(capi ? ['cluster-api'] : []);
    }
  });

  it('scopes the OpenShift config kinds and CAPV’s zones to the cluster and everything else to namespaces', () => {
    const clusterScoped = (c: Crd) =>
      c.spec.group === 'config.openshift.io' ||
      ['VSphereFailureDomain', 'VSphereDeploymentZone'].includes(c.spec.names.kind);
    for (const c of crds) expect(c.spec.scope, c.metadata.name).toBe(clusterScoped(c) ? 'Cluster' : 'Namespaced');
  });

  it('keeps short names unambiguous', () => {
    const all = crds.flatMap((c) => c.spec.names.shortNames ?? []);
    expect(new Set(all).size).toBe(all.length);
    expect(crdOf('metal3.io', 'BareMetalHost').spec.names.shortNames).toEqual(['bmh', 'bmhost']);
    expect(crdOf('config.openshift.io', 'ClusterOperator').spec.names.shortNames).toEqual(['co']);
  });

  const columns = (c: Crd, all = false) =>
    c.spec.versions[0]!.additionalPrinterColumns!.filter((p) => all || !p.priority).map((p) => p.name);

  it('prints Machines like `oc get machine` (Cluster, NodeName, ProviderID, Phase, Age, Version)', () => {
    expect(columns(crdOf('cluster.x-k8s.io', 'Machine'))).toEqual([
      'Cluster',
      'NodeName',
      'ProviderID',
      'Phase',
      'Age',
      'Version',
    ]);
    expect(columns(crdOf('cluster.x-k8s.io', 'Cluster'))).toEqual(['ClusterClass', 'Phase', 'Age', 'Version']);
    expect(columns(crdOf('cluster.x-k8s.io', 'MachineSet'))).toEqual([
      'Cluster',
      'Replicas',
      'Ready',
      'Available',
      'Age',
      'Version',
    ]);
  });

  it('prints Machine API objects like `oc get machines.machine.openshift.io`', () => {
    expect(columns(crdOf('machine.openshift.io', 'Machine'))).toEqual(['Phase', 'Type', 'Region', 'Zone', 'Age']);
    expect(columns(crdOf('machine.openshift.io', 'Machine'), true)).toEqual([
      'Phase',
      'Type',
      'Region',
      'Zone',
      'Age',
      'Node',
      'ProviderID',
      'State',
    ]);
    expect(columns(crdOf('machine.openshift.io', 'MachineSet'))).toEqual([
      'Desired',
      'Current',
      'Ready',
      'Available',
      'Age',
    ]);
    expect(columns(crdOf('config.openshift.io', 'ClusterOperator'))).toEqual([
      'Version',
      'Available',
      'Progressing',
      'Degraded',
      'Since',
    ]);
  });

  it('prints BareMetalHosts like the baremetal-operator (State, Consumer, Online, Error, Age)', () => {
    expect(columns(crdOf('metal3.io', 'BareMetalHost'))).toEqual(['State', 'Consumer', 'Online', 'Error', 'Age']);
  });

  it('prints infrastructure objects with the contract columns (Cluster, Ready; machines also ProviderID and Machine)', () => {
    for (const c of crds.filter((x) => x.spec.group === 'infrastructure.cluster.x-k8s.io')) {
      const names = columns(c);
      const kind = c.spec.names.kind;
      if (kind === 'Metal3DataTemplate') expect(names, kind).toEqual(['Cluster', 'Age']);
      else if (kind.endsWith('Template')) expect(names, kind).toEqual(['Age']);
      else if (kind.endsWith('Machine')) {
        expect(names, kind).toEqual(expect.arrayContaining(['Cluster', 'Ready', 'ProviderID', 'Machine', 'Age']));
      } else if (kind.endsWith('Cluster')) {
        expect(names.slice(0, 2), kind).toEqual(['Cluster', 'Ready']);
      }
      expect(names.at(-1), kind).toBe('Age');
    }
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s printer columns point at declared fields', (_n, c) => {
    for (const v of c.spec.versions) {
      for (const col of v.additionalPrinterColumns ?? []) {
        expect(resolve(v.schema.openAPIV3Schema, col.jsonPath), `${col.name}: ${col.jsonPath}`).toBeDefined();
      }
    }
  });
});
