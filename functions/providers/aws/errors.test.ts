import { describe, expect, it } from 'vitest';
import { describeFailure } from '../kit/errors.ts';
import { classifyAwsError } from './errors.ts';

/** The shape the JS SDK v3 throws: a ServiceException with name = code and $metadata. */
function sdkError(name: string, status: number, message = 'boom'): Error {
  const e = new Error(message) as Error & { $metadata: { httpStatusCode: number }; $fault: string };
  e.name = name;
  e.$metadata = { httpStatusCode: status };
  e.$fault = status >= 500 ? 'server' : 'client';
  return e;
}

function netError(code: string): Error {
  const e = new Error(`getaddrinfo ${code} ec2.xx-bogus-1.amazonaws.com`) as Error & { code: string };
  e.code = code;
  return e;
}

describe('classifyAwsError', () => {
  it.each([
    [sdkError('RequestLimitExceeded', 503), 'throttled', 'RequestLimitExceeded', true],
    [sdkError('ThrottlingException', 400), 'throttled', 'ThrottlingException', true],
    [sdkError('InternalError', 500), 'transient', 'InternalError', false],
    [sdkError('Unavailable', 503), 'transient', 'Unavailable', false],
    [sdkError('InvalidInstanceID.NotFound', 400), 'not-found', 'InvalidInstanceID.NotFound', true],
    [sdkError('InvalidAMIID.NotFound', 400), 'not-found', 'InvalidAMIID.NotFound', true],
    [sdkError('InvalidGroup.NotFound', 400), 'not-found', 'InvalidGroup.NotFound', true],
    [sdkError('NoSuchEntity', 404), 'not-found', 'NoSuchEntity', true],
    [sdkError('InsufficientInstanceCapacity', 500), 'capacity', 'InsufficientInstanceCapacity', true],
    [sdkError('SpotMaxPriceTooLow', 400), 'capacity', 'SpotMaxPriceTooLow', true],
    [sdkError('VcpuLimitExceeded', 400), 'quota', 'VcpuLimitExceeded', true],
    [sdkError('InvalidParameterValue', 400), 'invalid-input', 'InvalidParameterValue', true],
    [sdkError('InvalidAMIID.Malformed', 400), 'invalid-input', 'InvalidAMIID.Malformed', true],
    [sdkError('IdempotentParameterMismatch', 400), 'invalid-input', 'IdempotentParameterMismatch', true],
    [sdkError('SomethingNew', 400), 'invalid-input', 'SomethingNew', true],
    [sdkError('UnauthorizedOperation', 403), 'auth', 'UnauthorizedOperation', true],
    [sdkError('AuthFailure', 401), 'auth', 'AuthFailure', true],
    [sdkError('Error', 500), 'transient', 'HTTP 500', false],
    [netError('ENOTFOUND'), 'transient', 'ENOTFOUND', false],
    [netError('ECONNREFUSED'), 'transient', 'ECONNREFUSED', false],
    [new Error('weird'), 'unknown', 'Error', false],
    ['a string', 'unknown', 'Unknown', false],
  ])('%#: %s', (err, cls, code, definitive) => {
    const c = classifyAwsError(err);
    expect(c.class).toBe(cls);
    expect(c.code).toBe(code);
    expect(c.definitive).toBe(definitive);
  });

  it('finds the network code on a wrapped cause', () => {
    const outer = new Error('request failed', { cause: netError('ETIMEDOUT') });
    expect(classifyAwsError(outer)).toMatchObject({ class: 'transient', code: 'ETIMEDOUT' });
  });

  it('keeps the first line of the message only', () => {
    const e = sdkError('Error', 500, '@aws-sdk XML parse error\n  Deserialization error: …');
    expect(classifyAwsError(e).message).toBe('@aws-sdk XML parse error');
    expect(classifyAwsError(e).httpStatus).toBe(500);
  });
});

describe('in a condition message', () => {
  it('says what failed, the code and what happens next', () => {
    const msg = describeFailure(
      'RunInstances',
      classifyAwsError(sdkError('InsufficientInstanceCapacity', 500, 'no m5.large in us-east-1a')),
      60_000,
      { cloud: 'EC2', kind: 'AWSMachine' },
    );
    expect(msg).toBe(
      'RunInstances failed: InsufficientInstanceCapacity: no m5.large in us-east-1a (EC2 has no capacity for this request in this zone right now); retrying in 60s',
    );
  });
});
