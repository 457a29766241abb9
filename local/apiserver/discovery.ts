// API discovery: legacy (/api, /apis, per-group-version APIResourceList) and aggregated discovery v2.
import { createHash } from 'node:crypto';
import type { Registry, ResourceDef, VersionDef } from './registry.ts';
import { gvString } from './registry.ts';
import type { JsonObject } from './util.ts';

export const DISCOVERY_V2_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.storageVersion}/${def.kind}`).digest('base64').slice(0, 11);
}

interface Sub {
  name: string;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
}

function subresources(def: ResourceDef, v: VersionDef): Sub[] {
  const out: Sub[] = [];
  if (v.status) out.push({ name: 'status', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (v.scale)
    out.push({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  if (def.extraSubresources.includes('eviction'))
    out.push({ name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  if (def.extraSubresources.includes('finalize')) out.push({ name: 'finalize', kind: def.kind, verbs: ['update'] });
  return out;
}

function defsFor(reg: Registry, group: string, version: string): Array<[ResourceDef, VersionDef]> {
  const out: Array<[ResourceDef, VersionDef]> = [];
  for (const d of reg.all()) {
    if (d.group !== group) continue;
    const v = d.versions.find((x) => x.name === version && x.served);
    if (v) out.push([d, v]);
  }
  return out.sort((a, b) => (a[0].resource < b[0].resource ? -1 : 1));
}

export function apiResourceList(reg: Registry, group: string, version: string): JsonObject | undefined {
  const defs = defsFor(reg, group, version);
  if (defs.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const [d, v] of defs) {
    const r: JsonObject = {
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
    };
    if (d.shortNames.length) r.shortNames = d.shortNames;
    if (d.categories.length) r.categories = d.categories;
    r.storageVersionHash = storageVersionHash(d);
    resources.push(r);
    for (const s of subresources(d, v)) {
      const e: JsonObject = { name: `${d.resource}/${s.name}`, singularName: '', namespaced: d.namespaced };
      if (s.group !== undefined) e.group = s.group;
      if (s.version !== undefined) e.version = s.version;
      e.kind = s.kind;
      e.verbs = s.verbs;
      resources.push(e);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(group, version), resources };
}

export function legacyApi(address: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function apiGroup(group: string, versions: string[]): JsonObject {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(reg: Registry): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: reg
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => apiGroup(g.group, g.versions)),
  };
}

export function apiGroupDoc(reg: Registry, group: string): JsonObject | undefined {
  const g = reg.groups().find((x) => x.group === group);
  if (!g || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, g.versions) };
}

/** Aggregated discovery: `/api` → core only; `/apis` → every other group. */
export function aggregatedDiscovery(reg: Registry, core: boolean): JsonObject {
  const items: JsonObject[] = [];
  for (const g of reg.groups()) {
    if ((g.group === '') !== core) continue;
    items.push({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: defsFor(reg, g.group, version).map(([d, v]) => {
          const r: JsonObject = {
            resource: d.resource,
            responseKind: { group: d.group, version, kind: d.kind },
            scope: d.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: d.singular,
            verbs: d.verbs,
          };
          if (d.shortNames.length) r.shortNames = d.shortNames;
          if (d.categories.length) r.categories = d.categories;
          const subs = subresources(d, v);
          if (subs.length)
            r.subresources = subs.map((s) => ({
              subresource: s.name,
              responseKind: { group: s.group ?? d.group, version: s.version ?? version, kind: s.kind },
              verbs: s.verbs,
            }));
          return r;
        }),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
