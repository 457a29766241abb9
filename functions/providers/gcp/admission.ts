// The GCP provider's admission rules: what Compute Engine would refuse is refused at admission, naming the
// field (request.ts specProblems); a template cannot name one instance (providerID is set by capi-fn after the
// insert); a GCPMachine's recorded providerID does not change; and the service account a machine runs as —
// which gives it a Google identity — must be one the deployment allows.

import type { GCPMachineSpec } from '../../../shared/api/providers/gcp.ts';
import { globMatches, recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec, str } from '../kit/plan.ts';
import { specProblems } from './request.ts';

/**
 * The service accounts a deployment allows: `CAPI_FN_GCP_SERVICE_ACCOUNTS` (comma-separated, `*` globs), else
 * OpenShift's worker and master accounts (`<cluster ID>-w@*`, `<cluster ID>-m@*`), else any when neither is known.
 */
export function allowedServiceAccounts(i: Pick<ProviderRuleInput, 'env' | 'infrastructureName'>): string[] | undefined {
  const listed = i.env.CAPI_FN_GCP_SERVICE_ACCOUNTS?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (listed?.length) return listed;
  return i.infrastructureName ? [`${i.infrastructureName}-w@*`, `${i.infrastructureName}-m@*`] : undefined;
}

function specRules(spec: Record<string, unknown> | undefined, at: string, i: ProviderRuleInput): ProviderViolation[] {
  const out: ProviderViolation[] = specProblems((spec ?? {}) as Partial<GCPMachineSpec>, at).map((p) => ({
    field: p.field,
    type: 'Invalid' as const,
    rule: p.rule,
    fix: p.fix,
  }));
  const email = str(rec(spec?.serviceAccounts)?.email);
  const allowed = allowedServiceAccounts(i);
  if (email && email !== 'default' && allowed && !globMatches(email, allowed))
    out.push({
      field: `${at}.serviceAccounts.email`,
      type: 'Forbidden',
      rule: `service account "${email}" is not one this cluster allows (${allowed.join(', ')}): it gives the machine a Google identity`,
      fix: 'use the cluster’s worker service account, or have the deployer add it to CAPI_FN_GCP_SERVICE_ACCOUNTS',
    });
  return out;
}

export function gcpMachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], { noun: 'instance', how: 'after the insert' }),
    ...specRules(spec, 'spec.template.spec', i),
  ];
}

export function gcpMachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'instance', fix: 'delete the Machine to replace its instance' }),
    ...specRules(rec(i.object.spec), 'spec', i),
  ];
}
