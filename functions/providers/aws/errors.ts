// What an EC2 error means for a stateless reconcile (reference §6.2, §6.5). The JS SDK v3 puts the
// EC2 code in `err.name` and the HTTP status in `err.$metadata.httpStatusCode`; network failures carry
// a Node `code` (ECONNREFUSED, ENOTFOUND …). Every class maps to "requeue after" plus the words a
// condition shows: what failed, the AWS code, and what happens next.

export type AwsErrorClass =
  | 'throttling'
  | 'transient'
  | 'not-found'
  | 'capacity'
  | 'quota'
  | 'invalid-input'
  | 'auth'
  | 'unknown';

export interface ClassifiedAwsError {
  class: AwsErrorClass;
  /** The AWS error code, else the network error code, else `HTTP <status>`, else the error's name. */
  code: string;
  message: string;
  httpStatus?: number;
  /**
   * True when the request certainly had no effect (the service answered with a client error or
   * throttled it). A 5xx or a lost connection may have launched an instance all the same.
   */
  definitive: boolean;
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'EC2ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
  'SlowDown',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'TransactionInProgressException',
]);
const TRANSIENT = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacityOnHost',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'ReservationCapacityExceeded',
]);
const QUOTA = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'VolumeLimitExceeded',
  'MaxIOPSLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
  'AddressLimitExceeded',
  'NetworkInterfaceLimitExceeded',
]);
const INVALID = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'InvalidAMIID.Malformed',
  'InvalidAMIID.Unavailable',
  'InvalidInstanceType',
  'Unsupported',
  'UnsupportedOperation',
  'InvalidBlockDeviceMapping',
  'IdempotentParameterMismatch',
  'InvalidUserData.Malformed',
  'InvalidKeyPair.NotFound',
  'InvalidPlacementGroup.Unknown',
  'InvalidCapacityReservationId.NotFound',
  'InvalidParameterValueException',
  'ValidationError',
  'ValidationException',
]);
const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'Blocked',
  'OptInRequired',
  'PendingVerification',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'CredentialsProviderError',
]);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const GENERIC_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'Unknown', 'UnknownError']);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

function networkCode(e: SdkErrorShape | undefined, depth = 0): string | undefined {
  if (!e || depth > 3) return undefined;
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return e.code;
  return typeof e.cause === 'object' && e.cause !== null ? networkCode(e.cause as SdkErrorShape, depth + 1) : undefined;
}

export function classifyAwsError(err: unknown): ClassifiedAwsError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const net = networkCode(e);
  const code =
    name && !GENERIC_NAMES.has(name) ? name : (net ?? (status !== undefined ? `HTTP ${status}` : name || 'Unknown'));
  const message = (typeof e.message === 'string' ? e.message : String(err)).split('\n')[0]!.slice(0, 300);
  const clientError = status !== undefined && status >= 400 && status < 500;

  let cls: AwsErrorClass;
  if (THROTTLING.has(code) || status === 429) cls = 'throttling';
  else if (CAPACITY.has(code)) cls = 'capacity';
  else if (QUOTA.has(code)) cls = 'quota';
  else if (AUTH.has(code) || status === 401 || status === 403) cls = 'auth';
  else if (code.endsWith('.NotFound') || code === 'NoSuchEntity') cls = 'not-found';
  else if (INVALID.has(code) || code.endsWith('.Malformed')) cls = 'invalid-input';
  else if (TRANSIENT.has(code) || net !== undefined || (status !== undefined && status >= 500)) cls = 'transient';
  else if (clientError) cls = 'invalid-input';
  else cls = 'unknown';

  const out: ClassifiedAwsError = {
    class: cls,
    code,
    message,
    // A throttled, rejected or capacity-refused request did nothing. A 5xx such as InternalError, or a
    // connection lost mid-request, may have launched an instance all the same (why ClientToken exists).
    definitive: clientError || cls === 'throttling' || cls === 'capacity' || cls === 'quota',
  };
  if (status !== undefined) out.httpStatus = status;
  return out;
}

export interface RetryPolicy {
  /** Delay before looking again when the user (or another team) must fix something. */
  badInputRetryMs: number;
}

/** How long to wait before the next attempt, by class (the SDK has already retried transient ones). */
export function retryDelayFor(cls: AwsErrorClass, policy: RetryPolicy): number {
  switch (cls) {
    case 'throttling':
      return 10_000;
    case 'transient':
      return 15_000;
    case 'not-found':
    case 'invalid-input':
      return policy.badInputRetryMs;
    case 'capacity':
      return 60_000;
    case 'quota':
      return 300_000;
    case 'auth':
      return 120_000;
    default:
      return 30_000;
  }
}

const ADVICE: Record<AwsErrorClass, string> = {
  throttling: 'EC2 is throttling this account',
  transient: 'EC2 or the network failed temporarily',
  'not-found': 'a referenced resource does not exist (yet); fix the reference or create the resource',
  capacity: 'EC2 has no capacity for this request in this zone right now',
  quota: 'an account quota is exhausted; raise the quota or free capacity',
  'invalid-input': 'EC2 rejected the request; fix the AWSMachine spec (or its template and recreate the machine)',
  auth: 'the credentials are missing, wrong or lack permission; fix them',
  unknown: 'unexpected error',
};

/** The condition message: what was called, the AWS code and message, what the handler does next. */
export function describeAwsFailure(op: string, e: ClassifiedAwsError, retryMs: number): string {
  return `${op} failed: ${e.code}: ${e.message} (${ADVICE[e.class]}); retrying in ${Math.round(retryMs / 1000)}s`;
}
