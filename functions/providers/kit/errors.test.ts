import { describe, expect, it } from 'vitest';
import { describeFailure, reasonFromCode, retryDelayFor, severityOf } from './errors.ts';

describe('retry policy', () => {
  const p = { badInputRetryMs: 1234 };
  const d = (cls: Parameters<typeof retryDelayFor>[0]['class'], retryAfterMs?: number) =>
    retryDelayFor(retryAfterMs === undefined ? { class: cls } : { class: cls, retryAfterMs }, p);

  it('waits for the user on bad input and longer on quota than on throttling', () => {
    expect(d('invalid-input')).toBe(1234);
    expect(d('not-found')).toBe(1234);
    expect(d('quota')).toBeGreaterThan(d('capacity'));
    expect(d('capacity')).toBeGreaterThan(d('throttled'));
  });

  it('honours the delay the cloud asked for (Retry-After)', () => {
    expect(d('throttled', 42_000)).toBe(42_000);
  });

  it('calls passing trouble a Warning and what needs a person an Error', () => {
    expect(severityOf('throttled')).toBe('Warning');
    expect(severityOf('transient')).toBe('Warning');
    expect(severityOf('quota')).toBe('Error');
    expect(severityOf('auth')).toBe('Error');
  });
});

describe('describeFailure', () => {
  it('names the field the cloud blamed', () => {
    const msg = describeFailure(
      'creating the instance',
      { class: 'invalid-input', code: 'InvalidParameter', message: 'bad size', definitive: true, field: 'spec.vmSize' },
      30_000,
      { cloud: 'Azure', kind: 'AzureMachine' },
    );
    expect(msg).toBe(
      'creating the instance failed: InvalidParameter: bad size [spec.vmSize] (Azure rejected the request; fix the AzureMachine spec (or its template and recreate the machine)); retrying in 30s',
    );
  });

  it('turns a code into a condition reason', () => {
    expect(reasonFromCode('InvalidVpcID.NotFound')).toBe('InvalidVpcID.NotFound');
    expect(reasonFromCode('HTTP 500')).toBe('HTTP500');
  });
});
