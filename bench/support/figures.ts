// Helpers shared by the benchmarks: latency summaries, aligned tables, a process RSS sampler. Lives in
// bench/support/ so that bench/run.ts, which runs every top-level bench/*.ts, does not run it.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Events per second over the whole run (first send to last arrival). */
  perSecond: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarize(latenciesMs: number[], wallMs: number): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
    perSecond: s.length / (wallMs / 1000),
  };
}

/** Rounds every number in a figures object for the machine-readable line. */
export function rounded<T>(v: T, digits = 3): T {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? Number(x.toFixed(digits)) : x)),
  ) as T;
}

/** A plain text table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export const ms = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** Runs `fn(i)` for i in [0, n) with at most `limit` calls in flight. */
export async function boundedPool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

/** Samples process RSS every `intervalMs`; `stop()` returns the peak seen (bytes). */
export function rssSampler(intervalMs = 100): { stop(): number; peak(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  t.unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

export const now = (): number => performance.now();

export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** The 1-minute load average: other processes on the machine move every figure, so benches print it. */
export function load1(): number {
  return loadavg()[0]!;
}
