// Pieces every polling consumer (SQS, Pub/Sub pull, Azure queues) shares: a slot counter for bounded
// concurrency, the "a throwing consumer means retry" rule, byte-safe truncation for platform attribute
// limits, and the logging hook.
import type { DeliverFn, DeliveryInfo, DeliveryResult } from './types.ts';

export type BusLogLevel = 'debug' | 'warn' | 'error';
export type BusLog = (level: BusLogLevel, msg: string, fields?: Record<string, unknown>) => void;

export const defaultLog: BusLog = (level, msg, fields) => {
  if (level === 'debug') return;
  process.stderr.write(`${JSON.stringify({ level, component: 'bus', msg, ...fields })}\n`);
};

export async function deliverSafely(deliver: DeliverFn, raw: unknown, info: DeliveryInfo): Promise<DeliveryResult> {
  try {
    return await deliver(raw, info);
  } catch (err) {
    return { status: 'retry', error: errorMessage(err) };
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Cuts `s` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateBytes(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = Buffer.from(s)
    .subarray(0, Math.max(0, maxBytes - 3))
    .toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD; drop it.
  out = out.replace(/\uFFFD+$/, '');
  return `${out}...`;
}

/** Counts running deliveries and lets the poll loop wait for a free slot. */
export class Slots {
  private running = 0;
  private waiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  get free(): number {
    return this.size - this.running;
  }

  get busy(): number {
    return this.running;
  }

  take(): void {
    this.running++;
  }

  release(): void {
    this.running--;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
    if (this.running === 0) for (const fn of this.idleWaiters.splice(0)) fn();
  }

  /** Resolves once a slot is free (deliveries released from a hold may briefly overfill the slots). */
  async waitFree(): Promise<void> {
    while (this.free <= 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  async drained(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}
