import {
  existsSync,
  fsyncSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeDisk } from './fake-disk.ts';
import { Store } from './store.ts';
import { StoreCorruptError, Wal, type WalOptions } from './wal.ts';

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

  it('compaction fsyncs its snapshot while the log still holds every record', async () => {
    const dir = tempDir('wal-compact-order-');
    const logBytesAtSnapshotSync: number[] = [];
    const io = {
      fsyncSync: (fd: number) => {
        fsyncSync(fd);
        logBytesAtSnapshotSync.push(statSync(join(dir, 'wal.log')).size);
      },
    };
    const { store, wal } = await openStore(dir, { io, compactBytes: 600 });
    logBytesAtSnapshotSync.length = 0; // the snapshot written at open
    const all = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    expect((await writeEach(store, all)).acked).toEqual(all);
    await wal.close();
    expect(logBytesAtSnapshotSync.length).toBeGreaterThan(0);
    for (const b of logBytesAtSnapshotSync) expect(b).toBeGreaterThan(600);
  });

  it('compaction with room ends with a snapshot of every record and an empty log', async () => {
    const dir = tempDir('wal-compact-');
    const { store, wal } = await openStore(dir, { compactBytes: 600 });
    const all = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    expect((await writeEach(store, all)).acked).toEqual(all);
    await wal.close();
    expect(statSync(join(dir, 'wal.log')).size).toBeLessThan(600);
    expect(names(dir)).toEqual(all);
  });
});

describe('write-ahead log startup on damaged files (audit 11)', () => {
  const rec = (rv: number, n: string) => `${JSON.stringify({ rv, k: 'configmaps', ns: 'ns', n, o: cm(n) })}\n`;

  for (const bad of ['null', '{}', '[1,2]', '{"rv":2,"k":"configmaps","ns":"ns","n":"x","o":{"a":1}}', '{"rv":']) {
    it(`refuses a log whose middle record is ${bad}, naming the file and byte offset`, async () => {
      const dir = tempDir('wal-corrupt-');
      const head = rec(1, 'a');
      writeFileSync(join(dir, 'wal.log'), `${head}${bad}\n${rec(3, 'c')}`);
      const opened = Wal.open(dir, () => ({ rv: 0, objects: [] }), { log: () => {} });
      await expect(opened).rejects.toThrow(StoreCorruptError);
      await expect(opened).rejects.toThrow(
        `corrupt write-ahead log ${join(dir, 'wal.log')} at byte ${Buffer.byteLength(head)} (line 2)`,
      );
      // Nothing was rewritten: the operator still has every byte to repair from.
      expect(readFileSync(join(dir, 'wal.log'), 'utf8')).toBe(`${head}${bad}\n${rec(3, 'c')}`);
      expect(existsSync(join(dir, 'snapshot.json'))).toBe(false);
    });
  }

  it('refuses a snapshot that does not parse or has the wrong shape, naming it', async () => {
    for (const [text, why] of [
      ['{"rv":3,"objects":[', /Unexpected end of JSON input|Expected/],
      ['{"rv":3,"objects":[["configmaps","ns","a",null]]}', /objects\[0\]: the object has no metadata\.name/],
    ] as const) {
      const dir = tempDir('wal-snap-');
      writeFileSync(join(dir, 'snapshot.json'), text);
      const opened = Wal.open(dir, () => ({ rv: 0, objects: [] }), { log: () => {} });
      await expect(opened).rejects.toThrow(StoreCorruptError);
      await expect(opened).rejects.toThrow(`corrupt snapshot ${join(dir, 'snapshot.json')}`);
      await expect(opened).rejects.toThrow(why);
    }
  });

  it('warns about a corrupt last record, with file, offset and whether it was complete', async () => {
    const dir = tempDir('wal-corrupt-tail-');
    const head = rec(1, 'a') + rec(2, 'b');
    // A bit flip in a record that was written whole: newline-terminated, yet not JSON.
    const flipped = rec(3, 'c').replace('"rv":3', '"rv"\u00013');
    writeFileSync(join(dir, 'wal.log'), head + flipped);
    const warnings: string[] = [];
    const state = Wal.load(dir, (l) => warnings.push(l));
    expect(state.objects.map((o) => o[2])).toEqual(['a', 'b']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      `discarding the corrupt last record of ${join(dir, 'wal.log')} at byte ${Buffer.byteLength(head)} (line 3)`,
    );
    expect(warnings[0]).toContain('it ended with a newline');

    writeFileSync(join(dir, 'wal.log'), head + rec(3, 'c').slice(0, 40));
    const torn: string[] = [];
    Wal.load(dir, (l) => torn.push(l));
    expect(torn).toEqual([
      `storage: discarding the unterminated last record of ${join(dir, 'wal.log')} at byte ${Buffer.byteLength(head)} (line 3): 40 bytes cut short by a crash or a full disk; it was never acknowledged`,
    ]);
  });
});

describe('write-ahead log records', () => {
  it('are what JSON.stringify makes of the record when the store hands over its own serialisation of the object', async () => {
    const dir = tempDir('wal-lines-');
    const { store } = await openStore(dir);
    const tricky = { metadata: { name: 'q"\\\u2028', namespace: 'n"s' }, data: { 'k\n': 'v\u0000', empty: '' } };
    store.write('configmaps', 'n"s', 'q"\\\u2028', tricky, null);
    store.write('configmaps', 'ns', 'plain', cm('plain'), null);
    store.write('configmaps', 'ns', 'plain', null);
    await store.durable();
    const lines = readFileSync(join(dir, 'wal.log'), 'utf8').split('\n').filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as { rv: number; k: string; ns: string; n: string; o: unknown });
    expect(lines).toEqual(records.map((r) => JSON.stringify({ rv: r.rv, k: r.k, ns: r.ns, n: r.n, o: r.o })));
    expect(records.map((r) => [r.n, r.o === null])).toEqual([
      ['q"\\\u2028', false],
      ['plain', false],
      ['plain', true],
    ]);
    expect(records[0]!.o).toEqual({
      ...tricky,
      metadata: { ...tricky.metadata, resourceVersion: String(records[0]!.rv) },
    });
    expect(Wal.load(dir, () => {}).objects.map((o) => o[2])).toEqual(['q"\\\u2028']);
  });
});
