// The zod schemas of the kind registry as admission validation: field-path errors with a fix, ratcheted on
// update (an error the stored object already had is not held against an unrelated change, so a controller
// adding a finalizer is never blocked by a rule the object predates).
import { loadedKind } from '../../shared/api/kind-schemas.ts';
import { type FieldError, validateKindObject } from '../../shared/api/validate.ts';
import { type JsonObject, obj } from './json.ts';
import type { Violation, ViolationType } from './violation.ts';

/** Status is written through its own subresource and never validated here; managedFields are the server's. */
function forValidation(o: JsonObject): JsonObject {
  const { status: _status, ...rest } = o;
  const meta = obj(rest.metadata);
  if (meta && 'managedFields' in meta) {
    const { managedFields: _m, ...m } = meta;
    rest.metadata = m;
  }
  return rest;
}

function toViolation(e: FieldError, kind: string): Violation {
  let type: ViolationType = 'Invalid';
  let fix = 'correct the value';
  if (e.message === 'unknown field') {
    type = 'Invalid';
    const parent = e.field
      .replace(/\[\d+\]/g, '')
      .split('.')
      .slice(0, -1)
      .join('.');
    fix = `remove it; \`kubectl explain ${[kind.toLowerCase(), parent].filter(Boolean).join('.')}\` lists the fields that exist (check its spelling and indentation)`;
  } else if (e.message === 'Required value') {
    type = 'Required';
    fix = `add ${e.field} (\`kubectl explain ${kind.toLowerCase()}.${e.field.replace(/\[\d+\]/g, '')}\` describes it)`;
  } else if (e.message.startsWith('Unsupported value')) {
    type = 'Unsupported';
    fix = 'use one of the supported values';
  }
  const rule = e.message.replace(/^(Invalid value|Unsupported value|Required value): ?/, '') || e.message;
  return { field: e.field, type, rule: rule === 'Required value' ? 'must be set' : rule, fix };
}

function errorsOf(o: JsonObject): FieldError[] {
  const r = validateKindObject(forValidation(o), loadedKind);
  return r.ok ? [] : r.errors;
}

export function validateSchema(kind: string, object: JsonObject, oldObject: JsonObject | undefined): Violation[] {
  const errors = errorsOf(object);
  if (errors.length === 0) return [];
  const old = oldObject ? new Set(errorsOf(oldObject).map((e) => `${e.field}\n${e.message}`)) : new Set<string>();
  return errors.filter((e) => !old.has(`${e.field}\n${e.message}`)).map((e) => toViolation(e, kind));
}
