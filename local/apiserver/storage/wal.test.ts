import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeDisk } from './fake-disk.ts';
import { Store } from './store.ts';
import { Wal, type WalOptions } from './wal.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

const cm = (name: string) => ({ metadata: { name, namespace: 'ns' }, data: { pad: 'x'.repeat(200) } });

async function openStore(dir: string, opts: WalOptions = {}): Promise<{ store: Store; wal: Wal; warnings: string[] }> {
  const warnings: string[] = [];
  const store = new Store();
  const { wal, state } = await Wal.open(dir, () => store.persistedState(), {
    log: (l) => warnings.push(l),
    ...opts,
  });
  store.load(state);
  store.attachWal(wal);
  return { store, wal, warnings };
}

/** Writes one at a time, as separate requests would, and returns the names whose writes were acknowledged. */
async function writeEach(store: Store, names: string[]): Promise<{ acked: string[]; failed: string[] }> {
  const acked: string[] = [];
  const failed: string[] = [];
  for (const n of names) {
    store.write('configmaps', 'ns', n, cm(n), null);
    try {
      await store.durable();
      acked.push(n);
    } catch {
      failed.push(n);
    }
  }
  return { acked, failed };
}

const names = (dir: string) =>
  Wal.load(dir, () => {})
    .objects.map((o) => o[2])
    .sort();

describe('write-ahead log on a full disk (audit 3)', () => {
  it('never acknowledges a record the disk cut short; every acknowledged one survives a restart', async () => {
    const dir = tempDir('wal-full-');
    const disk = new FakeDisk();
    const { store, wal } = await openStore(dir, { io: disk.io });
    // Room for a little over three records: the fourth is written short, then the disk refuses outright.
    disk.logFree =
      3.5 * Buffer.byteLength(`${JSON.stringify({ rv: 1, k: 'configmaps', ns: 'ns', n: 'w-0', o: cm('w-0') })}\n`);
    const { acked, failed } = await writeEach(
      store,
      Array.from({ length: 8 }, (_, i) => `w-${i}`),
    );
    await wal.close();
    expect(acked).toEqual(['w-0', 'w-1', 'w-2']);
    expect(failed).toEqual(['w-3', 'w-4', 'w-5', 'w-6', 'w-7']);
    const warnings: string[] = [];
    const state = Wal.load(dir, (l) => warnings.push(l));
    expect(state.objects.map((o) => o[2]).sort()).toEqual(acked);
    // The short write's bytes were cut off before the next append: the log ends on a record boundary.
    expect(warnings).toEqual([]);
  });

  it('a restart on a full disk keeps the old snapshot and log, cuts only the torn tail, and appends to the log', async () => {
    const dir = tempDir('wal-full-restart-');
    const first = await openStore(dir);
    const all = Array.from({ length: 150 }, (_, i) => `o-${String(i).padStart(3, '0')}`);
    await writeEach(first.store, all);
    await first.wal.close();
    const snapshotBefore = readFileSync(join(dir, 'snapshot.json'));
    writeFileSync(join(dir, 'wal.log'), `${readFileSync(join(dir, 'wal.log'), 'utf8')}{"rv":151,"k":"configm`);

    const disk = new FakeDisk();
    disk.fileFree = 4096; // far less than a snapshot of 150 objects
    const full = await openStore(dir, { io: disk.io });
    expect(full.store.list('configmaps')).toHaveLength(150);
    expect(full.warnings.join('\n')).toMatch(/could not write a new snapshot .*ENOSPC.*starting from the existing/);
    expect(full.warnings.join('\n')).toMatch(/discarding the unterminated last record of .*wal\.log at byte \d+/);
    expect(readFileSync(join(dir, 'snapshot.json'))).toEqual(snapshotBefore);
    expect(readdirSync(dir).sort()).toEqual(['snapshot.json', 'wal.log']);
    expect((await writeEach(full.store, ['after'])).acked).toEqual(['after']);
    await full.wal.close();

    const again = await openStore(dir);
    await again.wal.close();
    expect(again.warnings).toEqual([]);
    expect(again.store.list('configmaps').map((o) => (o.metadata as { name: string }).name)).toEqual(['after', ...all]);
    // With room again the restart compacted: everything is in the snapshot, the log is empty.
    expect(statSync(join(dir, 'wal.log')).size).toBe(0);
  });

  it('compaction that cannot write its snapshot keeps the log whole', async () => {
    const dir = tempDir('wal-full-compact-');
    const disk = new FakeDisk();
    const { store, wal, warnings } = await openStore(dir, { io: disk.io, compactBytes: 600 });
    const snapshotBefore = readFileSync(join(dir, 'snapshot.json'));
    disk.fileFree = 100;
    const all = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    expect((await writeEach(store, all)).acked).toEqual(all);
    await wal.close();
    expect(warnings.join('\n')).toMatch(/could not write a snapshot .*ENOSPC.*the log keeps growing/);
    expect(readFileSync(join(dir, 'snapshot.json'))).toEqual(snapshotBefore);
    expect(existsSync(join(dir, 'snapshot.json.tmp'))).toBe(false);
    expect(statSync(join(dir, 'wal.log')).size).toBeGreaterThan(600);
    expect(names(dir)).toEqual(all);
  });

  it('compaction with room writes the snapshot before emptying the log', async () => {
    const dir = tempDir('wal-compact-');
    const { store, wal } = await openStore(dir, { compactBytes: 600 });
    const all = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    expect((await writeEach(store, all)).acked).toEqual(all);
    await wal.close();
    expect(statSync(join(dir, 'wal.log')).size).toBeLessThan(600);
    expect(names(dir)).toEqual(all);
  });
});
