import { describe, expect, it } from 'vitest';
import {
  CREATE_INTENT_ANNOTATION,
  decideLaunch,
  formatIntent,
  keyFor,
  type LaunchIntent,
  leaseHeld,
  parseIntent,
  releaseAfterRefusal,
} from './intent.ts';

const UID = 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003';
const T0 = new Date('2026-11-23T18:40:06.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('intent annotation', () => {
  it('round-trips with a stable key order', () => {
    const i: LaunchIntent = { startedAt: T0.toISOString(), location: 'us-east-1', attempt: 2, key: `${UID}-2` };
    const s = formatIntent(i);
    expect(s).toBe(`{"key":"${UID}-2","attempt":2,"location":"us-east-1","startedAt":"2026-11-23T18:40:06.000Z"}`);
    expect(parseIntent({ [CREATE_INTENT_ANNOTATION]: s })).toEqual(i);
  });

  it.each<Record<string, string> | undefined>([
    undefined,
    {},
    { [CREATE_INTENT_ANNOTATION]: 'not json' },
    { [CREATE_INTENT_ANNOTATION]: '{"attempt":1}' },
  ])('ignores absent or malformed values %#', (a) => {
    expect(parseIntent(a)).toBeUndefined();
  });

  it('reads what earlier versions wrote: the AWS JSON and the local bare UID', () => {
    const aws = `{"clientToken":"${UID}-2","attempt":2,"region":"us-east-1","startedAt":"2026-11-23T18:40:06.000Z"}`;
    expect(parseIntent({ [CREATE_INTENT_ANNOTATION]: aws })).toEqual({
      key: `${UID}-2`,
      attempt: 2,
      location: 'us-east-1',
      startedAt: '2026-11-23T18:40:06.000Z',
    });
    expect(parseIntent({ [CREATE_INTENT_ANNOTATION]: UID })).toEqual({ key: `${UID}-1`, attempt: 1 });
  });

  it('derives keys from the Machine UID within EC2 limits', () => {
    expect(keyFor(UID, 1)).toBe(`${UID}-1`);
    expect(keyFor(UID, 999).length).toBeLessThanOrEqual(64);
  });
});

describe('decideLaunch', () => {
  const LEASE = 30_000;

  it('claims a first launch with attempt 1', () => {
    expect(decideLaunch(undefined, UID, 'us-east-1', T0, LEASE)).toEqual({
      action: 'claim',
      intent: { key: `${UID}-1`, attempt: 1, location: 'us-east-1', startedAt: T0.toISOString() },
    });
  });

  it('waits while another invocation holds the lease', () => {
    const held = { key: `${UID}-1`, attempt: 1, startedAt: T0.toISOString() };
    expect(decideLaunch(held, UID, 'us-east-1', at(10_000), LEASE)).toEqual({ action: 'wait', waitMs: 20_000 });
  });

  it('completes the same intent (same key) once the lease ran out', () => {
    const held = { key: `${UID}-3`, attempt: 3, startedAt: T0.toISOString() };
    const d = decideLaunch(held, UID, 'us-east-1', at(LEASE), LEASE);
    expect(d).toEqual({
      action: 'claim',
      intent: { key: `${UID}-3`, attempt: 3, location: 'us-east-1', startedAt: at(LEASE).toISOString() },
    });
  });

  it('claims a released intent at once, keeping its new token', () => {
    const released = releaseAfterRefusal(
      { key: `${UID}-1`, attempt: 1, location: 'eu-west-3', startedAt: T0.toISOString() },
      UID,
    );
    expect(released).toEqual({ key: `${UID}-2`, attempt: 2, location: 'eu-west-3' });
    expect(decideLaunch(released, UID, 'eu-west-3', at(1), LEASE)).toMatchObject({
      action: 'claim',
      intent: { key: `${UID}-2`, attempt: 2 },
    });
  });

  it('never reuses a token that belongs to another Machine', () => {
    const foreign = { key: 'other-uid-7', attempt: 7, startedAt: T0.toISOString() };
    expect(decideLaunch(foreign, UID, undefined, at(1), LEASE)).toMatchObject({
      action: 'claim',
      intent: { key: `${UID}-1`, attempt: 1 },
    });
  });

  it('treats a clock that went backwards as an expired lease rather than waiting forever', () => {
    const held = { key: `${UID}-1`, attempt: 1, startedAt: at(60_000).toISOString() };
    expect(decideLaunch(held, UID, undefined, T0, LEASE).action).toBe('claim');
  });
});

describe('leaseHeld', () => {
  it('never holds with a lease of 0 (a cloud that deduplicates by key needs none)', () => {
    expect(leaseHeld({ key: 'x', attempt: 1, startedAt: T0.toISOString() }, at(1), 0)).toBeUndefined();
    expect(
      decideLaunch({ key: `${UID}-1`, attempt: 1, startedAt: T0.toISOString() }, UID, undefined, at(1), 0),
    ).toMatchObject({
      action: 'claim',
    });
  });

  it('reports the time left, or undefined when no launch can be in flight', () => {
    expect(leaseHeld({ key: 'x', attempt: 1, startedAt: T0.toISOString() }, at(5_000), 30_000)).toBe(25_000);
    expect(leaseHeld({ key: 'x', attempt: 1, startedAt: T0.toISOString() }, at(30_000), 30_000)).toBeUndefined();
    expect(leaseHeld({ key: 'x', attempt: 2 }, at(1), 30_000)).toBeUndefined();
    expect(leaseHeld(undefined, at(1), 30_000)).toBeUndefined();
  });
});
