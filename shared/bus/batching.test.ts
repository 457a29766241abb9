import { describe, expect, it } from 'vitest';
import { batchBySize } from './batching.ts';

describe('batchBySize', () => {
  const size = (n: number) => n;
  it('splits by count', () => {
    const items = Array.from({ length: 25 }, () => 1);
    const { batches, oversize } = batchBySize(items, size, { maxCount: 10, maxBytes: 1_000 });
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(oversize).toEqual([]);
  });
  it('splits by bytes including per-item and per-request overhead, preserving order', () => {
    const items = [40, 40, 40, 10, 10, 90];
    const { batches } = batchBySize(items, size, {
      maxCount: 100,
      maxBytes: 100,
      perItemOverhead: 1,
      perRequestOverhead: 2,
    });
    // 2 + 41 + 41 = 84; +41 would be 125. Then 2+41+11+11 = 65; +91 > 100.
    expect(batches).toEqual([[40, 40], [40, 10, 10], [90]]);
    for (const b of batches) expect(2 + b.reduce((s, n) => s + n + 1, 0)).toBeLessThanOrEqual(100);
  });
  it('reports items that cannot fit any request instead of sending them', () => {
    const { batches, oversize } = batchBySize([5, 200, 5], size, { maxCount: 10, maxBytes: 100 });
    expect(batches).toEqual([[5, 5]]);
    expect(oversize).toEqual([200]);
  });
  it('an item exactly at the limit fits alone', () => {
    const { batches, oversize } = batchBySize([98, 1], size, { maxCount: 10, maxBytes: 100, perRequestOverhead: 2 });
    expect(batches).toEqual([[98], [1]]);
    expect(oversize).toEqual([]);
  });
  it('empty input gives no requests', () => {
    expect(batchBySize([], size, { maxCount: 10, maxBytes: 10 })).toEqual({ batches: [], oversize: [] });
  });
});
