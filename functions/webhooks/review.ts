// The webhook's pure core: one AdmissionReview request in, one response out. `mutate` returns the defaults as a
// base64 JSON Patch; `validate` checks the policy, upstream and schema rules. Never throws on any input once the
// kinds it names are loaded (`loadKind`, shared/api/kind-schemas.ts; http.ts does it): a malformed object is
// something to reject with a reason, not an internal error.
import { CAPI_GROUP, INFRA_GROUP } from '../../shared/api/capi/constants.ts';
import { ownerOf } from '../../shared/api/kind-table.ts';
import { MAX_NESTING, nestsDeeperThan } from '../../shared/api/nesting.ts';
import { CONFIG_GROUP } from '../../shared/api/openshift/constants.ts';
import type { ReviewMode } from '../../shared/api/webhook-paths.ts';
import type { AdmissionRequest, AdmissionResponse } from './admission-review.ts';
import { applyDefaults } from './defaults.ts';
import { type JsonObject, obj, str } from './json.ts';
import { diffPatch } from './json-patch.ts';
import { validateCoreRules } from './validate-core.ts';
import { type OpenShiftFacts, validatePolicy } from './validate-openshift.ts';
import { validateProviderRules } from './validate-providers.ts';
import { validateSchema } from './validate-schema.ts';
import { denial, type Subject, type Violation } from './violation.ts';

export interface ReviewContext {
  /** Present when the cluster has Infrastructure/cluster: the OpenShift rules apply. */
  openshift: OpenShiftFacts | undefined;
}

/** Kinds this webhook owns: everything of the two Cluster API groups, and FeatureGate. */
function inScope(group: string, kind: string): boolean {
  return group === CAPI_GROUP || group === INFRA_GROUP || (group === CONFIG_GROUP && kind === 'FeatureGate');
}

const allow = (uid: string): AdmissionResponse => ({ uid, allowed: true });

function deleting(o: JsonObject | undefined): boolean {
  return Boolean(str(obj(o?.metadata)?.deletionTimestamp));
}

function mutate(req: AdmissionRequest, subject: Subject, namespace: string): AdmissionResponse {
  const object = obj(req.object);
  if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !object || deleting(object)) return allow(req.uid);
  const defaulted = structuredClone(object);
  const violations = applyDefaults({
    group: subject.group,
    kind: subject.kind,
    object: defaulted,
    oldObject: obj(req.oldObject),
    namespace,
  });
  if (violations.length) return denial(req.uid, subject, violations);
  const ops = diffPatch(object, defaulted);
  if (ops.length === 0) return allow(req.uid);
  return {
    uid: req.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
  };
}

/** The rule violations of a stored object, as ratchet keys; none when its shape is beyond the rules. */
function ruleKeys(run: () => Violation[]): string[] {
  try {
    return run().map((v) => `${v.field}\n${v.rule}`);
  } catch {
    return [];
  }
}

function validate(req: AdmissionRequest, ctx: ReviewContext, subject: Subject, namespace: string): AdmissionResponse {
  const object = obj(req.object);
  const oldObject = obj(req.oldObject);
  const base = { group: subject.group, kind: subject.kind, name: subject.name, namespace };
  if (req.operation === 'DELETE') {
    const v = validatePolicy({ ...base, operation: 'DELETE', object: undefined, oldObject, openshift: ctx.openshift });
    return v.length ? denial(req.uid, subject, v) : allow(req.uid);
  }
  if (!object) {
    return denial(req.uid, subject, [
      {
        field: 'request.object',
        type: 'Required',
        rule: `a ${req.operation} review must carry the object`,
        fix: 'send the object being written',
      },
    ]);
  }
  // Once deletion started, writes only finish it (finalizer removal); a rule must never block that.
  if (deleting(object)) return allow(req.uid);
  const rules = (o: JsonObject, old: JsonObject | undefined): Violation[] => [
    ...validatePolicy({ ...base, operation: req.operation, object: o, oldObject: old, openshift: ctx.openshift }),
    ...validateCoreRules({ ...base, object: o, oldObject: old }),
    ...(req.operation === 'CREATE' || req.operation === 'UPDATE'
      ? validateProviderRules({
          ...base,
          operation: req.operation,
          object: o,
          oldObject: old,
          openshift: ctx.openshift,
        })
      : []),
  ];
  const schemaKnown = Boolean(ownerOf(subject.group, subject.kind));
  let violations: Violation[];
  try {
    violations = rules(object, oldObject);
  } catch (e) {
    // The rules read fields with the types the schema guarantees (kube-apiserver checks the schema before any
    // validating webhook): an object that breaks it is answered with the schema's errors below. A rule that
    // throws on a schema-valid object is our bug: a 500 with its log.
    const broken = schemaKnown ? validateSchema(subject.kind, object, undefined) : [];
    if (!broken.length) throw e;
    const ratcheted = validateSchema(subject.kind, object, oldObject);
    const note = 'the other rules cannot be checked until it is corrected';
    return denial(
      req.uid,
      subject,
      ratcheted.length
        ? ratcheted
        : broken.map((v) => ({ ...v, fix: `${v.fix} (the stored object has this error too; ${note})` })),
    );
  }
  if (req.operation === 'UPDATE' && oldObject && violations.length) {
    // Ratcheting, as for the schema: what the stored object already broke (it predates the webhook or a rule)
    // is not held against this update, so a controller adding a finalizer is never blocked by it.
    const before = new Set(ruleKeys(() => rules(oldObject, oldObject)));
    violations = violations.filter((v) => !before.has(`${v.field}\n${v.rule}`));
  }
  if (schemaKnown) {
    const reported = new Set(violations.map((v) => v.field));
    violations.push(...validateSchema(subject.kind, object, oldObject).filter((v) => !reported.has(v.field)));
  }
  if (violations.length) return denial(req.uid, subject, violations);
  const warnings = admissionWarnings(req, subject);
  return warnings.length ? { ...allow(req.uid), warnings } : allow(req.uid);
}

/** Accepted, but the user should know something (kubectl prints these as `Warning: …`). */
export const MACHINE_DEPLOYMENT_WARNING =
  'MachineDeployments are accepted but not reconciled by capi-fn yet: create a MachineSet to get Machines (deleting the Cluster deletes this MachineDeployment)';

function admissionWarnings(req: AdmissionRequest, subject: Subject): string[] {
  if (req.operation === 'CREATE' && subject.group === CAPI_GROUP && subject.kind === 'MachineDeployment')
    return [MACHINE_DEPLOYMENT_WARNING];
  return [];
}

export function review(req: AdmissionRequest, ctx: ReviewContext, mode: ReviewMode): AdmissionResponse {
  const { group, kind } = req.kind;
  if (!inScope(group, kind) || req.operation === 'CONNECT') return allow(req.uid);
  const meta = obj(obj(req.object)?.metadata) ?? obj(obj(req.oldObject)?.metadata);
  const namespace = req.namespace || str(meta?.namespace) || '';
  const name = req.name || str(meta?.name) || str(meta?.generateName) || '';
  const subject: Subject = { group, kind, name };
  // Defaulting and the rules walk the object recursively; an absurdly deep one would overflow the stack (a 500
  // from /mutate), so it is denied first, naming the limit.
  if (nestsDeeperThan(req.object) || nestsDeeperThan(req.oldObject))
    return denial(req.uid, subject, [
      {
        field: 'request.object',
        type: 'Invalid',
        rule: `nests deeper than ${MAX_NESTING} levels`,
        fix: 'Cluster API objects nest a few dozen levels; check what generated this one',
      },
    ]);
  return mode === 'mutate' ? mutate(req, subject, namespace) : validate(req, ctx, subject, namespace);
}
