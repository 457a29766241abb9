// The Machine and infrastructure clone a MachineSet creates for one name (capi-core-spec.md §2.4,
// §2.7): same name for both, template labels and annotations, ownership, cloned-from provenance.
import { Annotations, CAPI_API_VERSION, Finalizers, Labels } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { apiGroupOf } from '../../shared/events/resource-event.ts';
import { mustFormatLabelValue } from '../../shared/reconcile/names.ts';
import { ownerRefTo } from '../../shared/reconcile/owner-refs.ts';

export interface MachineTemplate extends KubeObject {
  spec?: {
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
  };
}

/** `AWSMachineTemplate` → `AWSMachine`. */
export function clonedKind(templateKind: string): string {
  return templateKind.endsWith('Template') ? templateKind.slice(0, -'Template'.length) : templateKind;
}

export function machineLabels(ms: MachineSet): Record<string, string> {
  const labels: Record<string, string> = { ...(ms.spec.template?.metadata?.labels ?? {}) };
  labels[Labels.setName] = mustFormatLabelValue(ms.metadata.name!);
  labels[Labels.clusterName] = ms.spec.clusterName;
  const md = ms.metadata.labels?.[Labels.deploymentName];
  if (md) labels[Labels.deploymentName] = md;
  return labels;
}

export function desiredMachine(ms: MachineSet, name: string): Machine {
  const tspec = ms.spec.template?.spec;
  if (!tspec) throw new Error('spec.template.spec is required to create Machines');
  const infraRef = tspec.infrastructureRef;
  const spec: Machine['spec'] = {
    ...structuredClone(tspec),
    clusterName: ms.spec.clusterName,
    infrastructureRef: {
      apiVersion: infraRef.apiVersion,
      kind: clonedKind(infraRef.kind ?? ''),
      name,
      namespace: ms.metadata.namespace,
    },
    bootstrap: structuredClone(tspec.bootstrap),
  };
  if (tspec.bootstrap.configRef) {
    spec.bootstrap.configRef = {
      ...tspec.bootstrap.configRef,
      kind: clonedKind(tspec.bootstrap.configRef.kind ?? ''),
      name,
      namespace: ms.metadata.namespace,
    };
  }
  const annotations = ms.spec.template?.metadata?.annotations;
  return {
    apiVersion: CAPI_API_VERSION,
    kind: 'Machine',
    metadata: {
      name,
      namespace: ms.metadata.namespace,
      labels: machineLabels(ms),
      ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      ownerReferences: [ownerRefTo(ms, { controller: true })],
      finalizers: [Finalizers.machine],
    },
    spec,
  };
}

/** The templates a MachineSet clones for each Machine: infrastructure always, bootstrap when it has a configRef. */
export interface Templates {
  infra: MachineTemplate;
  bootstrap?: MachineTemplate;
}

type CloneRole = 'infra' | 'bootstrap';

/**
 * Where the clones of one Machine live, from the MachineSet's references alone (no template read): the
 * infrastructure machine and, with a configRef, the bootstrap config — both named after the Machine.
 */
export function cloneKeys(
  ms: MachineSet,
  name: string,
): Array<{ role: CloneRole; apiVersion: string; kind: string; namespace: string; name: string }> {
  const t = ms.spec.template?.spec;
  const refs: Array<[CloneRole, { apiVersion?: string; kind?: string } | undefined]> = [
    ['bootstrap', t?.bootstrap?.configRef],
    ['infra', t?.infrastructureRef],
  ];
  return refs
    .filter(([, r]) => r?.apiVersion && r.kind)
    .map(([role, r]) => ({
      role,
      apiVersion: r!.apiVersion!,
      kind: clonedKind(r!.kind!),
      namespace: ms.metadata.namespace!,
      name,
    }));
}

/**
 * The per-machine object cloned from a template's `spec.template` (upstream's external.GenerateTemplate): the
 * infrastructure machine from the infrastructure template, the bootstrap config from the bootstrap template.
 */
export function desiredClone(ms: MachineSet, template: MachineTemplate, name: string): KubeObject {
  const tpl = template.spec?.template;
  if (!tpl) {
    throw new Error(`${template.kind} ${template.metadata.name} has no spec.template to clone`);
  }
  const machine = desiredMachine(ms, name);
  const group = apiGroupOf(template.apiVersion ?? '');
  return {
    apiVersion: template.apiVersion!,
    kind: clonedKind(template.kind!),
    metadata: {
      name,
      namespace: ms.metadata.namespace,
      labels: {
        ...(tpl.metadata?.labels ?? {}),
        ...(machine.metadata.labels ?? {}),
        [Labels.clusterName]: ms.spec.clusterName,
      },
      annotations: {
        ...(tpl.metadata?.annotations ?? {}),
        ...(machine.metadata.annotations ?? {}),
        [Annotations.clonedFromName]: template.metadata.name!,
        [Annotations.clonedFromGroupKind]: `${template.kind}.${group}`,
      },
      ownerReferences: [ownerRefTo(ms)],
    },
    spec: structuredClone(tpl.spec ?? {}),
  };
}
