/** Exponential backoff with full jitter between `base·2^(attempt-1)/2` and `base·2^(attempt-1)`, capped. */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const base = opts.baseMs ?? 1_000;
  const max = opts.maxMs ?? 300_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + ((opts.random ?? Math.random)() * ceiling) / 2);
}
