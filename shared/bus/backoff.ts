// Retry spacing shared by every adapter: exponential growth with a cap and jitter, so a burst of
// failures (an API server restart, a cloud throttle) does not come back as one synchronized wave.

export interface BackoffPolicy {
  /** Delay before the second attempt. */
  baseMs: number;
  /** Ceiling for any single delay. */
  maxMs: number;
  /** Fraction (0..1) of the delay that is randomised away: 0 = deterministic, 1 = full jitter. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 60_000, jitter: 0.2 };

export function backoffPolicy(p: Partial<BackoffPolicy> | undefined, defaults: BackoffPolicy = DEFAULT_BACKOFF) {
  const merged: BackoffPolicy = { ...defaults, ...p };
  if (!(merged.baseMs >= 0) || !(merged.maxMs >= merged.baseMs) || !(merged.jitter >= 0 && merged.jitter <= 1)) {
    throw new RangeError(`invalid backoff policy ${JSON.stringify(merged)}`);
  }
  return merged;
}

/**
 * Delay after the `attempt`-th failed delivery (1-based): base·2^(attempt-1), capped at max, then
 * reduced by up to `jitter` of itself. `random` returns [0,1); inject a seeded one for reproducibility.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^n overflows to Infinity long before it matters; the cap keeps the result finite.
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1));
  return Math.max(0, Math.round(raw - raw * policy.jitter * random()));
}

/** Platforms that count delays in whole seconds (SQS, Azure queues, Pub/Sub ack deadlines) round up, never early. */
export function toWholeSeconds(ms: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.max(0, Math.ceil(ms / 1000)));
}
