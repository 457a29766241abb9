// Kubernetes API errors, classified the way a reconciler needs to act on them.
import type { ObjectRef } from '../events/resource-event.ts';

export type KubeErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'TooManyRequests'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'ServerTimeout'
  | 'ServiceUnavailable'
  | 'InternalError'
  | 'Transient'
  | 'Unknown';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The `Status` object a Kubernetes API server returns for errors. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
}

export class KubeError extends Error {
  readonly code: number;
  readonly reason: KubeErrorReason;
  readonly status: KubeStatus | undefined;
  readonly causes: StatusCause[];
  readonly retryAfterSeconds: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(opts: {
    code: number;
    reason: KubeErrorReason;
    message: string;
    method: string;
    path: string;
    status?: KubeStatus;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeError';
    this.code = opts.code;
    this.reason = opts.reason;
    this.status = opts.status;
    this.causes = opts.status?.details?.causes ?? [];
    this.retryAfterSeconds = opts.retryAfterSeconds ?? opts.status?.details?.retryAfterSeconds;
    this.method = opts.method;
    this.path = opts.path;
  }

  /** Network failures, 5xx other than 500/501, timeouts and throttling: the same request may succeed later. */
  get transient(): boolean {
    return ['Transient', 'TooManyRequests', 'ServerTimeout', 'Timeout', 'ServiceUnavailable'].includes(this.reason);
  }
}

const reasonByCode: Record<number, KubeErrorReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const knownReasons = new Set<string>([
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Expired',
  'TooManyRequests',
  'Invalid',
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'MethodNotAllowed',
  'UnsupportedMediaType',
  'Timeout',
  'ServerTimeout',
  'ServiceUnavailable',
  'InternalError',
]);

export function reasonFor(code: number, status: KubeStatus | undefined): KubeErrorReason {
  if (status?.reason && knownReasons.has(status.reason)) return status.reason as KubeErrorReason;
  if (code === 409 && status?.reason === 'AlreadyExists') return 'AlreadyExists';
  if (code >= 502 && code <= 504) return code === 504 ? 'Timeout' : 'ServiceUnavailable';
  return reasonByCode[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

function is(err: unknown, ...reasons: KubeErrorReason[]): boolean {
  return err instanceof KubeError && reasons.includes(err.reason);
}

export const isNotFound = (e: unknown) => is(e, 'NotFound');
export const isAlreadyExists = (e: unknown) => is(e, 'AlreadyExists');
export const isConflict = (e: unknown) => is(e, 'Conflict');
export const isGone = (e: unknown) => is(e, 'Gone', 'Expired');
export const isInvalid = (e: unknown) => is(e, 'Invalid');
export const isTooManyRequests = (e: unknown) => is(e, 'TooManyRequests');
export const isUnauthorized = (e: unknown) => is(e, 'Unauthorized');
export const isForbidden = (e: unknown) => is(e, 'Forbidden');
export const isTransient = (e: unknown) => e instanceof KubeError && e.transient;

export function notFoundMessage(ref: Pick<ObjectRef, 'kind' | 'name' | 'namespace'>): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} not found`;
}
