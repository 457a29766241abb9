// What an ARM error means, in the kit's taxonomy (reference §6.4). The SDKs throw a RestError with the HTTP status
// and ARM's `error.code`; `Retry-After` rides on the response; a failed long-running operation is an
// OperationFailedError with the operation's code; @azure/identity throws AuthenticationError or
// CredentialUnavailableError when there is no token to be had.
import type { ClassifiedError, ErrorClass } from '../kit/errors.ts';
import { OperationFailedError } from './client.ts';

/** What @azure/identity throws when there is no token to be had (a wrong secret is AuthenticationRequiredError). */
const AUTH_ERRORS = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
]);

/** The header ERROR_TARGET_POLICY (client.ts) copies ARM's `error.target` into: the SDK's RestError drops the body. */
export const ERROR_TARGET_HEADER = 'x-capi-fn-arm-error-target';

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

const BY_CODE: Record<string, ErrorClass> = {
  ResourceNotFound: 'not-found',
  NotFound: 'not-found',
  ResourceGroupNotFound: 'not-found',
  ParentResourceNotFound: 'not-found',
  ImageNotFound: 'not-found',
  PlatformImageNotFound: 'not-found',
  GalleryImageNotFound: 'not-found',
  SubscriptionNotFound: 'auth',
  Conflict: 'conflict',
  AnotherOperationInProgress: 'conflict',
  NicInUse: 'conflict',
  NicReservedForAnotherVm: 'conflict',
  RetryableErrorDueToAnotherOperation: 'throttled',
  TooManyRequests: 'throttled',
  ResourceQuotaExceeded: 'quota',
  QuotaExceeded: 'quota',
  AllocationFailed: 'capacity',
  ZonalAllocationFailed: 'capacity',
  OverconstrainedAllocationRequest: 'capacity',
  OverconstrainedZonalAllocationRequest: 'capacity',
  SkuNotAvailable: 'capacity',
  InvalidParameter: 'invalid-input',
  InvalidRequestContent: 'invalid-input',
  InvalidResourceReference: 'invalid-input',
  InvalidTemplateDeployment: 'invalid-input',
  FailedIdentityOperation: 'invalid-input',
  LocationNotAvailableForResourceType: 'invalid-input',
  MissingApiVersionParameter: 'invalid-input',
  AuthenticationFailed: 'auth',
  InvalidAuthenticationToken: 'auth',
  InvalidAuthenticationTokenTenant: 'auth',
  AuthorizationFailed: 'auth',
  LinkedAuthorizationFailed: 'auth',
  InternalServerError: 'transient',
  InternalExecutionError: 'transient',
  RetryableError: 'transient',
  Canceled: 'transient',
  OperationCanceled: 'transient',
};

function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 3) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK.has(code)) return code;
  return networkCode((e as { cause?: unknown }).cause, depth + 1);
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(v: string | null | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message: string;
  details?: unknown;
  response?: { headers?: { get(n: string): string | undefined }; bodyAsText?: string | null };
}

/** ARM's `error.target` (the field it blames), from the header the client's policy set, the details or the raw body. */
function targetOf(e: RestErrorLike): string | undefined {
  const header = e.response?.headers?.get(ERROR_TARGET_HEADER);
  if (header) return header;
  const fromDetails = (e.details as { error?: { target?: string }; target?: string } | undefined) ?? undefined;
  const t = fromDetails?.error?.target ?? fromDetails?.target;
  if (t) return t;
  try {
    return (JSON.parse(e.response?.bodyAsText ?? '') as { error?: { target?: string } }).error?.target;
  } catch {
    return undefined;
  }
}

function byStatus(status: number): ErrorClass {
  if (status === 429) return 'throttled';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'transient';
  if (status >= 400) return 'invalid-input';
  return 'unknown';
}

function byCode(code: string | undefined, message: string, status: number | undefined): ErrorClass | undefined {
  if (code === 'OperationNotAllowed') {
    // One code, three meanings (§6.4): a quota, a VM being deleted, or a request ARM will not do.
    if (/quota/i.test(message)) return 'quota';
    if (/marked for deletion|being deleted|another operation/i.test(message)) return 'conflict';
    return 'invalid-input';
  }
  if (status === 429) return 'throttled';
  return code ? BY_CODE[code] : undefined;
}

export function classifyAzureError(e: unknown): ClassifiedError {
  if (e instanceof OperationFailedError) {
    const cls = byCode(e.code, e.message, undefined) ?? 'invalid-input';
    return { class: cls, code: e.code, message: e.message.slice(0, 500), definitive: true };
  }
  const err = e as RestErrorLike | undefined;
  const name = err?.name ?? '';
  if (AUTH_ERRORS.has(name)) {
    return { class: 'auth', code: name, message: String(err?.message).split('\n')[0]!.slice(0, 500), definitive: true };
  }
  if (name === 'RestError' && typeof err?.statusCode === 'number') {
    const status = err.statusCode;
    const code = err.code ?? `HTTP ${status}`;
    const cls = byCode(err.code, err.message, status) ?? byStatus(status);
    const after = retryAfterMs(err.response?.headers?.get('retry-after'));
    const field = cls === 'invalid-input' ? targetOf(err) : undefined;
    return {
      class: cls,
      code,
      message: err.message.split('\n')[0]!.slice(0, 500),
      httpStatus: status,
      // A refusal did nothing; a 5xx may have (ARM PUTs are idempotent by name, so a repeat is safe).
      definitive: status < 500,
      ...(after !== undefined && (cls === 'throttled' || status >= 500) ? { retryAfterMs: after } : {}),
      ...(field ? { field } : {}),
    };
  }
  const net = networkCode(e);
  if (net) return { class: 'transient', code: net, message: String(err?.message ?? e), definitive: false };
  return { class: 'unknown', code: name || 'Error', message: String(err?.message ?? e), definitive: false };
}

/** A 404 from ARM: the resource is absent. */
export function isArmNotFound(e: unknown): boolean {
  return (e as RestErrorLike | undefined)?.name === 'RestError' && (e as RestErrorLike).statusCode === 404;
}
