// The ARM error classes (reference §6.4), from errors shaped as the SDKs throw them.
import { describe, expect, it } from 'vitest';
import { OperationFailedError } from './client.ts';
import { classifyAzureError, ERROR_TARGET_HEADER, retryAfterMs } from './errors.ts';

/** A RestError as @azure/arm-* throw it: name, code, statusCode, and the response headers. */
function restError(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), {
    name: 'RestError',
    code,
    statusCode,
    response: { headers: { get: (n: string) => headers[n.toLowerCase()] } },
  });
}

describe('classifyAzureError', () => {
  it.each([
    [429, 'TooManyRequests', 'slow down', 'throttled'],
    [429, 'RetryableErrorDueToAnotherOperation', 'busy', 'throttled'],
    [404, 'ResourceNotFound', 'gone', 'not-found'],
    [404, 'ResourceGroupNotFound', 'no group', 'not-found'],
    [409, 'AnotherOperationInProgress', 'busy', 'conflict'],
    [400, 'NicInUse', 'in use', 'conflict'],
    [400, 'NicReservedForAnotherVm', 'reserved for 180 s', 'conflict'],
    [
      409,
      'OperationNotAllowed',
      'Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota.',
      'quota',
    ],
    [409, 'OperationNotAllowed', 'Operation on VM is not allowed: the VM is marked for deletion.', 'conflict'],
    [409, 'OperationNotAllowed', 'Changing property osDisk.name is not allowed.', 'invalid-input'],
    [409, 'SkuNotAvailable', 'not available in location', 'capacity'],
    [400, 'InvalidParameter', 'bad size', 'invalid-input'],
    [401, 'InvalidAuthenticationToken', 'bad token', 'auth'],
    [403, 'AuthorizationFailed', 'no role', 'auth'],
    [500, 'InternalServerError', 'oops', 'transient'],
    [503, 'ServiceUnavailable', 'later', 'transient'],
  ])('%i %s → %s', (status, code, message, cls) => {
    expect(classifyAzureError(restError(status, code, message)).class).toBe(cls);
  });

  it('a refusal is definitive, a 5xx is not; Retry-After and the blamed field are kept', () => {
    expect(classifyAzureError(restError(429, 'TooManyRequests', 'x', { 'retry-after': '17' }))).toMatchObject({
      definitive: true,
      retryAfterMs: 17_000,
    });
    expect(classifyAzureError(restError(500, 'InternalServerError', 'x')).definitive).toBe(false);
    expect(
      classifyAzureError(
        restError(400, 'InvalidParameter', 'bad', { [ERROR_TARGET_HEADER]: 'hardwareProfile.vmSize' }),
      ),
    ).toMatchObject({ class: 'invalid-input', field: 'hardwareProfile.vmSize' });
  });

  it('a failed operation keeps its code; identity and network errors; anything else is unknown', () => {
    expect(
      classifyAzureError(new OperationFailedError('ZonalAllocationFailed', 'no capacity in zone 2')),
    ).toMatchObject({
      class: 'capacity',
      code: 'ZonalAllocationFailed',
      definitive: true,
    });
    expect(
      classifyAzureError(Object.assign(new Error('AADSTS7000215'), { name: 'AuthenticationRequiredError' })).class,
    ).toBe('auth');
    expect(classifyAzureError(Object.assign(new Error('no env'), { name: 'CredentialUnavailableError' })).class).toBe(
      'auth',
    );
    expect(
      classifyAzureError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })),
    ).toMatchObject({
      class: 'transient',
      code: 'ECONNREFUSED',
      definitive: false,
    });
    expect(classifyAzureError(new TypeError('x is undefined')).class).toBe('unknown');
  });
});

describe('retryAfterMs', () => {
  it('reads seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
