// Defaulting (the mutating webhook), as upstream's Default() methods do it (capi-core-spec.md §2.1, §3.1, §5.1,
// §6): cluster-name labels, ref namespaces, version prefix, replica defaults from the autoscaler annotations,
// selector defaults, MachineHealthCheck timeouts — plus the one provider default OpenShift relies on (AWSCluster
// identityRef). Works on untrusted JSON: a field of the wrong type is left alone for validation to report.
import { Annotations, CAPI_GROUP, Labels } from '../../shared/api/capi/constants.ts';
import { mustFormatLabelValue } from '../../shared/reconcile/names.ts';
import { providers } from '../providers/index.ts';
import { ensureObject, isObject, type JsonObject, obj, str } from './json.ts';
import type { Violation } from './violation.ts';

export interface DefaultingInput {
  group: string;
  kind: string;
  /** Deep copy of the request object; modified in place. */
  object: JsonObject;
  oldObject: JsonObject | undefined;
  /** The request namespace (the object's may be absent on create). */
  namespace: string;
}

/** Upstream's Machine webhook default for `spec.nodeDeletionTimeout`. */
export const DEFAULT_NODE_DELETION_TIMEOUT = '10s';
export const DEFAULT_MAX_UNHEALTHY = '100%';
export const DEFAULT_NODE_STARTUP_TIMEOUT = '10m';

function setLabel(o: JsonObject, key: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (o.metadata !== undefined && !isObject(o.metadata)) return;
  const meta = ensureObject(o, 'metadata');
  if (meta.labels !== undefined && !isObject(meta.labels)) return;
  ensureObject(meta, 'labels')[key] = value;
}

function defaultRefNamespace(ref: unknown, namespace: string): void {
  const r = obj(ref);
  if (r && (r.namespace === undefined || r.namespace === '') && namespace) r.namespace = namespace;
}

function defaultVersion(spec: JsonObject): void {
  const v = str(spec.version);
  if (v && !v.startsWith('v')) spec.version = `v${v}`;
}

/** The Machine spec defaults shared by Machine and the templates of MachineSet / MachineDeployment. */
function defaultMachineSpec(spec: JsonObject | undefined, namespace: string, withTimeout: boolean): void {
  if (!spec) return;
  const bootstrap = obj(spec.bootstrap);
  if (bootstrap) defaultRefNamespace(bootstrap.configRef, namespace);
  defaultRefNamespace(spec.infrastructureRef, namespace);
  defaultVersion(spec);
  if (withTimeout && spec.nodeDeletionTimeout === undefined) spec.nodeDeletionTimeout = DEFAULT_NODE_DELETION_TIMEOUT;
}

function parseSize(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

/**
 * `spec.replicas` when unset: with both autoscaler annotations, a new object starts at min and an existing one
 * keeps its old value clamped into [min, max]; without them, 1.
 */
export function defaultReplicas(
  annotations: Record<string, string>,
  oldReplicas: number | undefined,
  isNew: boolean,
): { replicas: number } | { violation: Violation } {
  const minS = annotations[Annotations.autoscalerMinSize];
  const maxS = annotations[Annotations.autoscalerMaxSize];
  if (minS === undefined || maxS === undefined) return { replicas: 1 };
  const min = parseSize(minS);
  const max = parseSize(maxS);
  for (const [key, raw, n] of [
    [Annotations.autoscalerMinSize, minS, min],
    [Annotations.autoscalerMaxSize, maxS, max],
  ] as const) {
    if (n === undefined) {
      return {
        violation: {
          field: `metadata.annotations[${key}]`,
          type: 'Invalid',
          rule: `${JSON.stringify(raw)} is not an integer, so spec.replicas cannot be defaulted from the autoscaler range`,
          fix: 'set the annotation to a whole number of machines, or set spec.replicas explicitly',
        },
      };
    }
  }
  if (isNew || oldReplicas === undefined) return { replicas: min! };
  if (oldReplicas < min!) return { replicas: min! };
  if (oldReplicas > max!) return { replicas: max! };
  return { replicas: oldReplicas };
}

function defaultSetLike(i: DefaultingInput, nameLabel: string, forceClusterInSelector: boolean): Violation[] {
  const o = i.object;
  const spec = obj(o.spec);
  if (!spec) return [];
  const clusterName = str(spec.clusterName);
  setLabel(o, Labels.clusterName, clusterName);
  const violations: Violation[] = [];
  if (spec.replicas === undefined) {
    const oldSpec = obj(obj(i.oldObject)?.spec);
    const oldReplicas = typeof oldSpec?.replicas === 'number' ? oldSpec.replicas : undefined;
    const r = defaultReplicas(
      Object.fromEntries(
        Object.entries(obj(obj(o.metadata)?.annotations) ?? {}).filter(
          (e): e is [string, string] => typeof e[1] === 'string',
        ),
      ),
      oldReplicas,
      i.oldObject === undefined,
    );
    if ('violation' in r) violations.push(r.violation);
    else spec.replicas = r.replicas;
  }
  if (spec.selector !== undefined && !isObject(spec.selector)) return violations;
  if (spec.template !== undefined && !isObject(spec.template)) return violations;
  const selector = ensureObject(spec, 'selector');
  const template = ensureObject(spec, 'template');
  if (template.metadata !== undefined && !isObject(template.metadata)) return violations;
  const tmeta = ensureObject(template, 'metadata');
  if (
    (selector.matchLabels !== undefined && !isObject(selector.matchLabels)) ||
    (tmeta.labels !== undefined && !isObject(tmeta.labels))
  ) {
    return violations;
  }
  const matchLabels = obj(selector.matchLabels) ?? {};
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  const name = str(obj(o.metadata)?.name) ?? '';
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0 && name) {
    // No selector given: select by the object's own name (hashed when it is not a valid label value).
    const value = mustFormatLabelValue(name);
    ensureObject(selector, 'matchLabels')[nameLabel] = value;
    ensureObject(tmeta, 'labels')[nameLabel] = value;
  }
  if (forceClusterInSelector && clusterName) {
    ensureObject(selector, 'matchLabels')[Labels.clusterName] = clusterName;
    ensureObject(tmeta, 'labels')[Labels.clusterName] = clusterName;
  }
  const tspec = obj(template.spec);
  defaultMachineSpec(tspec, i.namespace, false);
  return violations;
}

function defaultMachineSet(i: DefaultingInput): Violation[] {
  const violations = defaultSetLike(i, Labels.setName, false);
  const spec = obj(i.object.spec);
  if (spec && spec.deletePolicy === undefined) spec.deletePolicy = 'Random';
  return violations;
}

function defaultMachineDeployment(i: DefaultingInput): Violation[] {
  const violations = defaultSetLike(i, Labels.deploymentName, true);
  const spec = obj(i.object.spec);
  if (!spec) return violations;
  spec.minReadySeconds ??= 0;
  spec.revisionHistoryLimit ??= 1;
  spec.progressDeadlineSeconds ??= 600;
  if (spec.strategy === undefined || isObject(spec.strategy)) {
    const strategy = ensureObject(spec, 'strategy');
    strategy.type ??= 'RollingUpdate';
    if (
      strategy.type === 'RollingUpdate' &&
      (strategy.rollingUpdate === undefined || isObject(strategy.rollingUpdate))
    ) {
      const ru = ensureObject(strategy, 'rollingUpdate');
      ru.maxSurge ??= 1;
      ru.maxUnavailable ??= 0;
    }
  }
  return violations;
}

function defaultMachine(i: DefaultingInput): Violation[] {
  const spec = obj(i.object.spec);
  if (!spec) return [];
  setLabel(i.object, Labels.clusterName, str(spec.clusterName));
  defaultMachineSpec(spec, i.namespace, true);
  return [];
}

function defaultMachineHealthCheck(i: DefaultingInput): Violation[] {
  const spec = obj(i.object.spec);
  if (!spec) return [];
  setLabel(i.object, Labels.clusterName, str(spec.clusterName));
  spec.maxUnhealthy ??= DEFAULT_MAX_UNHEALTHY;
  spec.nodeStartupTimeout ??= DEFAULT_NODE_STARTUP_TIMEOUT;
  defaultRefNamespace(spec.remediationTemplate, i.namespace);
  return [];
}

function defaultCluster(i: DefaultingInput): Violation[] {
  const spec = obj(i.object.spec);
  if (!spec) return [];
  defaultRefNamespace(spec.infrastructureRef, i.namespace);
  defaultRefNamespace(spec.controlPlaneRef, i.namespace);
  return [];
}

/** A provider's defaults for one of its kinds, applied to the spec (made an object if absent). */
function providerDefaulter(apply: (spec: Record<string, unknown>) => void) {
  return (i: DefaultingInput): Violation[] => {
    if (i.object.spec !== undefined && !isObject(i.object.spec)) return [];
    apply(ensureObject(i.object, 'spec'));
    return [];
  };
}

const DEFAULTERS: Record<string, (i: DefaultingInput) => Violation[]> = {
  [`${CAPI_GROUP}/Cluster`]: defaultCluster,
  [`${CAPI_GROUP}/MachineSet`]: defaultMachineSet,
  [`${CAPI_GROUP}/MachineDeployment`]: defaultMachineDeployment,
  [`${CAPI_GROUP}/Machine`]: defaultMachine,
  [`${CAPI_GROUP}/MachineHealthCheck`]: defaultMachineHealthCheck,
  ...Object.fromEntries(
    providers.flatMap((p) => Object.entries(p.webhookDefaults ?? {}).map(([key, fn]) => [key, providerDefaulter(fn)])),
  ),
};

/** Applies the kind's defaults to `i.object` in place; violations are defaults that could not be computed. */
export function applyDefaults(i: DefaultingInput): Violation[] {
  const fn = DEFAULTERS[`${i.group}/${i.kind}`];
  return fn ? fn(i) : [];
}
