// The scale subresource (autoscaling/v1 Scale) for CRDs that declare one and for Deployments.
import type { ScaleSpec } from '../registry.ts';
import { fromLabelSelectorObject, labelSelectorToString } from '../selectors.ts';
import { asObject, asString, isObject, type JsonObject } from '../util.ts';

function pathOf(jsonPath: string): string[] {
  return jsonPath.replace(/^\./, '').split('.').filter(Boolean);
}

function get(o: unknown, path: string[]): unknown {
  let cur = o;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function toScale(obj: JsonObject, spec: ScaleSpec): JsonObject {
  const m = asObject(obj.metadata);
  const specReplicas = get(obj, pathOf(spec.specReplicasPath));
  const statusReplicas = get(obj, pathOf(spec.statusReplicasPath));
  let selector = '';
  if (spec.labelSelectorPath) {
    const sel = get(obj, pathOf(spec.labelSelectorPath));
    if (typeof sel === 'string') selector = sel;
    else if (isObject(sel)) {
      try {
        selector = labelSelectorToString(fromLabelSelectorObject(sel) ?? []);
      } catch {
        selector = '';
      }
    }
  }
  const metadata: JsonObject = { name: m.name };
  if (m.namespace !== undefined) metadata.namespace = m.namespace;
  metadata.uid = m.uid;
  metadata.resourceVersion = m.resourceVersion;
  metadata.creationTimestamp = m.creationTimestamp;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, selector },
  };
}

export function hasSpecReplicas(obj: JsonObject, spec: ScaleSpec): boolean {
  return get(obj, pathOf(spec.specReplicasPath)) !== undefined;
}

/** Write Scale.spec.replicas into the object at specReplicasPath, creating intermediate maps. */
export function applyScale(obj: JsonObject, spec: ScaleSpec, replicas: number | undefined): JsonObject {
  const out = structuredClone(obj);
  const path = pathOf(spec.specReplicasPath);
  let cur: JsonObject = out;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as JsonObject;
  }
  const last = path[path.length - 1]!;
  if (replicas === undefined) delete cur[last];
  else cur[last] = replicas;
  return out;
}

export function scaleReplicas(scale: unknown): number | undefined {
  const r = asObject(asObject(scale).spec).replicas;
  return typeof r === 'number' ? r : undefined;
}

export function scaleResourceVersion(scale: unknown): string | undefined {
  return asString(asObject(asObject(scale).metadata).resourceVersion) || undefined;
}
