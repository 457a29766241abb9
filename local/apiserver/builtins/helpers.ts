// Compact builders for built-in schemas, table columns and strategic-merge metadata.
import type { ListStrategy, StrategyLookup } from '../patch/strategic-merge.ts';
import type { ResourceDef, VersionDef } from '../registry.ts';
import { ALL_VERBS } from '../registry.ts';
import type { Schema } from '../schema/types.ts';
import { ageColumn, nameColumn, type TableColumn } from '../table.ts';

export const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
export const int = (): Schema => ({ type: 'integer' });
export const bool = (): Schema => ({ type: 'boolean' });
export const time = (): Schema => ({ type: 'string', format: 'date-time' });
export const intOrString = (): Schema => ({ 'x-kubernetes-int-or-string': true });
export const arr = (items: Schema): Schema => ({ type: 'array', items });
export const strMap = (): Schema => ({ type: 'object', additionalProperties: { type: 'string' } });
/** A subtree whose fields this server does not enumerate: kept as sent, never reported as unknown. */
export const open = (description?: string): Schema => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  ...(description ? { description } : {}),
});
export const obj = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({
  type: 'object',
  properties,
  ...extra,
});

export const conditions = (): Schema =>
  arr(
    obj({
      type: str(),
      status: str(),
      reason: str(),
      message: str(),
      lastTransitionTime: time(),
      lastProbeTime: time(),
      lastHeartbeatTime: time(),
      lastUpdateTime: time(),
      observedGeneration: int(),
    }),
  );

export const labelSelector = (): Schema =>
  obj({
    matchLabels: strMap(),
    matchExpressions: arr(obj({ key: str(), operator: str(), values: arr(str()) })),
  });

/** Top-level object schema: apiVersion/kind/metadata plus the kind's own fields. */
export function root(kind: string, props: Record<string, Schema>, description = ''): Schema {
  return obj(
    {
      apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
      kind: str('Kind is a string value representing the REST resource this object represents.'),
      metadata: { type: 'object', description: 'Standard object metadata.' },
      ...props,
    },
    { description: description || `${kind} is a built-in Kubernetes kind.` },
  );
}

/** SMP merge metadata: exact dotted paths (list items are transparent) → strategy. */
export function smpTable(table: Record<string, ListStrategy>): StrategyLookup {
  const common: Record<string, ListStrategy> = {
    'metadata.ownerReferences': { merge: true, mergeKey: 'uid' },
    'metadata.finalizers': { merge: true },
  };
  return (path) => {
    const key = path.join('.');
    return table[key] ?? common[key];
  };
}

export function podSpecStrategies(prefix: string): Record<string, ListStrategy> {
  const p = prefix;
  const out: Record<string, ListStrategy> = {};
  for (const c of ['containers', 'initContainers', 'ephemeralContainers']) {
    out[`${p}${c}`] = { merge: true, mergeKey: 'name' };
    out[`${p}${c}.env`] = { merge: true, mergeKey: 'name' };
    out[`${p}${c}.ports`] = { merge: true, mergeKey: 'containerPort' };
    out[`${p}${c}.volumeMounts`] = { merge: true, mergeKey: 'mountPath' };
    out[`${p}${c}.volumeDevices`] = { merge: true, mergeKey: 'devicePath' };
    out[`${p}${c}.resizePolicy`] = { merge: true, mergeKey: 'resourceName' };
  }
  out[`${p}volumes`] = { merge: true, mergeKey: 'name', retainKeys: true };
  out[`${p}imagePullSecrets`] = { merge: true, mergeKey: 'name' };
  out[`${p}hostAliases`] = { merge: true, mergeKey: 'ip' };
  out[`${p}schedulingGates`] = { merge: true, mergeKey: 'name' };
  out[`${p}resourceClaims`] = { merge: true, mergeKey: 'name', retainKeys: true };
  return out;
}

export interface BuiltinInput {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular?: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  schema: Schema;
  columns?: TableColumn[];
  status?: boolean;
  scale?: VersionDef['scale'];
  tracksGeneration?: boolean;
  extraSubresources?: string[];
  smp?: Record<string, ListStrategy>;
  verbs?: string[];
}

export function builtin(i: BuiltinInput, rest: Partial<ResourceDef> = {}): ResourceDef {
  const version: VersionDef = {
    name: i.version,
    served: true,
    storage: true,
    schema: i.schema,
    columns: i.columns ?? [nameColumn, ageColumn],
    status: i.status ?? false,
    ...(i.scale ? { scale: i.scale } : {}),
    selectableFields: [],
  };
  return {
    group: i.group,
    resource: i.resource,
    kind: i.kind,
    listKind: `${i.kind}List`,
    singular: i.singular ?? i.kind.toLowerCase(),
    namespaced: i.namespaced,
    shortNames: i.shortNames ?? [],
    categories: i.categories ?? [],
    versions: [version],
    storageKey: i.group ? `${i.group}/${i.resource}` : i.resource,
    storageVersion: i.version,
    builtin: true,
    tracksGeneration: i.tracksGeneration ?? false,
    extraSubresources: i.extraSubresources ?? [],
    smp: smpTable(i.smp ?? {}),
    deleteReturnsObject: false,
    verbs: i.verbs ?? ALL_VERBS,
    ...rest,
  };
}
