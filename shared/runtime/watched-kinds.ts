// The kinds the bridge must watch: the union of every handler's `watches`, at a servable version.

import { storageVersionOf } from '../api/kind-table.ts';
import { canonicalPaths, type Gate, type GroupKind, gateExtension, gateKey } from '../events/resource-event.ts';
import { knownResource } from '../kube/resources.ts';
import { type HandlerDefinition, ignoredPaths } from './handler.ts';

/** A kind the bridge watches (and the drift check resyncs), at a version the API server serves. */
export interface WatchedKind {
  group: string;
  version: string;
  kind: string;
  /** Watched only in these namespaces (every watch of the kind asked for namespaces); absent: cluster-wide. */
  namespaces?: string[];
  /**
   * Gates some watch of this kind depends on (`whenExists`): the bridge flags this kind's events with the gate's
   * `capifnnone…` extension when it knows none of its objects exists (or is being deleted) where the event's object
   * lives.
   */
  gates?: Gate[];
  /**
   * The paths some watch of this kind ignores (`ignoredPaths`: its `ignoring`, with `status` when it skips status
   * changes, and `[CONTROLLER_DELETING, group, kind]` for its `ignoringWhileControllerDeleting`), one list per watch:
   * the bridge flags a modification that changed nothing but those paths (or of an object whose controller of that
   * kind it knows is being deleted) with `unchangedExtension(group, kind, paths)`.
   */
  ignoring?: string[][][];
  /**
   * Watches of this kind whose additions matter only once the object has a controller of a kind (`addedOnceControlledBy`),
   * each with the paths it ignores: the bridge flags an addition of an object without that controller, and a
   * modification that changed nothing but those paths, with `unchangedExtension(group, kind, ignoring, controller)`.
   * Such a watch is not also listed in `ignoring`.
   */
  addedOnceControlledBy?: Array<{ ignoring: string[][]; controller: GroupKind }>;
  /**
   * Every watch of this kind takes both additions and modifications, or neither: the bridge may fold a modification
   * into a still-waiting addition of the same object (one `added` event with the newer body), and no watch misses a
   * type it takes or receives one it does not.
   */
  foldsAdded?: true;
}

const BUILTIN_VERSIONS: Record<string, string> = {
  '': 'v1',
  apps: 'v1',
  policy: 'v1',
  'coordination.k8s.io': 'v1',
  'events.k8s.io': 'v1',
  'apiextensions.k8s.io': 'v1',
  'admissionregistration.k8s.io': 'v1',
  'config.openshift.io': 'v1',
  'metal3.io': 'v1alpha1',
  'bootstrap.cluster.x-k8s.io': 'v1beta1',
  'controlplane.cluster.x-k8s.io': 'v1beta1',
  'storage.k8s.io': 'v1',
};

export function versionFor(group: string, kind: string): string {
  const stored = storageVersionOf(group, kind);
  if (stored) return stored;
  const v = BUILTIN_VERSIONS[group];
  if (v && knownResource(group ? `${group}/${v}` : v, kind)) return v;
  if (v) return v;
  throw new Error(`no known version for ${kind}.${group || 'core'}; set Watch.version`);
}

export function watchedKinds(defs: Array<HandlerDefinition<unknown>>): WatchedKind[] {
  const out = new Map<string, WatchedKind>();
  // A kind any handler watches cluster-wide is watched cluster-wide; otherwise in the union of namespaces.
  const clusterWide = new Set<string>();
  // Kinds with a watch that takes additions without modifications, or modifications without additions.
  const addedApart = new Set<string>();
  for (const d of defs) {
    for (const w of d.watches) {
      const key = `${w.group}/${w.kind}`;
      const takes = (t: 'added' | 'modified') => !w.events || w.events.includes(t);
      if (takes('added') !== takes('modified')) addedApart.add(key);
      const k = out.get(key) ?? { group: w.group, kind: w.kind, version: w.version ?? versionFor(w.group, w.kind) };
      if (!w.namespaces) clusterWide.add(key);
      else k.namespaces = [...new Set([...(k.namespaces ?? []), ...w.namespaces])].sort();
      const gate = w.whenExists;
      if (gate && !k.gates?.some((g) => gateKey(g) === gateKey(gate))) {
        k.gates = [
          ...(k.gates ?? []),
          { group: gate.group, kind: gate.kind, ...(gate.deleting ? { deleting: true } : {}) },
        ];
      }
      const by = w.addedOnceControlledBy;
      if (by) {
        const entry = { ignoring: ignoredPaths(w), controller: { group: by.group, kind: by.kind } };
        const same = (e: typeof entry) =>
          canonicalPaths(e.ignoring) === canonicalPaths(entry.ignoring) &&
          e.controller.group === by.group &&
          e.controller.kind === by.kind;
        if (!k.addedOnceControlledBy?.some(same)) k.addedOnceControlledBy = [...(k.addedOnceControlledBy ?? []), entry];
      } else {
        const ignoring = w.ignoring || w.ignoringWhileControllerDeleting ? ignoredPaths(w) : undefined;
        if (ignoring && !k.ignoring?.some((p) => canonicalPaths(p) === canonicalPaths(ignoring))) {
          k.ignoring = [...(k.ignoring ?? []), ignoring];
        }
      }
      out.set(key, k);
    }
  }
  // The bridge knows a gate kind's objects only by watching it everywhere.
  const flags = new Map<string, string>();
  for (const k of [...out.values()]) {
    for (const g of k.gates ?? []) {
      const key = `${g.group}/${g.kind}`;
      const flag = gateExtension(g);
      if (flags.has(flag) && flags.get(flag) !== gateKey(g))
        throw new Error(`whenExists: ${gateKey(g)} and ${flags.get(flag)} would share the event flag ${flag}`);
      flags.set(flag, gateKey(g));
      if (!out.has(key)) out.set(key, { group: g.group, kind: g.kind, version: versionFor(g.group, g.kind) });
      clusterWide.add(key);
    }
  }
  for (const key of clusterWide) delete out.get(key)!.namespaces;
  for (const [key, k] of out) if (!addedApart.has(key)) k.foldsAdded = true;
  return [...out.values()];
}
