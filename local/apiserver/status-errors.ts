// Kubernetes `Status` errors: every failure a handler can produce is one of these, so clients (kubectl's
// "Error from server (Reason): message", client-node's ApiException) see exactly what a real server sends.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
    };
    if (this.reason) s.reason = this.reason;
    if (this.details && Object.keys(this.details).length > 0) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

/** What a Status names: the resource (plural) qualified by group, e.g. `widgets.example.com`. */
export interface ResourceRef {
  group: string;
  resource: string;
}

export function qualified(r: ResourceRef): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function notFound(r: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, {
    name,
    group: r.group,
    kind: r.resource,
  });
}

export function alreadyExists(r: ResourceRef, name: string, deleting = false): ApiError {
  const msg = `${qualified(r)} "${name}" already exists`;
  return new ApiError(409, 'AlreadyExists', deleting ? `object is being deleted: ${msg}` : msg, {
    name,
    group: r.group,
    kind: r.resource,
  });
}

export function conflict(r: ResourceRef, name: string, why: string, causes?: StatusCause[]): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
    name,
    group: r.group,
    kind: r.resource,
    ...(causes ? { causes } : {}),
  });
}

export const MODIFIED_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function staleConflict(r: ResourceRef, name: string): ApiError {
  return conflict(r, name, MODIFIED_MESSAGE);
}

export function badRequest(message: string, causes?: StatusCause[]): ApiError {
  return new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

export function forbidden(r: ResourceRef, name: string, why: string, causes?: StatusCause[]): ApiError {
  const what = name ? `${qualified(r)} "${name}"` : qualified(r);
  return new ApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, {
    name,
    group: r.group,
    kind: r.resource,
    ...(causes ? { causes } : {}),
  });
}

export function methodNotAllowed(verb: string, resource: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${resource}"`);
}

export function unsupportedMediaType(_contentType: string, accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function internalError(err: unknown): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export function tooManyRequests(message: string, details?: StatusDetails): ApiError {
  return new ApiError(429, 'TooManyRequests', message, details);
}

/** One field error as Kubernetes formats it (`spec.x: Required value`, `spec.a: Unsupported value: ...`). */
export interface FieldError {
  type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueTypeInvalid'
    | 'FieldValueNotFound';
  field: string;
  /** The text after `<field>: `, e.g. `Invalid value: 3: must be less than 2`. */
  detail: string;
}

/** Go's %v-ish rendering of a bad value inside a field error, as `field.Invalid` prints it. */
/** A value printed verbatim in a field error (Go prints some values with %#v, e.g. `0x0`). */
export class RawValue {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export function renderValue(v: unknown): string {
  if (v instanceof RawValue) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(renderValue).join(', ')}}`;
  return `map[string]interface {}{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${JSON.stringify(k)}:${renderValue(x)}`)
    .join(', ')}}`;
}

export const fieldErrors = {
  required: (field: string, detail = ''): FieldError => ({
    type: 'FieldValueRequired',
    field,
    detail: detail ? `Required value: ${detail}` : 'Required value',
  }),
  invalid: (field: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    detail: `Invalid value: ${renderValue(value)}${detail ? `: ${detail}` : ''}`,
  }),
  notSupported: (field: string, value: unknown, supported: unknown[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    detail: `Unsupported value: ${renderValue(value)}${
      supported.length ? `: supported values: ${supported.map((s) => renderValue(s)).join(', ')}` : ''
    }`,
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    type: 'FieldValueForbidden',
    field,
    detail: `Forbidden: ${detail}`,
  }),
  duplicate: (field: string, value: unknown): FieldError => ({
    type: 'FieldValueDuplicate',
    field,
    detail: `Duplicate value: ${renderValue(value)}`,
  }),
  tooLong: (field: string, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    detail: `Too long: may not be more than ${max} bytes`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field,
    detail: `Too many: ${actual}: must have at most ${max} items`,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueTypeInvalid',
    field,
    detail: `Invalid value: ${renderValue(value)}: ${detail}`,
  }),
};

export function fieldErrorText(e: FieldError): string {
  return e.field ? `${e.field}: ${e.detail}` : e.detail;
}

/** 422 Invalid: `<Kind>.<group> "name" is invalid: ...`; details.kind carries the Kind here, not the resource. */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const texts = errs.map(fieldErrorText);
  const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}
