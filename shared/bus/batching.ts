// Splitting a publish into requests that respect a platform's per-request entry count and byte size.

export interface BatchLimits {
  /** Most items in one request. */
  maxCount: number;
  /** Most bytes in one request, counting `perItemOverhead` and `perRequestOverhead`. */
  maxBytes: number;
  /** Bytes each item adds beyond its own size (JSON commas, per-entry fields). */
  perItemOverhead?: number;
  /** Bytes every request carries regardless of items (array brackets, envelope). */
  perRequestOverhead?: number;
}

export interface Batches<T> {
  batches: T[][];
  /** Items that cannot fit in any request on their own. */
  oversize: T[];
}

/** Greedy, order-preserving split: each batch is as full as the limits allow. */
export function batchBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limits: BatchLimits): Batches<T> {
  const itemOverhead = limits.perItemOverhead ?? 0;
  const requestOverhead = limits.perRequestOverhead ?? 0;
  if (limits.maxCount < 1) throw new RangeError('maxCount must be at least 1');
  const batches: T[][] = [];
  const oversize: T[] = [];
  let current: T[] = [];
  let currentBytes = requestOverhead;
  for (const item of items) {
    const size = sizeOf(item) + itemOverhead;
    if (requestOverhead + size > limits.maxBytes) {
      oversize.push(item);
      continue;
    }
    if (current.length >= limits.maxCount || currentBytes + size > limits.maxBytes) {
      batches.push(current);
      current = [];
      currentBytes = requestOverhead;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversize };
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
