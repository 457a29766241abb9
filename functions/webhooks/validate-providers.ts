// The providers' own admission rules (functions/providers/<p>/index.ts `webhookRules`), run for their kinds.
import { providers } from '../providers/index.ts';
import type { JsonObject } from './json.ts';
import type { OpenShiftFacts } from './validate-openshift.ts';
import type { Violation } from './violation.ts';

const RULES = new Map(providers.flatMap((p) => Object.entries(p.webhookRules ?? {})));

export function validateProviderRules(i: {
  group: string;
  kind: string;
  operation: 'CREATE' | 'UPDATE';
  object: JsonObject;
  oldObject: JsonObject | undefined;
  openshift: OpenShiftFacts | undefined;
  env?: NodeJS.ProcessEnv;
}): Violation[] {
  const rule = RULES.get(`${i.group}/${i.kind}`);
  if (!rule) return [];
  return rule({
    operation: i.operation,
    object: i.object,
    oldObject: i.oldObject,
    infrastructureName: i.openshift?.infrastructureName || undefined,
    env: i.env ?? process.env,
  });
}
