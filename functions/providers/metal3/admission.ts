// The Metal3 provider's admission rules: what capi-fn cannot do or CAPM3's own webhook refuses is refused at
// admission, naming the field — a Metal3DataTemplate (capi-fn renders no metadata or network data; the
// Secrets can be given directly), an image without a URL or checksum when no customDeploy is set, a
// hostSelector operator no label selector knows (it would match no host, silently), and a template that names
// one host (providerID is set by capi-fn after the claim).

import { recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec, str } from '../kit/plan.ts';

/** The operators CAPM3 lower-cases and hands to a label selector. */
export const HOST_SELECTOR_OPERATORS = ['in', 'notin', 'exists', '!', 'doesnotexist', '=', '==', '!=', 'gt', 'lt'];

function specRules(spec: Record<string, unknown> | undefined, at: string): ProviderViolation[] {
  const out: ProviderViolation[] = [];
  if (rec(spec?.dataTemplate))
    out.push({
      field: `${at}.dataTemplate`,
      type: 'Forbidden',
      rule: 'Metal3DataTemplate rendering is not supported by capi-fn',
      fix: `give the rendered Secrets in ${at}.metaData and ${at}.networkData instead`,
    });
  const image = rec(spec?.image);
  if (!str(rec(spec?.customDeploy)?.method)) {
    if (!str(image?.url))
      out.push({
        field: `${at}.image.url`,
        type: 'Required',
        rule: 'an image URL is required when customDeploy.method is not set',
        fix: `set ${at}.customDeploy.method (install_coreos on OpenShift) or ${at}.image.url and checksum`,
      });
    else if (!str(image?.checksum) && image?.format !== 'live-iso')
      out.push({
        field: `${at}.image.checksum`,
        type: 'Required',
        rule: 'an image checksum is required (except for format live-iso)',
        fix: `set ${at}.image.checksum (a URL or the hash) and checksumType`,
      });
  }
  const exprs = rec(spec?.hostSelector)?.matchExpressions;
  for (const [i, e] of (Array.isArray(exprs) ? exprs : []).entries()) {
    const op = str(rec(e)?.operator) ?? '';
    if (!HOST_SELECTOR_OPERATORS.includes(op.toLowerCase()))
      out.push({
        field: `${at}.hostSelector.matchExpressions[${i}].operator`,
        type: 'Unsupported',
        rule: `"${op}" is not a label-selector operator, so it would match no host`,
        fix: `use one of ${HOST_SELECTOR_OPERATORS.join(', ')}`,
      });
  }
  return out;
}

export function metal3MachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], {
      noun: 'host',
      how: 'after the claim',
      fix: 'choose hosts with hostSelector',
    }),
    ...specRules(spec, 'spec.template.spec'),
  ];
}

export function metal3MachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'host', fix: 'delete the Machine to move it to another host' }),
    ...specRules(rec(i.object.spec), 'spec'),
  ];
}
