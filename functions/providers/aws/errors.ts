// What an EC2 error means, in the kit's taxonomy (reference §6.2, §6.5). The JS SDK v3 puts the EC2
// code in `err.name` and the HTTP status in `err.$metadata.httpStatusCode`; network failures carry a
// Node `code` (ECONNREFUSED, ENOTFOUND …).
import type { ClassifiedError, ErrorClass } from '../kit/errors.ts';

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

export function classifyAwsError(err: unknown): ClassifiedError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const net = networkCode(e);
  const code =
    name && !GENERIC_NAMES.has(name) ? name : (net ?? (status !== undefined ? `HTTP ${status}` : name || 'Unknown'));
  const message = (typeof e.message === 'string' ? e.message : String(err)).split('\n')[0]!.slice(0, 300);
  const clientError = status !== undefined && status >= 400 && status < 500;

  let cls: ErrorClass;
  if (THROTTLING.has(code) || status === 429) cls = 'throttled';
  else if (CAPACITY.has(code)) cls = 'capacity';
  else if (QUOTA.has(code)) cls = 'quota';
  else if (AUTH.has(code) || status === 401 || status === 403) cls = 'auth';
  else if (code.endsWith('.NotFound') || code === 'NoSuchEntity') cls = 'not-found';
  else if (INVALID.has(code) || code.endsWith('.Malformed')) cls = 'invalid-input';
  else if (TRANSIENT.has(code) || net !== undefined || (status !== undefined && status >= 500)) cls = 'transient';
  else if (clientError) cls = 'invalid-input';
  else cls = 'unknown';

  const out: ClassifiedError = {
    class: cls,
    code,
    message,
    // A throttled, rejected or capacity-refused request did nothing. A 5xx such as InternalError, or a
    // connection lost mid-request, may have launched an instance all the same (why ClientToken exists).
    definitive: clientError || cls === 'throttled' || cls === 'capacity' || cls === 'quota',
  };
  if (status !== undefined) out.httpStatus = status;
  return out;
}
