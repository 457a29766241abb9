// The Azure provider's admission rules: what capi-fn or Azure would refuse is refused at admission, naming the
// field (request.ts specProblems); a template cannot name one VM (providerID is set by capi-fn after the PUT); an
// AzureMachine's recorded providerID does not change.
import type { AzureMachineSpec } from '../../../shared/api/providers/azure.ts';
import { recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec } from '../kit/plan.ts';
import { specProblems } from './request.ts';

function specRules(spec: Record<string, unknown> | undefined, at: string): ProviderViolation[] {
  return specProblems((spec ?? {}) as Partial<AzureMachineSpec>, at).map((p) => ({
    field: p.field,
    type: p.type === 'Unsupported' ? 'Unsupported' : p.type === 'Required' ? 'Required' : 'Invalid',
    rule: p.rule,
    fix: p.fix,
  }));
}

export function azureMachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], { noun: 'VM', how: 'after the VM is created' }),
    ...specRules(spec, 'spec.template.spec'),
  ];
}

export function azureMachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'VM', fix: 'delete the Machine to replace its VM' }),
    ...specRules(rec(i.object.spec), 'spec'),
  ];
}
