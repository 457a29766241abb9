// Validates objects against their kind's zod schema and reports errors the way the Kubernetes API
// does: the field path, what is wrong, and the allowed values — never silently dropping a field.
import type * as z from 'zod';
import type { KindDefinition } from './kind.ts';

export interface FieldError {
  /** Dotted path with list indexes in brackets, e.g. `spec.template.spec.bootstrap`, `spec.subnets[0].id`. */
  field: string;
  /** `Required value`, `Unsupported value: ...`, `Invalid value: ...`, `unknown field`. */
  message: string;
}

export type ValidationResult<T = unknown> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * A key that a dotted path cannot show unambiguously (holding `.`, brackets or spaces) goes in brackets as
 * kube-apiserver's field paths write map keys (`metadata.labels[a.b/c]`); the empty key is `[""]`, so every
 * error names a field a reader can find.
 */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (String(p) === '') out += '[""]';
    else if (/[.[\]\s]/.test(String(p))) out += `[${String(p)}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/** One zod issue as Kubernetes-style field errors (the issue's input is reported only when parsed with `reportInput`). */
export function describeIssue(issue: z.core.$ZodIssue): FieldError[] {
  const field = fieldPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ field: fieldPath([...issue.path, k]), message: 'unknown field' }));
    case 'invalid_type':
      if (input === undefined) return [{ field, message: 'Required value' }];
      return [{ field, message: `Invalid value: ${show(input)}: must be of type ${typeName(issue.expected)}` }];
    case 'invalid_value':
      if (input === undefined) return [{ field, message: 'Required value' }];
      return [
        {
          field,
          message: `Unsupported value: ${show(input)}: supported values: ${issue.values.map((v) => show(v)).join(', ')}`,
        },
      ];
    case 'too_small':
      return [
        { field, message: `Invalid value: ${show(input)}: ${boundText('at least', issue.origin, issue.minimum)}` },
      ];
    case 'too_big':
      return [
        { field, message: `Invalid value: ${show(input)}: ${boundText('at most', issue.origin, issue.maximum)}` },
      ];
    case 'invalid_format':
      return [{ field, message: `Invalid value: ${show(input)}: ${issue.message}` }];
    case 'invalid_union': {
      // int-or-string and similar: when no alternative accepted the type, name the types that are accepted.
      const firsts = issue.errors.map((branch) => branch[0]);
      if (firsts.length && firsts.every((i) => i?.code === 'invalid_type' && i.path.length === 0)) {
        const types = [...new Set(firsts.map((i) => typeName((i as z.core.$ZodIssueInvalidType).expected)))];
        return [{ field, message: `Invalid value: ${show(input)}: must be of type ${types.join(' or ')}` }];
      }
      return [{ field, message: `Invalid value: ${show(input)}: ${issue.message}` }];
    }
    default:
      return [{ field, message: issue.message }];
  }
}

function typeName(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

function boundText(word: string, origin: string, bound: unknown): string {
  const n = String(bound);
  if (origin === 'string') return `must be ${word} ${n} characters long`;
  if (origin === 'array') return `must have ${word} ${n} items`;
  return `must be ${word === 'at least' ? 'greater than or equal to' : 'less than or equal to'} ${n}`;
}

export function validateWith<S extends z.ZodType>(schema: S, obj: unknown): ValidationResult<z.infer<S>> {
  const r = schema.safeParse(obj, { reportInput: true });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.flatMap(describeIssue) };
}

/** How a validation finds a kind's definition by group and kind (the registry, or the kinds loaded so far). */
export type FindKind = (group: string, kind: string) => KindDefinition | undefined;

/** Validates a whole object by its apiVersion and kind against the kind `find` gives. */
export function validateKindObject(obj: unknown, find: FindKind): ValidationResult {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: [{ field: '(object)', message: 'Invalid value: must be a JSON object' }] };
  }
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || !apiVersion)
    return { ok: false, errors: [{ field: 'apiVersion', message: 'Required value' }] };
  if (typeof kind !== 'string' || !kind) return { ok: false, errors: [{ field: 'kind', message: 'Required value' }] };
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const def = find(group, kind);
  const served = def?.versions.find((v) => v.name === version && v.served !== false);
  if (!served) {
    const message = def
      ? `Unsupported value: ${show(apiVersion)}: supported values: ${def.versions.map((v) => show(`${def.group}/${v.name}`)).join(', ')}`
      : `Invalid value: ${show(`${apiVersion}, Kind=${kind}`)}: not a kind capi-fn serves`;
    return { ok: false, errors: [{ field: def ? 'apiVersion' : 'kind', message }] };
  }
  return validateWith(served.schema, obj);
}

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join(', ');
}
