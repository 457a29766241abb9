import { describe, expect, it } from 'vitest';
import { backoffDelayMs, backoffPolicy, toWholeSeconds } from './backoff.ts';
import { seededRandom } from './random.ts';

describe('backoffDelayMs', () => {
  const p = backoffPolicy({ baseMs: 100, maxMs: 1_000, jitter: 0 });
  it('doubles per attempt from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50, 5000].map((a) => backoffDelayMs(a, p))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000, 1000,
    ]);
  });
  it('treats attempt < 1 as the first attempt', () => {
    expect(backoffDelayMs(0, p)).toBe(100);
    expect(backoffDelayMs(-3, p)).toBe(100);
  });
  it('jitter only shortens, by at most the jitter fraction, and is reproducible from a seed', () => {
    const j = backoffPolicy({ baseMs: 1_000, maxMs: 1_000, jitter: 0.5 });
    const r = seededRandom(1);
    const values = Array.from({ length: 200 }, () => backoffDelayMs(3, j, r));
    expect(Math.max(...values)).toBeLessThanOrEqual(1_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(500);
    expect(new Set(values).size).toBeGreaterThan(50);
    const r2 = seededRandom(1);
    expect(Array.from({ length: 200 }, () => backoffDelayMs(3, j, r2))).toEqual(values);
  });
  it('rejects nonsensical policies', () => {
    expect(() => backoffPolicy({ baseMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => backoffPolicy({ jitter: 2 })).toThrow(RangeError);
  });
});

describe('toWholeSeconds', () => {
  it('rounds up (never early) and caps', () => {
    expect(toWholeSeconds(0, 900)).toBe(0);
    expect(toWholeSeconds(1, 900)).toBe(1);
    expect(toWholeSeconds(1000, 900)).toBe(1);
    expect(toWholeSeconds(1001, 900)).toBe(2);
    expect(toWholeSeconds(10_000_000, 900)).toBe(900);
    expect(toWholeSeconds(-5, 900)).toBe(0);
  });
});
