// A rejected rule, said the way users need it: which field, what the rule is, and what to do about it.
import type { AdmissionResponse, StatusCause } from './admission-review.ts';

export type ViolationType = 'Required' | 'Invalid' | 'Unsupported' | 'Forbidden' | 'Immutable';

export interface Violation {
  /** Dotted path, e.g. `spec.template.spec.bootstrap`, `metadata.namespace`. */
  field: string;
  type: ViolationType;
  /** What is wrong, naming the rule (e.g. `field is immutable once set (was "a", now "b")`). */
  rule: string;
  /** What to do instead (e.g. `create a new MachineSet for the other cluster`). */
  fix: string;
}

const TYPE_TEXT: Record<ViolationType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  Unsupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  Immutable: 'Forbidden',
};

const CAUSE: Record<ViolationType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Unsupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  Immutable: 'FieldValueForbidden',
};

export function violationText(v: Violation): string {
  return `${v.field}: ${TYPE_TEXT[v.type]}: ${v.rule}; ${v.fix}`;
}

export function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

export interface Subject {
  group: string;
  kind: string;
  name: string;
}

/**
 * The denial for `violations`, shaped like an API server's validation error: `Kind.group "name" is invalid: …`
 * (or `is forbidden:` when every violation is a policy), one entry per violation, with field causes.
 */
export function denial(uid: string, subject: Subject, violations: Violation[]): AdmissionResponse {
  const forbidden = violations.every((v) => v.type === 'Forbidden');
  const gk = subject.group ? `${subject.kind}.${subject.group}` : subject.kind;
  const texts = violations.map(violationText);
  const body = texts.length === 1 ? texts[0] : `[${texts.join('; ')}]`;
  // Worded as the API server words causes: the field apart (kubectl prints `field: message` from them).
  const causes: StatusCause[] = violations.map((v) => ({
    reason: CAUSE[v.type],
    message: `${TYPE_TEXT[v.type]}: ${v.rule}; ${v.fix}`,
    field: v.field,
  }));
  return {
    uid,
    allowed: false,
    status: {
      code: forbidden ? 403 : 422,
      reason: forbidden ? 'Forbidden' : 'Invalid',
      message: `${gk} "${subject.name}" is ${forbidden ? 'forbidden' : 'invalid'}: ${body}`,
      details: { name: subject.name, group: subject.group, kind: subject.kind, causes },
    },
  };
}
