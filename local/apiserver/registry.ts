// Resource types the server serves: built-ins and CRD-backed ones. A ResourceDef is one storage table seen
// through one or more served versions; everything kind-specific hangs off it so handlers stay generic.
import type { StrategyLookup } from './patch/strategic-merge.ts';
import type { Schema } from './schema/types.ts';
import type { FieldError } from './status-errors.ts';
import type { TableColumn } from './table.ts';
import type { JsonObject } from './util.ts';

export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface VersionDef {
  name: string;
  served: boolean;
  storage: boolean;
  schema: Schema | undefined;
  columns: TableColumn[];
  status: boolean;
  scale?: ScaleSpec;
  deprecated?: boolean;
  deprecationWarning?: string;
  /** CRD selectableFields JSONPaths, e.g. `.spec.color` */
  selectableFields: string[];
}

export interface WriteContext {
  /** the object before this write (undefined on create) */
  old: JsonObject | undefined;
  subresource: string;
}

export interface ResourceDef {
  group: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  versions: VersionDef[];
  storageKey: string;
  storageVersion: string;
  builtin: boolean;
  /** metadata.generation maintained (CRs and built-ins with a spec/status split) */
  tracksGeneration: boolean;
  /** extra subresources beyond status/scale, e.g. pods/eviction, namespaces/finalize */
  extraSubresources: string[];
  /** built-in field selector fields beyond metadata.name/namespace */
  fieldLabels?: (o: JsonObject) => Record<string, string>;
  /** strategic merge patch metadata; undefined = SMP not supported (CRs → 415) */
  smp: StrategyLookup | undefined;
  /** served (external) → stored form; the default rewrites apiVersion only */
  toStorage?: (o: JsonObject) => JsonObject;
  /** stored → served form for `version` */
  fromStorage?: (o: JsonObject, version: string) => JsonObject;
  /** kind-specific defaults/normalisation before validation */
  prepare?: (o: JsonObject, w: WriteContext) => void;
  validate?: (o: JsonObject, w: WriteContext) => FieldError[];
  /** DELETE answers with the object instead of a Status (pods, serviceaccounts) */
  deleteReturnsObject: boolean;
  verbs: string[];
  /** create-only review resources answered without storage (SelfSubjectAccessReview, SelfSubjectReview) */
  review?: (o: JsonObject) => JsonObject;
  /** set for CRD-backed resources */
  crd?: { name: string; uid: string };
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function gvString(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Kubernetes version priority: GA > beta > alpha > other; higher major, then higher minor. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa[0] !== pb[0]) return pb[0] - pa[0];
  if (pa[1] !== pb[1]) return pb[1] - pa[1];
  return pb[2] - pa[2];
}

export interface Resolved {
  def: ResourceDef;
  version: VersionDef;
}

export class Registry {
  private defs: ResourceDef[] = [];

  all(): ResourceDef[] {
    return this.defs;
  }

  add(def: ResourceDef): void {
    this.defs = this.defs.filter((d) => !(d.group === def.group && d.resource === def.resource));
    this.defs.push(def);
  }

  remove(group: string, resource: string): void {
    this.defs = this.defs.filter((d) => !(d.group === group && d.resource === resource));
  }

  find(group: string, version: string, resource: string): Resolved | undefined {
    for (const def of this.defs) {
      if (def.group !== group || def.resource !== resource) continue;
      const v = def.versions.find((x) => x.name === version && x.served);
      if (v) return { def, version: v };
    }
    return undefined;
  }

  byGroupResource(group: string, resource: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.resource === resource);
  }

  byKind(group: string, kind: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.kind === kind);
  }

  /** Every definition stored under `key`; the first is the canonical one (events has two views). */
  byStorageKey(key: string): ResourceDef[] {
    return this.defs.filter((d) => d.storageKey === key);
  }

  /** groups in discovery order: core first, then by name */
  groups(): Array<{ group: string; versions: string[] }> {
    const m = new Map<string, Set<string>>();
    for (const d of this.defs) {
      let s = m.get(d.group);
      if (!s) {
        s = new Set();
        m.set(d.group, s);
      }
      for (const v of d.versions) if (v.served) s.add(v.name);
    }
    const builtinOrder = [
      '',
      'apiregistration.k8s.io',
      'apps',
      'events.k8s.io',
      'authentication.k8s.io',
      'authorization.k8s.io',
      'autoscaling',
      'batch',
      'certificates.k8s.io',
      'networking.k8s.io',
      'policy',
      'rbac.authorization.k8s.io',
      'storage.k8s.io',
      'admissionregistration.k8s.io',
      'apiextensions.k8s.io',
      'scheduling.k8s.io',
      'coordination.k8s.io',
      'node.k8s.io',
      'discovery.k8s.io',
      'flowcontrol.apiserver.k8s.io',
    ];
    const rank = (g: string) => {
      const i = builtinOrder.indexOf(g);
      return i < 0 ? builtinOrder.length : i;
    };
    return [...m.entries()]
      .filter(([, v]) => v.size > 0)
      .sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([group, vs]) => ({ group, versions: [...vs].sort(compareVersions) }));
  }
}
