// Admission rules every provider with a recorded instance identity shares: a template makes many machines and
// names no instance, and an infrastructure machine's recorded instance does not change. Plus the `*`-glob
// allow-lists providers use for identities a machine may assume (instance profiles, service accounts).
import type { ProviderRuleInput, ProviderViolation } from './module.ts';
import { rec, str } from './plan.ts';

/** `spec.template.spec` of a machine template under review. */
export function templateSpecOf(i: ProviderRuleInput): Record<string, unknown> | undefined {
  return rec(rec(rec(i.object.spec)?.template)?.spec);
}

/** The template names none of `fields` (capi-fn records them after a create, `how`). */
export function templateNamesNoInstance(
  spec: Record<string, unknown> | undefined,
  fields: string[],
  o: { noun: string; how: string; fix?: string },
): ProviderViolation[] {
  return fields
    .filter((f) => str(spec?.[f]))
    .map((f) => ({
      field: `spec.template.spec.${f}`,
      type: 'Forbidden' as const,
      rule: `a template makes many machines and cannot name one ${o.noun} (capi-fn sets ${f} ${o.how})`,
      fix: `remove spec.template.spec.${f}${o.fix ? `; ${o.fix}` : ''}`,
    }));
}

/** On UPDATE, `spec.<field>` once recorded stays what it was. */
export function recordedIsImmutable(
  i: ProviderRuleInput,
  field: string,
  o: { noun: string; fix: string },
): ProviderViolation[] {
  const before = str(rec(i.oldObject?.spec)?.[field]);
  if (i.operation !== 'UPDATE' || !before || str(rec(i.object.spec)?.[field]) === before) return [];
  return [
    {
      field: `spec.${field}`,
      type: 'Immutable',
      rule: `the ${o.noun} is recorded as ${before} and cannot change`,
      fix: o.fix,
    },
  ];
}

/** Whether `name` matches one of the `*` globs. */
export function globMatches(name: string, globs: string[]): boolean {
  return globs.some((g) =>
    new RegExp(
      `^${g
        .split('*')
        .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name),
  );
}
