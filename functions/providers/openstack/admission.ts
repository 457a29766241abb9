// The OpenStack provider's admission rules: what Nova or Neutron would refuse is refused at admission, naming the
// field (request.ts specProblems); a template cannot name one server (providerID is set by capi-fn after the
// create); an OpenStackMachine's recorded providerID does not change.
import type { OpenStackMachineSpec } from '../../../shared/api/providers/openstack.ts';
import { recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec } from '../kit/plan.ts';
import { specProblems } from './request.ts';

function specRules(spec: Record<string, unknown> | undefined, at: string): ProviderViolation[] {
  return specProblems((spec ?? {}) as Partial<OpenStackMachineSpec>, at).map((p) => ({
    field: p.field,
    type: 'Invalid' as const,
    rule: p.rule,
    fix: p.fix,
  }));
}

export function openstackMachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], { noun: 'server', how: 'after the server is created' }),
    ...specRules(spec, 'spec.template.spec'),
  ];
}

export function openstackMachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'server', fix: 'delete the Machine to replace its server' }),
    ...specRules(rec(i.object.spec), 'spec'),
  ];
}
