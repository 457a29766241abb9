import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeDisk } from './fake-disk.ts';
import { type Change, PreconditionError, Store, TooOldError } from './store.ts';
import { Wal } from './wal.ts';

const obj = (name: string, v = 0) => ({ metadata: { name, namespace: 'ns' }, v });

describe('Store', () => {
  it('one increasing resourceVersion across keys; preconditions', () => {
    const s = new Store();
    const a = s.write('a', 'ns', 'x', obj('x'), null);
    const b = s.write('b', 'ns', 'x', obj('x'), null);
    expect([a.rv, b.rv]).toEqual([1, 2]);
    expect(() => s.write('a', 'ns', 'x', obj('x'), null)).toThrow(PreconditionError);
    expect(() => s.write('a', 'ns', 'x', obj('x', 1), '99')).toThrow(PreconditionError);
    const u = s.write('a', 'ns', 'x', obj('x', 1), '1');
    expect(u.type).toBe('MODIFIED');
    const d = s.write('a', 'ns', 'x', null, '3');
    expect(d.type).toBe('DELETED');
    expect(d.object.metadata).toMatchObject({ resourceVersion: '4' });
  });

  it('listAt rebuilds past states from history; compaction makes them too old', () => {
    const s = new Store();
    s.write('k', 'ns', 'a', obj('a'), null);
    const rv = s.currentRv();
    s.write('k', 'ns', 'b', obj('b'), null);
    s.write('k', 'ns', 'a', obj('a', 5), undefined);
    s.write('k', 'ns', 'a', null, undefined);
    expect(s.list('k').map((o) => o.metadata)).toEqual([{ name: 'b', namespace: 'ns', resourceVersion: '2' }]);
    expect(s.listAt('k', 'ns', rv).map((o) => [o.metadata, o.v])).toEqual([
      [{ name: 'a', namespace: 'ns', resourceVersion: '1' }, 0],
    ]);
    s.compact();
    expect(() => s.listAt('k', 'ns', rv)).toThrow(TooOldError);
  });

  it('watch replays history after a version, then goes live; the history limit compacts', () => {
    const s = new Store(3);
    for (let i = 0; i < 5; i++) s.write('k', 'ns', `o${i}`, obj(`o${i}`), null);
    expect(() => s.watch('k', 1, () => {})).toThrow(TooOldError);
    const seen: Change[] = [];
    const stop = s.watch('k', 3, (c) => seen.push(c));
    s.write('other', 'ns', 'z', obj('z'), null);
    s.write('k', 'ns', 'o9', obj('o9'), null);
    stop();
    s.write('k', 'ns', 'late', obj('late'), null);
    expect(seen.map((c) => c.name)).toEqual(['o3', 'o4', 'o9']);
  });

  it('the history is bounded by the bytes of the objects it holds, not only by their count (audit 8)', () => {
    const big = (name: string, i: number) => ({ metadata: { name, namespace: 'ns' }, data: `${i}`.padEnd(1000, 'x') });
    const s = new Store(10_000, 5_000);
    for (let i = 0; i < 20; i++) s.write('k', 'ns', 'big', big('big', i));
    // Each change holds ~1,060 bytes: 4 fit under 5,000, so the 20 writes (rv 1..20) keep rv 17..20.
    expect(s.oldestRv()).toBe(16);
    expect(() => s.watch('k', 15, () => {})).toThrow(TooOldError);
    const seen: Change[] = [];
    s.watch('k', 16, (c) => seen.push(c))();
    expect(seen.map((c) => c.rv)).toEqual([17, 18, 19, 20]);
    // One object larger than the whole bound is still kept, alone, so a watch from just before it resumes.
    s.write('k', 'ns', 'huge', { metadata: { name: 'huge', namespace: 'ns' }, data: 'y'.repeat(20_000) });
    expect(s.oldestRv()).toBe(20);
  });

  it('forgotten changes are let go of soon, not kept until they outnumber the history (the soak found 2x its bound held)', () => {
    const s = new Store(100);
    let peak = 0;
    for (let i = 0; i < 20_000; i++) {
      s.write('k', 'ns', `o${i % 50}`, obj(`o${i % 50}`));
      peak = Math.max(peak, (s as unknown as { history: unknown[] }).history.length);
    }
    expect(s.stats().historyChanges).toBe(100);
    expect(peak).toBeLessThanOrEqual(100 + 1024);
  });
});

describe('write-ahead log', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('replays records after the snapshot and ignores a torn final line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-'));
    dirs.push(dir);
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState());
    s.attachWal(wal);
    s.write('k', 'ns', 'a', obj('a'), null);
    s.write('k', 'ns', 'b', obj('b'), null);
    s.write('k', 'ns', 'a', null, undefined);
    await s.durable();
    await wal.close();
    writeFileSync(
      join(dir, 'wal.log'),
      `${readFileSync(join(dir, 'wal.log'), 'utf8')}{"rv":4,"k":"k","ns":"ns","n":"c","o":{"meta`,
    );
    const state = Wal.load(dir);
    expect(state.rv).toBe(3);
    expect(state.objects.map((o) => o[2])).toEqual(['b']);
    const again = await Wal.open(dir, () => s.persistedState());
    await again.wal.close();
    expect(Wal.load(dir)).toEqual(state);
  });

  it('compacts into a snapshot once the log grows past its threshold, losing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-compact-'));
    dirs.push(dir);
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState(), { compactBytes: 300 });
    s.attachWal(wal);
    for (let i = 0; i < 20; i++) {
      s.write('k', 'ns', `o${i}`, obj(`o${i}`, i), null);
      await s.durable();
    }
    s.write('k', 'ns', 'o3', null, undefined);
    await s.durable();
    await wal.close();
    expect(readFileSync(join(dir, 'wal.log'), 'utf8').length).toBeLessThan(600);
    const state = Wal.load(dir);
    expect(state.rv).toBe(21);
    expect(state.objects.map((o) => o[2]).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `o${i}`)
        .filter((n) => n !== 'o3')
        .sort(),
    );
  });
});

describe('store on a failing write-ahead log (audit 4)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a lost write fails alone, is rolled back unseen, and the store takes writes again once the disk has room', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-fail-'));
    dirs.push(dir);
    const disk = new FakeDisk();
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState(), { io: disk.io, log: () => {} });
    s.attachWal(wal);
    const watched: string[] = [];
    s.watch('k', 0, (c) => watched.push(`${c.type} ${c.name}`));
    const committed: string[] = [];
    s.onCommit((c) => committed.push(`${c.type} ${c.name}`));
    s.write('k', 'ns', 'a', obj('a'), null);
    await s.durable();

    disk.logFree = 20; // the update is written short, then the disk refuses
    const update = s.write('k', 'ns', 'a', obj('a', 1), '1');
    s.write('k', 'ns', 'b', obj('b'), null);
    const lost = s.durable();
    await expect(lost).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(s.get('k', 'ns', 'a')).toMatchObject({ v: 0, metadata: { resourceVersion: '1' } });
    expect(s.get('k', 'ns', 'b')).toBeUndefined();
    // Reads after the failure wait for nothing that failed.
    await expect(s.durable()).resolves.toBeUndefined();
    expect(await s.storageProblem()).toBe('the write-ahead log cannot be written (ENOSPC)');

    disk.logFree = Number.POSITIVE_INFINITY;
    expect(await s.storageProblem()).toBeUndefined();
    const c = s.write('k', 'ns', 'c', obj('c'), null);
    await s.durable();
    expect(c.rv).toBeGreaterThan(update.rv + 1);
    await wal.close();

    expect(watched).toEqual(['ADDED a', 'ADDED c']);
    expect(committed).toEqual(['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED b', 'MODIFIED a', 'ADDED c']);
    const warnings: string[] = [];
    const state = Wal.load(dir, (l) => warnings.push(l));
    expect(warnings).toEqual([]);
    expect(state.objects.map((o) => [o[2], o[3].v])).toEqual([
      ['a', 0],
      ['c', 0],
    ]);
  });

  it('a failed batch fails the writes queued behind it, even when the disk takes the next batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-queued-'));
    dirs.push(dir);
    let failNext = false;
    const io = {
      ...new FakeDisk().io,
      fdatasync: async () => {
        await new Promise((r) => setImmediate(r));
        if (!failNext) return;
        failNext = false;
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    };
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState(), { io, log: () => {} });
    s.attachWal(wal);
    failNext = true;
    s.write('k', 'ns', 'x', obj('x'), null);
    const first = s.durable();
    // Queued while x's batch is on its way to the disk: it builds on x, so it is lost with it.
    s.write('k', 'ns', 'y', obj('y'), null);
    const second = s.durable();
    await expect(first).rejects.toMatchObject({ code: 'EIO' });
    await expect(second).rejects.toMatchObject({ code: 'EIO' });
    expect(s.list('k')).toEqual([]);
    s.write('k', 'ns', 'z', obj('z'), null);
    await s.durable();
    await wal.close();
    expect(Wal.load(dir).objects.map((o) => o[2])).toEqual(['z']);
  });

  /** A store that made `kept` durable, then wrote `refused`, whose sync failed: refused (a 500) and rolled back. */
  async function keptThenRefused(prefix: string) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    const disk = new FakeDisk();
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState(), { io: disk.io, log: () => {} });
    s.attachWal(wal);
    s.write('k', 'ns', 'kept', obj('kept'), null);
    await s.durable();
    disk.syncError = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    s.write('k', 'ns', 'refused', obj('refused'), null);
    await expect(s.durable()).rejects.toMatchObject({ code: 'EIO' });
    return { dir, disk, wal };
  }

  it('a refused write does not come back at the next start when nothing was appended after it', async () => {
    const { dir, disk, wal } = await keptThenRefused('wal-refused-close-');
    disk.syncError = undefined;
    await wal.close();
    expect(Wal.load(dir).objects.map((o) => o[2])).toEqual(['kept']);
  });

  it('a refused batch is not replayed after a crash: it is cut before its clients hear of the refusal', async () => {
    const { dir, disk, wal } = await keptThenRefused('wal-eio-crash-');
    // The process dies here: no close, no later append. What the next start reads:
    expect(Wal.load(dir, () => {}).objects.map((o) => o[2])).toEqual(['kept']);
    disk.syncError = undefined;
    await wal.close();
  });

  it('a failed fdatasync fails the batch the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-eio-'));
    dirs.push(dir);
    const disk = new FakeDisk();
    const s = new Store();
    const { wal } = await Wal.open(dir, () => s.persistedState(), { io: disk.io, log: () => {} });
    s.attachWal(wal);
    disk.syncError = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    s.write('k', 'ns', 'x', obj('x'), null);
    await expect(s.durable()).rejects.toMatchObject({ code: 'EIO' });
    expect(s.list('k')).toEqual([]);
    disk.syncError = undefined;
    s.write('k', 'ns', 'y', obj('y'), null);
    await s.durable();
    await wal.close();
    expect(Wal.load(dir).objects.map((o) => o[2])).toEqual(['y']);
  });
});
