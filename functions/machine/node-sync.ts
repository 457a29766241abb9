// What the Machine writes onto its Node (capi-core-spec.md §3.5): labels in the node-role and
// node-restriction / node.cluster.x-k8s.io domains, ownership annotations, taint cleanup; computed
// as a merge patch (null removes) so nothing else on the Node is touched.
import { Annotations, Labels } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';

export const UNINITIALIZED_TAINT = 'node.cluster.x-k8s.io/uninitialized';

export interface NodeLike {
  metadata: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: {
    providerID?: string;
    unschedulable?: boolean;
    taints?: Array<{ key: string; value?: string; effect: string }>;
  };
  status?: {
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
    nodeInfo?: Record<string, string>;
    volumesAttached?: Array<{ name: string; devicePath?: string }>;
  };
}

function inDomain(key: string, domain: string): boolean {
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  return prefix === domain || prefix.endsWith(`.${domain}`);
}

/** Machine labels that are synced to the Node. */
export function isSyncedLabel(key: string): boolean {
  return (
    key.startsWith('node-role.kubernetes.io') ||
    inDomain(key, 'node-restriction.kubernetes.io') ||
    inDomain(key, 'node.cluster.x-k8s.io')
  );
}

function isSyncedAnnotation(key: string): boolean {
  return inDomain(key, 'node.cluster.x-k8s.io');
}

function tracked(value: string | undefined): string[] {
  return value ? value.split(',').filter(Boolean) : [];
}

/**
 * The merge patch that brings the Node in line with the Machine, or undefined when nothing changes.
 * `owner` is the Machine's controller (kind/name) for the owner annotations.
 */
export function nodePatch(
  machine: Machine,
  node: NodeLike,
  owner: { kind: string; name: string } | undefined,
  interruptible: boolean,
): Record<string, unknown> | undefined {
  const labels = node.metadata.labels ?? {};
  const annotations = node.metadata.annotations ?? {};
  const labelPatch: Record<string, string | null> = {};
  const annotationPatch: Record<string, string | null> = {};

  const wantLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(machine.metadata.labels ?? {})) if (isSyncedLabel(k)) wantLabels[k] = v;
  if (interruptible) wantLabels[Labels.interruptible] = '';
  for (const [k, v] of Object.entries(wantLabels)) if (labels[k] !== v) labelPatch[k] = v;
  for (const k of tracked(annotations[Annotations.labelsFromMachine]))
    if (!(k in wantLabels) && k in labels) labelPatch[k] = null;
  if (
    !interruptible &&
    Labels.interruptible in labels &&
    tracked(annotations[Annotations.labelsFromMachine]).includes(Labels.interruptible)
  ) {
    labelPatch[Labels.interruptible] = null;
  }
  const labelKeys = Object.keys(wantLabels).sort().join(',');

  const wantAnnotations: Record<string, string> = {
    [Annotations.nodeClusterName]: machine.spec.clusterName,
    [Annotations.nodeClusterNamespace]: machine.metadata.namespace ?? '',
    [Annotations.nodeMachine]: machine.metadata.name ?? '',
  };
  if (owner) {
    wantAnnotations[Annotations.nodeOwnerKind] = owner.kind;
    wantAnnotations[Annotations.nodeOwnerName] = owner.name;
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(machine.metadata.annotations ?? {})) if (isSyncedAnnotation(k)) extra[k] = v;
  Object.assign(wantAnnotations, extra);
  wantAnnotations[Annotations.labelsFromMachine] = labelKeys;
  const extraKeys = Object.keys(extra).sort().join(',');
  if (extraKeys || annotations[Annotations.annotationsFromMachine])
    wantAnnotations[Annotations.annotationsFromMachine] = extraKeys;
  for (const k of tracked(annotations[Annotations.annotationsFromMachine]))
    if (!(k in extra) && k in annotations) annotationPatch[k] = null;
  for (const [k, v] of Object.entries(wantAnnotations)) if (annotations[k] !== v) annotationPatch[k] = v;

  const patch: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  if (Object.keys(labelPatch).length) meta.labels = labelPatch;
  if (Object.keys(annotationPatch).length) meta.annotations = annotationPatch;
  if (Object.keys(meta).length) patch.metadata = meta;
  const taints = node.spec?.taints ?? [];
  if (taints.some((t) => t.key === UNINITIALIZED_TAINT))
    patch.spec = { taints: taints.filter((t) => t.key !== UNINITIALIZED_TAINT) };
  return Object.keys(patch).length ? patch : undefined;
}
