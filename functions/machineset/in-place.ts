// In-place propagation (upstream's syncMachines, capi-core-spec.md §2.3): the template's labels, annotations,
// drain/deletion/volume-detach timeouts and readiness gates reach existing Machines (and the labels and annotations
// their infrastructure machines and bootstrap configs) without recreating them. Pure: what to apply, and whether anything differs.
//
// Upstream applies these with server-side apply as field manager `capi-machineset`, so that fields others set stay
// and a label dropped from the template is dropped from the Machines. Machines created here with a plain create
// carry an `Update` entry of the same manager, which would keep co-owning a dropped label; as upstream's
// CleanUpManagedFieldsForSSAAdoption does, the applied fields move to an `Apply` entry before the first apply.
import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { deepEqual } from '../../shared/reconcile/equal.ts';
import { desiredClone, type MachineTemplate, machineLabels } from './desired-machine.ts';

/** The Machine spec fields that change in place (upstream: they matter to tearing a Machine down, too). */
export const IN_PLACE_SPEC_FIELDS = [
  'nodeDrainTimeout',
  'nodeDeletionTimeout',
  'nodeVolumeDetachTimeout',
  'readinessGates',
] as const;
type InPlaceField = (typeof IN_PLACE_SPEC_FIELDS)[number];
export type InPlaceSpec = Partial<Pick<Machine['spec'], InPlaceField>>;

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
}

export function templateAnnotations(ms: MachineSet): Record<string, string> {
  return { ...(ms.spec.template?.metadata?.annotations ?? {}) };
}

export function inPlaceSpec(ms: MachineSet): InPlaceSpec {
  const t = ms.spec.template?.spec;
  const out: InPlaceSpec = {};
  for (const f of IN_PLACE_SPEC_FIELDS)
    if (t?.[f] !== undefined) (out as Record<string, unknown>)[f] = structuredClone(t[f]);
  return out;
}

function entries(o: KubeObject): ManagedFieldsEntry[] {
  return ((o.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []).filter((e) => !e.subresource);
}

/** Label or annotation keys the manager owns on the object, by any operation. */
export function managedKeys(o: KubeObject, manager: string, field: 'labels' | 'annotations'): string[] {
  const keys = new Set<string>();
  for (const e of entries(o)) {
    if (e.manager !== manager) continue;
    const meta = e.fieldsV1?.['f:metadata'] as Record<string, unknown> | undefined;
    const owned = meta?.[`f:${field}`] as Record<string, unknown> | undefined;
    for (const k of Object.keys(owned ?? {})) if (k.startsWith('f:')) keys.add(k.slice(2));
  }
  return [...keys];
}

/** True when the object's labels or annotations are not what the MachineSet applies. */
function metadataDiffers(
  o: KubeObject,
  manager: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): boolean {
  const has = (want: Record<string, string>, got: Record<string, string> | undefined) =>
    Object.entries(want).every(([k, v]) => got?.[k] === v);
  if (!has(labels, o.metadata.labels) || !has(annotations, o.metadata.annotations)) return true;
  // Keys this manager set once and the template no longer has: removed by the next apply.
  if (managedKeys(o, manager, 'labels').some((k) => !(k in labels) && o.metadata.labels?.[k] !== undefined))
    return true;
  return managedKeys(o, manager, 'annotations').some(
    (k) => !(k in annotations) && o.metadata.annotations?.[k] !== undefined,
  );
}

/** Spec fields the manager owns on the object. */
function managedSpecFields(o: KubeObject, manager: string): Set<string> {
  const out = new Set<string>();
  for (const e of entries(o)) {
    if (e.manager !== manager) continue;
    const spec = e.fieldsV1?.['f:spec'] as Record<string, unknown> | undefined;
    for (const k of Object.keys(spec ?? {})) if (k.startsWith('f:')) out.add(k.slice(2));
  }
  return out;
}

/**
 * A wanted value that is not there, or a value this manager set that the template no longer has. A value someone
 * else set where the template has none is theirs (an apply would not remove it, and it is not a difference).
 */
function specDiffers(m: Machine, want: InPlaceSpec, manager: string): boolean {
  const owned = managedSpecFields(m, manager);
  return IN_PLACE_SPEC_FIELDS.some((f) =>
    want[f] !== undefined ? !deepEqual(m.spec[f], want[f]) : m.spec[f] !== undefined && owned.has(f),
  );
}

function teardownDiffers(m: Machine, want: InPlaceSpec): boolean {
  return IN_PLACE_SPEC_FIELDS.some((f) => !deepEqual(m.spec[f] ?? null, want[f] ?? null));
}

export type MachineSync =
  | { action: 'none' }
  /** A deleting Machine: only the fields that govern its teardown, as a merge patch (upstream's patch helper). */
  | { action: 'patch-spec'; patch: { spec: Record<string, unknown> } }
  /** The server-side apply configuration, after `adopt` when given. */
  | { action: 'apply'; body: KubeObject; adopt?: ManagedFieldsEntry[] };

/** What one Machine of the set needs for in-place propagation. */
export function planMachineSync(ms: MachineSet, m: Machine, manager: string): MachineSync {
  const spec = inPlaceSpec(ms);
  if (m.metadata.deletionTimestamp) {
    if (!teardownDiffers(m, spec)) return { action: 'none' };
    const patch: Record<string, unknown> = {};
    for (const f of IN_PLACE_SPEC_FIELDS) patch[f] = spec[f] ?? null;
    return { action: 'patch-spec', patch: { spec: patch } };
  }
  const labels = machineLabels(ms);
  const annotations = templateAnnotations(ms);
  if (!specDiffers(m, spec, manager) && !metadataDiffers(m, manager, labels, annotations)) return { action: 'none' };
  return {
    action: 'apply',
    body: {
      apiVersion: CAPI_API_VERSION,
      kind: 'Machine',
      metadata: {
        name: m.metadata.name!,
        namespace: m.metadata.namespace!,
        // A uid makes the apply an update only: a Machine deleted meanwhile is not recreated.
        uid: m.metadata.uid!,
        labels,
        annotations,
      },
      // No spec when the template sets none of the fields: the apply then owns nothing there (and drops what it had).
      ...(Object.keys(spec).length ? { spec: spec as Machine['spec'] } : {}),
    },
    ...adoption(m, manager, true),
  };
}

/**
 * A clone's labels and annotations (upstream's updateExternalObject, for the infrastructure machine and the bootstrap
 * config): what the MachineSet gave it when it cloned it — its template's, the Machine's and the cloned-from
 * provenance — as they are now.
 */
export function planCloneSync(
  ms: MachineSet,
  template: MachineTemplate,
  infra: KubeObject,
  manager: string,
): MachineSync {
  const want = desiredClone(ms, template, infra.metadata.name!).metadata;
  const labels = want.labels ?? {};
  const annotations = want.annotations ?? {};
  if (!metadataDiffers(infra, manager, labels, annotations)) return { action: 'none' };
  return {
    action: 'apply',
    body: {
      apiVersion: infra.apiVersion!,
      kind: infra.kind!,
      metadata: {
        name: infra.metadata.name!,
        namespace: infra.metadata.namespace!,
        uid: infra.metadata.uid!,
        labels,
        annotations,
      },
    },
    ...adoption(infra, manager, false),
  };
}

type Fields = Record<string, unknown>;

/** Splits a FieldsV1 set: what the applier takes (labels, annotations, the in-place spec fields) and the rest. */
function splitFields(fv: Fields, withSpec: boolean): [Fields, Fields] {
  const take: Fields = {};
  const rest: Fields = structuredClone(fv);
  const meta = rest['f:metadata'] as Fields | undefined;
  for (const k of ['f:labels', 'f:annotations']) {
    if (meta?.[k] === undefined) continue;
    take['f:metadata'] = { ...((take['f:metadata'] as Fields) ?? {}), [k]: meta[k] };
    delete meta[k];
  }
  const spec = rest['f:spec'] as Fields | undefined;
  for (const f of withSpec ? IN_PLACE_SPEC_FIELDS : []) {
    if (spec?.[`f:${f}`] === undefined) continue;
    take['f:spec'] = { ...((take['f:spec'] as Fields) ?? {}), [`f:${f}`]: spec[`f:${f}`] };
    delete spec[`f:${f}`];
  }
  return [take, rest];
}

/**
 * Before the first apply, what the manager's create (an `Update` entry) set of the applied fields moves to an
 * `Apply` entry, so that the apply owns them and drops what the template no longer has; everything else the create
 * set (spec, owner references, finalizers) stays with the `Update` entry, out of the apply's reach.
 */
function adoption(o: KubeObject, manager: string, withSpec: boolean): { adopt?: ManagedFieldsEntry[] } {
  const all = (o.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
  const ours = (e: ManagedFieldsEntry) => e.manager === manager && !e.subresource;
  if (all.some((e) => ours(e) && e.operation === 'Apply')) return {};
  const update = all.find((e) => ours(e) && e.operation === 'Update');
  if (!update?.fieldsV1) return {};
  const [take, rest] = splitFields(update.fieldsV1, withSpec);
  const applied: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion: o.apiVersion!,
    ...(update.time ? { time: update.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: Object.keys(take).length ? take : { 'f:metadata': { 'f:name': {} } },
  };
  return { adopt: [...all.map((e) => (e === update ? { ...e, fieldsV1: rest } : e)), applied] };
}
