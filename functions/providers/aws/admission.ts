// The AWS provider's admission rules (the audit's confused-deputy finding, defence in depth behind the kit's
// ownership rule and the IAM conditions): a template cannot name one instance; an AWSMachine's instance, once
// recorded, does not change; and an instance profile — which gives the machine an AWS role — must be one the
// deployment allows. An AWSMachine created with `spec.instanceID` (a restore from backup) is admitted: the kit
// adopts the instance only if it carries capi-fn's markers, or the user annotates it to be adopted.
import { globMatches } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';

function rec(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The instance profiles a deployment allows: `CAPI_FN_AWS_INSTANCE_PROFILES` (comma-separated, `*` globs), else
 * OpenShift's own (`<cluster ID>-*`), else any when neither is known (a cluster that is not OpenShift and did not
 * say: the IAM PassRole condition still limits what can be passed).
 */
export function allowedInstanceProfiles(
  i: Pick<ProviderRuleInput, 'env' | 'infrastructureName'>,
): string[] | undefined {
  const listed = i.env.CAPI_FN_AWS_INSTANCE_PROFILES?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (listed?.length) return listed;
  return i.infrastructureName ? [`${i.infrastructureName}-*`] : undefined;
}

function profileRule(
  spec: Record<string, unknown> | undefined,
  path: string,
  i: ProviderRuleInput,
): ProviderViolation[] {
  const profile = str(spec?.iamInstanceProfile);
  const allowed = allowedInstanceProfiles(i);
  if (!profile || !allowed || globMatches(profile, allowed)) return [];
  return [
    {
      field: `${path}.iamInstanceProfile`,
      type: 'Forbidden',
      rule: `instance profile "${profile}" is not one this cluster allows (${allowed.join(', ')}): a profile gives the machine an AWS role`,
      fix: 'use the cluster’s worker profile, or have the deployer add it to CAPI_FN_AWS_INSTANCE_PROFILES',
    },
  ];
}

export function awsMachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = rec(rec(rec(i.object.spec)?.template)?.spec);
  const out: ProviderViolation[] = [];
  for (const field of ['instanceID', 'providerID'] as const) {
    if (str(spec?.[field])) {
      out.push({
        field: `spec.template.spec.${field}`,
        type: 'Forbidden',
        rule: `a template makes many machines and cannot name one instance (${field} is set by capi-fn after a launch)`,
        fix: `remove spec.template.spec.${field}`,
      });
    }
  }
  return [...out, ...profileRule(spec, 'spec.template.spec', i)];
}

export function awsMachineRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = rec(i.object.spec);
  const id = str(spec?.instanceID);
  const before = str(rec(i.oldObject?.spec)?.instanceID);
  const out: ProviderViolation[] = [];
  if (before && id !== before) {
    out.push({
      field: 'spec.instanceID',
      type: 'Immutable',
      rule: `field is immutable once set (was "${before}", now "${id ?? ''}")`,
      fix: 'delete the Machine and let its MachineSet create another',
    });
  }
  return [...out, ...profileRule(spec, 'spec', i)];
}
