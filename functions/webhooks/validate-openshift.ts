// The OpenShift rules (openshift-capi.md §1.6 "Webhook on Cluster", §2, §5): one namespace, one Cluster named
// after the cluster ID, the platform's infrastructure kinds only, no control-plane machines, no deleting the
// managed Cluster — plus immutable machine templates and the irreversible Technology Preview.
import { CAPI_GROUP, INFRA_GROUP, Labels } from '../../shared/api/capi/constants.ts';
import { customKinds, ownerOf } from '../../shared/api/kind-table.ts';
import {
  CLUSTER_SINGLETON_NAME,
  CONFIG_GROUP,
  FeatureSet,
  Namespaces,
  type PlatformProvider,
} from '../../shared/api/openshift/constants.ts';
import { deepEqual, pruneEmpty } from '../../shared/reconcile/equal.ts';
import type { Operation } from './admission-review.ts';
import { type JsonObject, obj, str, strMap } from './json.ts';
import { show, type Violation } from './violation.ts';

/** What the webhook knows about the cluster: present when Infrastructure/cluster exists (OpenShift rules apply). */
export interface OpenShiftFacts {
  infrastructureName: string;
  platformType: string;
  /** Undefined on a platform without a Cluster API provider. */
  provider: PlatformProvider | undefined;
}

export interface PolicyInput {
  group: string;
  kind: string;
  operation: Operation;
  name: string;
  namespace: string;
  object: JsonObject | undefined;
  oldObject: JsonObject | undefined;
  openshift: OpenShiftFacts | undefined;
}

const NO_UPGRADE_SETS = new Set<string>([
  FeatureSet.TechPreviewNoUpgrade,
  FeatureSet.CustomNoUpgrade,
  FeatureSet.DevPreviewNoUpgrade,
]);

function isCapiOrInfra(group: string): boolean {
  return group === CAPI_GROUP || group === INFRA_GROUP;
}

/** The kind of the platform's provider playing the same role (GCPMachineTemplate on AWS → AWSMachineTemplate). */
function equivalentKind(kind: string, provider: PlatformProvider): string | undefined {
  const roles = ['MachineTemplate', 'ClusterIdentity', 'Machine', 'Cluster'];
  const roleOf = (k: string) => roles.find((r) => k.endsWith(r));
  const role = roleOf(kind);
  if (!role) return undefined;
  return customKinds.find(
    ([g, , k, , , owner]) => owner === provider.provider && g === INFRA_GROUP && roleOf(k) === role,
  )?.[2];
}

function namespaceRule(i: PolicyInput): Violation[] {
  if (i.namespace === Namespaces.clusterAPI) return [];
  return [
    {
      field: 'metadata.namespace',
      type: 'Forbidden',
      rule: `Cluster API objects on OpenShift live in ${Namespaces.clusterAPI}, not ${show(i.namespace)} (the operator and its Cluster are there; machine-api objects stay in ${Namespaces.machineAPI})`,
      fix: `create it with -n ${Namespaces.clusterAPI} (and set metadata.namespace: ${Namespaces.clusterAPI} in the file)`,
    },
  ];
}

function clusterRules(i: PolicyInput, os: OpenShiftFacts): Violation[] {
  const out: Violation[] = [];
  if (i.operation === 'CREATE' && i.namespace === Namespaces.clusterAPI && i.name !== os.infrastructureName) {
    out.push({
      field: 'metadata.name',
      type: 'Invalid',
      rule: `${show(i.name)} must equal the cluster ID, Infrastructure/cluster status.infrastructureName ${show(os.infrastructureName)} (there is one Cluster: this cluster itself)`,
      fix: `name it ${os.infrastructureName} (oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}')`,
    });
  }
  const ref = obj(obj(i.object?.spec)?.infrastructureRef);
  const oldRef = obj(obj(i.oldObject?.spec)?.infrastructureRef);
  const refChanged = i.operation === 'CREATE' || !deepEqual(ref, oldRef);
  const wantKind = os.provider?.infraClusterKind;
  if (!ref || !str(ref.kind) || !str(ref.name)) {
    out.push({
      field: 'spec.infrastructureRef',
      type: 'Required',
      rule: 'the Cluster must reference its infrastructure cluster (kind and name)',
      fix: wantKind
        ? `set apiVersion: ${os.provider?.infraClusterAPIVersion}, kind: ${wantKind}, name: ${os.infrastructureName}`
        : 'set apiVersion, kind and name of the infrastructure cluster',
    });
  } else if (refChanged && wantKind && str(ref.kind) !== wantKind) {
    out.push({
      field: 'spec.infrastructureRef.kind',
      type: 'Unsupported',
      rule: `${show(ref.kind)}: this cluster runs on ${os.platformType}, whose infrastructure cluster kind is ${show(wantKind)}`,
      fix: `set kind: ${wantKind}`,
    });
  }
  return out;
}

function platformKindRule(i: PolicyInput, os: OpenShiftFacts): Violation[] {
  const owner = ownerOf(i.group, i.kind);
  if (!owner || owner === 'core' || owner === 'openshift') return [];
  if (os.provider && owner === os.provider.provider) return [];
  const instead = os.provider ? equivalentKind(i.kind, os.provider) : undefined;
  return [
    {
      field: 'kind',
      type: 'Forbidden',
      rule: os.provider
        ? `${i.kind} belongs to the ${owner} provider, but this cluster runs on ${os.platformType} (Infrastructure/cluster status.platformStatus.type), which uses the ${os.provider.provider} provider`
        : `${i.kind} belongs to the ${owner} provider, but platform ${show(os.platformType)} has no Cluster API provider`,
      fix: instead ? `use ${instead} instead` : 'create only the infrastructure kinds of this cluster’s platform',
    },
  ];
}

/** Control-plane machines stay under the control plane's own management (no control-plane provider exists). */
function controlPlaneRule(i: PolicyInput): Violation[] {
  const check = (labels: Record<string, string>, oldLabels: Record<string, string> | undefined, field: string) => {
    const has = Object.hasOwn(labels, Labels.controlPlane);
    // Only a newly added label is refused, so a machine labelled before the webhook existed can still be deleted.
    if (!has || (oldLabels && Object.hasOwn(oldLabels, Labels.controlPlane))) return [];
    return [
      {
        field,
        type: 'Forbidden' as const,
        rule: `the ${Labels.controlPlane} label marks a control-plane machine, and control-plane machines cannot be managed with the Cluster API on OpenShift`,
        fix: 'remove the label: create compute (worker) machines only; the control plane is managed by the ControlPlaneMachineSet',
      },
    ];
  };
  const field = (o: JsonObject | undefined, ...p: string[]) => {
    let cur: unknown = o;
    for (const k of p) cur = obj(cur)?.[k];
    return strMap(cur);
  };
  const old = (...p: string[]) => (i.oldObject ? field(i.oldObject, ...p) : undefined);
  if (i.kind === 'Machine') {
    return check(field(i.object, 'metadata', 'labels'), old('metadata', 'labels'), 'metadata.labels');
  }
  if (i.kind === 'MachineSet' || i.kind === 'MachineDeployment') {
    const p = ['spec', 'template', 'metadata', 'labels'];
    return check(field(i.object, ...p), old(...p), 'spec.template.metadata.labels');
  }
  return [];
}

/** Machine templates are immutable: a Machine is cloned from its template once, so an edit would not roll. */
function templateImmutable(i: PolicyInput): Violation[] {
  if (i.operation !== 'UPDATE' || i.group !== INFRA_GROUP || !i.kind.endsWith('MachineTemplate')) return [];
  if (deepEqual(pruneEmpty(i.object?.spec ?? {}), pruneEmpty(i.oldObject?.spec ?? {}))) return [];
  return [
    {
      field: 'spec',
      type: 'Immutable',
      rule: `${i.kind} is immutable: Machines are cloned from it when created, so an edit in place would never reach them`,
      fix: `to roll out a change, copy it under a new metadata.name (oc get ${i.kind.toLowerCase()} ${i.name} -o yaml), edit and apply the copy, then point each MachineSet's spec.template.spec.infrastructureRef.name at it and scale the set down and up to replace the machines`,
    },
  ];
}

/** FeatureGate/cluster: a *NoUpgrade feature set is irreversible (and the Cluster API depends on it). */
function featureGateRules(i: PolicyInput): Violation[] {
  if (i.name !== CLUSTER_SINGLETON_NAME) return [];
  const was = str(obj(i.oldObject?.spec)?.featureSet) ?? '';
  if (!NO_UPGRADE_SETS.has(was)) return [];
  const now = i.operation === 'DELETE' ? undefined : (str(obj(i.object?.spec)?.featureSet) ?? '');
  if (now === was) return [];
  return [
    {
      field: 'spec.featureSet',
      type: 'Forbidden',
      rule:
        i.operation === 'DELETE'
          ? `FeatureGate/cluster cannot be deleted while its feature set is ${was}: enabling ${was} is irreversible`
          : `${was} cannot be changed once set (to ${show(now)}): it is irreversible and blocks minor-version updates`,
      fix: `keep spec.featureSet: ${was}; a cluster can only return to the default feature set by being reinstalled`,
    },
  ];
}

/** Every policy rule for the request; OpenShift-specific ones only when `openshift` facts are known. */
export function validatePolicy(i: PolicyInput): Violation[] {
  if (i.group === CONFIG_GROUP && i.kind === 'FeatureGate') return featureGateRules(i);
  if (!isCapiOrInfra(i.group)) return [];
  const os = i.openshift;
  if (i.operation === 'DELETE') {
    if (os && i.group === CAPI_GROUP && i.kind === 'Cluster' && i.namespace === Namespaces.clusterAPI) {
      return [
        {
          field: 'metadata.name',
          type: 'Forbidden',
          rule: `Cluster ${show(i.name)} in ${Namespaces.clusterAPI} represents this OpenShift cluster itself and cannot be deleted`,
          fix: 'delete the MachineSets (or Machines) you no longer want instead; the Cluster stays',
        },
      ];
    }
    return [];
  }
  const out: Violation[] = [...templateImmutable(i)];
  if (!os) return out;
  if (i.operation === 'CREATE') {
    out.push(...namespaceRule(i));
    out.push(...platformKindRule(i, os));
  }
  if (i.group === CAPI_GROUP && i.kind === 'Cluster') out.push(...clusterRules(i, os));
  out.push(...controlPlaneRule(i));
  return out;
}
