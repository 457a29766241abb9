// The vSphere provider's admission rules: what capi-fn cannot honour or vCenter would refuse is refused at
// admission, naming the field (request.ts specProblems); a template cannot name one VM (providerID is the VM's
// BIOS UUID, set by capi-fn after the clone); a VSphereMachine's recorded providerID does not change.
import type { VSphereMachineSpec } from '../../../shared/api/providers/vsphere.ts';
import { recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec } from '../kit/plan.ts';
import { specProblems } from './request.ts';

function specRules(spec: Record<string, unknown> | undefined, at: string): ProviderViolation[] {
  return specProblems((spec ?? {}) as Partial<VSphereMachineSpec>, at).map((p) => ({
    field: p.field,
    type: p.rule.includes('not supported') ? ('Unsupported' as const) : ('Invalid' as const),
    rule: p.rule,
    fix: p.fix,
  }));
}

export function vsphereMachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], { noun: 'VM', how: 'after the clone' }),
    ...specRules(spec, 'spec.template.spec'),
  ];
}

export function vsphereMachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'VM', fix: 'delete the Machine to replace its VM' }),
    ...specRules(rec(i.object.spec), 'spec'),
  ];
}
