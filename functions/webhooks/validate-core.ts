// Upstream Cluster API validation (the ValidateCreate/ValidateUpdate methods; capi-core-spec.md §1.1, §2.1, §3.1,
// §5.1, §6), each violation naming the field, the rule and the fix.

import * as z from 'zod/mini';
import { CAPI_GROUP, DeletePolicies, Labels } from '../../shared/api/capi/constants.ts';
import type { LabelSelector } from '../../shared/api/meta.ts';
import { describeIssue } from '../../shared/api/validate.ts';
import { matchesSelector, selectorToString } from '../../shared/kube/selectors.ts';
import { parseDuration } from '../../shared/reconcile/duration.ts';
import { isObject, type JsonObject, obj, str, strMap } from './json.ts';
import { show, type Violation } from './violation.ts';

export interface RuleInput {
  group: string;
  kind: string;
  object: JsonObject;
  oldObject: JsonObject | undefined;
  namespace: string;
}

/** Go's semver.ParseTolerant as upstream uses it: an optional `v`, 1–3 numeric parts, pre-release and build. */
const SEMVER =
  /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*)){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

function clusterNameImmutable(i: RuleInput, path = 'spec.clusterName'): Violation[] {
  const now = str(obj(i.object.spec)?.clusterName);
  const was = str(obj(i.oldObject?.spec)?.clusterName);
  if (!i.oldObject || was === undefined || now === was) return [];
  return [
    {
      field: path,
      type: 'Immutable',
      rule: `field is immutable (was ${show(was)}, now ${show(now ?? '')})`,
      fix: `keep ${show(was)}; to manage machines of another cluster, create a new ${i.kind} with that clusterName`,
    },
  ];
}

function refNamespace(ref: unknown, path: string, namespace: string): Violation[] {
  const ns = str(obj(ref)?.namespace);
  if (!ns || !namespace || ns === namespace) return [];
  return [
    {
      field: `${path}.namespace`,
      type: 'Invalid',
      rule: `${show(ns)} must match the object's namespace ${show(namespace)}: Cluster API references never cross namespaces`,
      fix: `create the referenced object in ${show(namespace)} and point at it, or leave namespace empty to default it`,
    },
  ];
}

function machineSpecRules(spec: JsonObject | undefined, path: string, i: RuleInput, forTemplate: boolean): Violation[] {
  if (!spec) return [];
  const out: Violation[] = [];
  const bootstrap = obj(spec.bootstrap);
  out.push(...refNamespace(bootstrap?.configRef, `${path}.bootstrap.configRef`, i.namespace));
  out.push(...refNamespace(spec.infrastructureRef, `${path}.infrastructureRef`, i.namespace));
  const dataSecret = str(bootstrap?.dataSecretName);
  const machinePoolOwned =
    !forTemplate &&
    Array.isArray(obj(i.object.metadata)?.ownerReferences) &&
    (obj(i.object.metadata)!.ownerReferences as unknown[]).some((r) => obj(r)?.kind === 'MachinePool');
  if (isObject(spec.bootstrap) && !bootstrap?.configRef && !dataSecret && !machinePoolOwned) {
    out.push({
      field: `${path}.bootstrap`,
      type: 'Required',
      rule: 'expected either spec.bootstrap.dataSecretName or spec.bootstrap.configRef to be populated',
      fix: 'on OpenShift set dataSecretName: worker-user-data (the synced worker Ignition; worker-user-data-managed on bare metal)',
    });
  }
  const version = str(spec.version);
  if (version !== undefined && !SEMVER.test(version)) {
    out.push({
      field: `${path}.version`,
      type: 'Invalid',
      rule: `${show(version)} must be a valid semantic version`,
      fix: 'use a Kubernetes version such as v1.32.4, or leave version unset',
    });
  }
  for (const t of ['nodeDrainTimeout', 'nodeVolumeDetachTimeout', 'nodeDeletionTimeout']) {
    const d = str(spec[t]);
    if (d !== undefined && parseDuration(d) === undefined) {
      out.push({
        field: `${path}.${t}`,
        type: 'Invalid',
        rule: `${show(d)} is not a duration`,
        fix: 'use a Go duration such as "10s", "5m" or "1h30m" ("0s" means no limit)',
      });
    }
  }
  const gates = Array.isArray(spec.readinessGates) ? spec.readinessGates : [];
  const seen = new Set<string>();
  gates.forEach((g, idx) => {
    const t = str(obj(g)?.conditionType);
    if (t === undefined) return;
    if (seen.has(t)) {
      out.push({
        field: `${path}.readinessGates[${idx}].conditionType`,
        type: 'Invalid',
        rule: `duplicate readiness gate ${show(t)}`,
        fix: 'list each condition type once',
      });
    }
    seen.add(t);
  });
  return out;
}

type Selector = { ok: true; selector: LabelSelector | undefined } | { ok: false; violation: Violation };

/**
 * meta.ts's LabelSelector in zod/mini: the kind schemas (zod's classic API) load only when a review needs its kind
 * (shared/api/kind-schemas.ts), and the rules run on every review.
 */
const SelectorShape = z.strictObject({
  matchLabels: z.optional(z.record(z.string(), z.string())),
  matchExpressions: z.optional(
    z.array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.optional(z.array(z.string())),
      }),
    ),
  ),
});

function parseSelector(v: unknown, path: string): Selector {
  if (v === undefined) return { ok: true, selector: undefined };
  const r = SelectorShape.safeParse(v, { reportInput: true });
  if (r.success) return { ok: true, selector: r.data };
  const e = r.error.issues[0] ? describeIssue(r.error.issues[0])[0] : undefined;
  return {
    ok: false,
    violation: {
      field: path,
      type: 'Invalid',
      rule: `not a label selector (${e ? [e.field, e.message].filter(Boolean).join(': ') : 'invalid'})`,
      fix: 'use matchLabels (a map of label keys to values) and/or matchExpressions with In, NotIn, Exists or DoesNotExist',
    },
  };
}

/** capi-fn's own label domain: `capi-fn.io/…` and `<sub>.capi-fn.io/…`. */
function reservedKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  return domain === 'capi-fn.io' || domain.endsWith('.capi-fn.io');
}

function selectorKeys(s: LabelSelector | undefined): string[] {
  return [...Object.keys(s?.matchLabels ?? {}), ...(s?.matchExpressions ?? []).map((e) => e.key)];
}

/**
 * Labels in capi-fn's own domain (the Machine handler's `machine.capi-fn.io/provider-id-hash`) are its bookkeeping:
 * the MachineSet is deliberately not woken when they change, so a selector on one would learn of a Machine's change
 * only at the next event or resync, and a template label would be overwritten. Keys the old object already had
 * stay allowed, so an object made before this rule can still be edited.
 */
function reservedLabels(i: RuleInput, selector: LabelSelector | undefined, templateLabels: boolean): Violation[] {
  const out: Violation[] = [];
  const old = obj(i.oldObject?.spec);
  const oldSel = parseSelector(old?.selector, 'spec.selector');
  const hadInSelector = new Set(oldSel.ok ? selectorKeys(oldSel.selector) : []);
  for (const key of new Set(selectorKeys(selector))) {
    if (!reservedKey(key) || hadInSelector.has(key)) continue;
    out.push({
      field: 'spec.selector',
      type: 'Invalid',
      rule: `label key ${show(key)} is capi-fn's own bookkeeping (domain capi-fn.io); changes to it do not wake the handlers that act on this selector`,
      fix: `select by your own labels or ${Labels.setName} / ${Labels.deploymentName}, not by a capi-fn.io key`,
    });
  }
  if (!templateLabels) return out;
  const had = new Set(Object.keys(strMap(obj(obj(old?.template)?.metadata)?.labels)));
  for (const key of Object.keys(strMap(obj(obj(obj(i.object.spec)?.template)?.metadata)?.labels))) {
    if (!reservedKey(key) || had.has(key)) continue;
    out.push({
      field: 'spec.template.metadata.labels',
      type: 'Invalid',
      rule: `label key ${show(key)} is capi-fn's own bookkeeping (domain capi-fn.io); capi-fn sets it on each Machine itself`,
      fix: `remove ${show(key)} from the template's labels`,
    });
  }
  return out;
}

/** MachineSet / MachineDeployment: the selector must select the machines the template stamps out. */
function selectorMatchesTemplate(i: RuleInput): Violation[] {
  const sel = parseSelector(obj(i.object.spec)?.selector, 'spec.selector');
  return [...(sel.ok ? reservedLabels(i, sel.selector, true) : []), ...selectorSelectsTemplate(i)];
}

function selectorSelectsTemplate(i: RuleInput): Violation[] {
  const spec = obj(i.object.spec);
  if (!spec) return [];
  const sel = parseSelector(spec.selector, 'spec.selector');
  if (!sel.ok) return [sel.violation];
  const templateLabels = strMap(obj(obj(spec.template)?.metadata)?.labels);
  if (!sel.selector) return [];
  const empty = !Object.keys(sel.selector.matchLabels ?? {}).length && !(sel.selector.matchExpressions ?? []).length;
  if (empty) {
    return [
      {
        field: 'spec.selector',
        type: 'Required',
        rule: 'the selector must not be empty: it decides which Machines the set owns',
        fix: `set spec.selector.matchLabels (leave it out on create to default it to ${Labels.setName}: <name>)`,
      },
    ];
  }
  if (matchesSelector(templateLabels, sel.selector)) return [];
  return [
    {
      field: 'spec.template.metadata.labels',
      type: 'Invalid',
      rule: `${show(templateLabels)} must match spec.selector ${show(selectorToString(sel.selector))}: otherwise the set never sees the Machines it creates and creates more without end`,
      fix: 'add every spec.selector.matchLabels entry to spec.template.metadata.labels',
    },
  ];
}

function validateCluster(i: RuleInput): Violation[] {
  const spec = obj(i.object.spec);
  const out: Violation[] = [];
  out.push(...refNamespace(spec?.infrastructureRef, 'spec.infrastructureRef', i.namespace));
  out.push(...refNamespace(spec?.controlPlaneRef, 'spec.controlPlaneRef', i.namespace));
  const oldSpec = obj(i.oldObject?.spec);
  for (const refName of ['infrastructureRef', 'controlPlaneRef'] as const) {
    const was = obj(oldSpec?.[refName]);
    const now = obj(spec?.[refName]);
    if (!was || !str(was.name)) continue;
    const group = (r: JsonObject | undefined) => (str(r?.apiVersion) ?? '').split('/')[0];
    const changed =
      !now || str(was.kind) !== str(now.kind) || str(was.name) !== str(now.name) || group(was) !== group(now);
    if (changed) {
      out.push({
        field: `spec.${refName}`,
        type: 'Immutable',
        rule: `cannot be changed once set (was ${show(`${str(was.kind)}/${str(was.name)}`)}); only its apiVersion may move to another version of the same group`,
        fix: 'keep the reference; to use other infrastructure, create a new Cluster',
      });
    }
  }
  return out;
}

function validateMachine(i: RuleInput): Violation[] {
  return [...clusterNameImmutable(i), ...machineSpecRules(obj(i.object.spec), 'spec', i, false)];
}

function deletePolicy(i: RuleInput, path: string, v: unknown): Violation[] {
  if (v === undefined || (typeof v === 'string' && (DeletePolicies as readonly string[]).includes(v))) return [];
  return [
    {
      field: path,
      type: 'Unsupported',
      rule: `${show(v)}: supported values: ${DeletePolicies.map((p) => show(p)).join(', ')}`,
      fix: `use one of them (Random when unset) to choose which Machines go first on scale down of ${i.kind}`,
    },
  ];
}

function namingStrategy(spec: JsonObject): Violation[] {
  const t = str(obj(spec.machineNamingStrategy)?.template);
  if (t === undefined) return [];
  const unknown = [...t.matchAll(/\{\{\s*\.([^\s}]*)\s*\}\}/g)]
    .map((m) => m[1]!)
    .filter((k) => !['cluster.name', 'machineSet.name', 'random'].includes(k));
  if (unknown.length)
    return [
      {
        field: 'spec.machineNamingStrategy.template',
        type: 'Invalid',
        rule: `${show(t)} uses ${unknown.map((k) => `{{ .${k} }}`).join(', ')}, which is not a variable`,
        fix: 'use only {{ .cluster.name }}, {{ .machineSet.name }} and {{ .random }}',
      },
    ];
  if (/\{\{\s*\.random\s*\}\}/.test(t)) return [];
  return [
    {
      field: 'spec.machineNamingStrategy.template',
      type: 'Invalid',
      rule: `${show(t)} must contain {{ .random }}, or two Machines could get the same name`,
      fix: 'include {{ .random }}, e.g. "{{ .machineSet.name }}-{{ .random }}"',
    },
  ];
}

function validateMachineSet(i: RuleInput): Violation[] {
  const spec = obj(i.object.spec) ?? {};
  return [
    ...clusterNameImmutable(i),
    ...selectorMatchesTemplate(i),
    ...deletePolicy(i, 'spec.deletePolicy', spec.deletePolicy),
    ...namingStrategy(spec),
    ...machineSpecRules(obj(obj(spec.template)?.spec), 'spec.template.spec', i, true),
  ];
}

/** An int, or a percentage string such as "25%" (intstr.GetScaledValueFromIntOrPercent). */
function intOrPercent(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0;
  return typeof v === 'string' && /^\d+%$/.test(v);
}

function validateMachineDeployment(i: RuleInput): Violation[] {
  const spec = obj(i.object.spec) ?? {};
  const strategy = obj(spec.strategy);
  const ru = obj(strategy?.rollingUpdate);
  const out = [
    ...clusterNameImmutable(i),
    ...selectorMatchesTemplate(i),
    ...deletePolicy(i, 'spec.strategy.rollingUpdate.deletePolicy', ru?.deletePolicy),
    ...namingStrategy(spec),
    ...machineSpecRules(obj(obj(spec.template)?.spec), 'spec.template.spec', i, true),
  ];
  for (const f of ['maxSurge', 'maxUnavailable']) {
    if (ru?.[f] !== undefined && !intOrPercent(ru[f])) {
      out.push({
        field: `spec.strategy.rollingUpdate.${f}`,
        type: 'Invalid',
        rule: `${show(ru[f])} must be a non-negative integer or a percentage`,
        fix: 'use a number of machines such as 1, or a share such as "25%"',
      });
    }
  }
  if (ru && ru.maxSurge === 0 && ru.maxUnavailable === 0) {
    out.push({
      field: 'spec.strategy.rollingUpdate',
      type: 'Invalid',
      rule: 'maxSurge and maxUnavailable cannot both be 0: a rollout could never make progress',
      fix: 'allow a surge (maxSurge: 1) or some unavailability (maxUnavailable: 1)',
    });
  }
  return out;
}

function validateMachineHealthCheck(i: RuleInput): Violation[] {
  const spec = obj(i.object.spec) ?? {};
  const out: Violation[] = [...clusterNameImmutable(i)];
  const sel = parseSelector(spec.selector, 'spec.selector');
  const reserved = sel.ok ? reservedLabels(i, sel.selector, false) : [];
  if (!sel.ok) out.push(sel.violation);
  else if (reserved.length) out.push(...reserved);
  else if (
    sel.selector &&
    !Object.keys(sel.selector.matchLabels ?? {}).length &&
    !(sel.selector.matchExpressions ?? []).length
  ) {
    out.push({
      field: 'spec.selector',
      type: 'Required',
      rule: 'must not be empty: an empty selector would health-check (and remediate) every Machine of the cluster',
      fix: `select the Machines to watch, e.g. matchLabels: {${Labels.setName}: <machineset>}`,
    });
  }
  const startup = str(spec.nodeStartupTimeout);
  if (startup !== undefined) {
    const ms = parseDuration(startup);
    if (ms === undefined) {
      out.push({
        field: 'spec.nodeStartupTimeout',
        type: 'Invalid',
        rule: `${show(startup)} is not a duration`,
        fix: 'use a Go duration such as "10m" ("0" disables the check)',
      });
    } else if (ms !== 0 && ms < 30_000) {
      out.push({
        field: 'spec.nodeStartupTimeout',
        type: 'Invalid',
        rule: `${show(startup)} is shorter than the 30s minimum (a Node cannot register that fast)`,
        fix: 'use at least "30s" (the default is "10m"), or "0" to disable the startup check',
      });
    }
  }
  if (spec.maxUnhealthy !== undefined && !intOrPercent(spec.maxUnhealthy)) {
    out.push({
      field: 'spec.maxUnhealthy',
      type: 'Invalid',
      rule: `${show(spec.maxUnhealthy)} must be either an int or a percentage`,
      fix: 'use a number of machines such as 2, or a share such as "40%" (default "100%")',
    });
  }
  const range = str(spec.unhealthyRange);
  const m = range ? /^\[(\d+)-(\d+)\]$/.exec(range) : null;
  if (m && Number(m[1]) > Number(m[2])) {
    out.push({
      field: 'spec.unhealthyRange',
      type: 'Invalid',
      rule: `${show(range)}: the minimum is larger than the maximum`,
      fix: 'write it as "[min-max]" with min ≤ max, e.g. "[1-3]"',
    });
  }
  (Array.isArray(spec.unhealthyConditions) ? spec.unhealthyConditions : []).forEach((c, idx) => {
    const t = str(obj(c)?.timeout);
    if (t !== undefined && parseDuration(t) === undefined) {
      out.push({
        field: `spec.unhealthyConditions[${idx}].timeout`,
        type: 'Invalid',
        rule: `${show(t)} is not a non-negative duration`,
        fix: 'use a Go duration such as "5m"',
      });
    }
  });
  out.push(...refNamespace(spec.remediationTemplate, 'spec.remediationTemplate', i.namespace));
  return out;
}

const VALIDATORS: Record<string, (i: RuleInput) => Violation[]> = {
  [`${CAPI_GROUP}/Cluster`]: validateCluster,
  [`${CAPI_GROUP}/Machine`]: validateMachine,
  [`${CAPI_GROUP}/MachineSet`]: validateMachineSet,
  [`${CAPI_GROUP}/MachineDeployment`]: validateMachineDeployment,
  [`${CAPI_GROUP}/MachineHealthCheck`]: validateMachineHealthCheck,
};

export function validateCoreRules(i: RuleInput): Violation[] {
  const fn = VALIDATORS[`${i.group}/${i.kind}`];
  return fn ? fn(i) : [];
}
