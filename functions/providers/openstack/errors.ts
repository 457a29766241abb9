// What an OpenStack error means, in the kit's taxonomy (reference §1.7): 404 not found; 409 a conflict, except
// Neutron's OverQuota; 413/429 over the rate limit (with Retry-After); Nova's 403 "Quota exceeded" a quota;
// 401/other 403 credentials; 400 bad input; 5xx (not 501) transient. A clouds.yaml that cannot be used is auth.
import type { ClassifiedError, ErrorClass } from '../kit/errors.ts';
import { OpenStackApiError } from './client.ts';
import { CloudConfigError } from './clouds.ts';

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

/** The volume a server needs is still being made: nothing was created, look again shortly. */
export class VolumeNotReadyError extends Error {
  readonly volume: string;
  constructor(volume: string, status: string) {
    super(`volume ${volume} is ${status}, waiting until it is available`);
    this.name = 'VolumeNotReady';
    this.volume = volume;
  }
}

/** A port by the machine's deterministic name exists twice, or belongs to another Machine: nothing was created. */
export class PortConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortConflict';
  }
}

/** Node's certificate verification codes (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE` …). */
function tlsCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)
    ? code
    : undefined;
}

function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 3) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK.has(code)) return code;
  return networkCode((e as { cause?: unknown }).cause, depth + 1);
}

function classOf(e: OpenStackApiError): ErrorClass {
  const quota = /quota exceeded|over ?quota|limit exceeded|VolumeLimitExceeded/i.test(`${e.type ?? ''} ${e.message}`);
  if (e.status === 413 || e.status === 429) return quota && e.retryAfterMs === undefined ? 'quota' : 'throttled';
  if (e.status === 404) return 'not-found';
  if (e.status === 409) return quota ? 'quota' : 'conflict';
  if (e.status === 403) return quota ? 'quota' : 'auth';
  if (e.status === 401) return 'auth';
  if (e.status === 501) return 'invalid-input';
  if (e.status >= 500) return /No valid host/i.test(e.message) ? 'capacity' : 'transient';
  if (e.status >= 400) return 'invalid-input';
  return 'unknown';
}

export function classifyOpenStackError(e: unknown): ClassifiedError {
  if (e instanceof OpenStackApiError) {
    const cls = classOf(e);
    return {
      class: cls,
      code: e.type ? `${e.type}` : `HTTP ${e.status}`,
      message: `${e.call}: ${e.message.split('\n')[0]!.slice(0, 300)}`,
      httpStatus: e.status,
      // An answered client error did nothing; a 5xx may have (Nova may have accepted the server).
      definitive: e.status < 500,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  if (e instanceof CloudConfigError)
    return { class: 'auth', code: 'CloudConfig', message: e.message, definitive: true };
  if (e instanceof VolumeNotReadyError)
    return { class: 'conflict', code: 'VolumeNotReady', message: e.message, definitive: true, retryAfterMs: 2_000 };
  const tls = tlsCode(e);
  if (tls)
    return {
      class: 'auth',
      code: tls,
      message: `the TLS certificate was refused (${tls}): give clouds.yaml a cacert (or the Secret a cacert key), or verify: false`,
      definitive: true,
    };
  if (e instanceof PortConflictError)
    return { class: 'conflict', code: 'PortConflict', message: e.message, definitive: true };
  const net = networkCode(e);
  if (net) return { class: 'transient', code: net, message: String((e as Error).message ?? e), definitive: false };
  return {
    class: 'unknown',
    code: (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
    definitive: false,
  };
}
