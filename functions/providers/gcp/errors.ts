// What a Compute Engine error means, in the kit's taxonomy (reference §6.3). Google's JSON errors carry the
// HTTP status and `errors[0].reason`; a failed zone operation carries `error.errors[0].code`.
import type { ClassifiedError, ErrorClass } from '../kit/errors.ts';
import { GoogleApiError, OperationError } from './client.ts';

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 3) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK.has(code)) return code;
  return networkCode((e as { cause?: unknown }).cause, depth + 1);
}

function byReason(status: number, reason: string | undefined): ErrorClass {
  switch (reason) {
    case 'notFound':
      return 'not-found';
    case 'alreadyExists':
    case 'resourceInUseByAnotherResource':
      return 'conflict';
    case 'rateLimitExceeded':
    case 'userRateLimitExceeded':
    case 'RESOURCE_EXHAUSTED':
      return 'throttled';
    case 'quotaExceeded':
    case 'QUOTA_EXCEEDED':
      return 'quota';
    case 'insufficientCapacity':
    case 'ZONE_RESOURCE_POOL_EXHAUSTED':
    case 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS':
      return 'capacity';
    case 'forbidden':
    case 'insufficientPermissions':
    case 'authError':
      return 'auth';
    case 'invalid':
    case 'badRequest':
    case 'invalidParameter':
      return 'invalid-input';
    case 'backendError':
    case 'RESOURCE_OPERATION_RATE_EXCEEDED':
      return 'transient';
  }
  if (status === 429) return 'throttled';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'transient';
  if (status >= 400) return 'invalid-input';
  return 'unknown';
}

export function classifyGcpError(e: unknown): ClassifiedError {
  if (e instanceof GoogleApiError) {
    const cls = byReason(e.status, e.reason);
    return {
      class: cls,
      code: e.reason ?? `HTTP ${e.status}`,
      message: e.message.split('\n')[0]!.slice(0, 300),
      httpStatus: e.status,
      // A client error or a refusal did nothing; a 5xx may have (the requestId makes a repeat safe).
      definitive: e.status < 500,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  if (e instanceof OperationError) {
    // A failed insert leaves no instance (reference §8): definitive.
    const cls = byReason(e.status ?? 400, e.code);
    return { class: cls === 'unknown' ? 'invalid-input' : cls, code: e.code, message: e.message, definitive: true };
  }
  const net = networkCode(e);
  if (net) return { class: 'transient', code: net, message: String((e as Error).message ?? e), definitive: false };
  return {
    class: 'unknown',
    code: (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
    definitive: false,
  };
}
