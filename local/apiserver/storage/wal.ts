// Durability: an append-only write-ahead log, fsync'ed before any write is acknowledged (group commit: writes that
// arrive while an fsync is running share the next one), plus a snapshot that compacts the log at start and when
// it grows. A torn last line (crash mid-append) is ignored on replay: its write was never acknowledged.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '../util.ts';

export interface WalRecord {
  rv: number;
  /** storage key (`group/resource`) */
  k: string;
  ns: string;
  n: string;
  /** the stored object, or null for a deletion */
  o: JsonObject | null;
}

export interface PersistedState {
  rv: number;
  objects: Array<[string, string, string, JsonObject]>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is reported to every waiter; nobody may be waiting yet, so avoid an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const SNAPSHOT = 'snapshot.json';
const LOG = 'wal.log';

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  }
}

export function writeFileDurable(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(join(path, '..'));
}

export class Wal {
  private fh: FileHandle;
  private pending: Buffer[] = [];
  private current: Deferred | undefined;
  private flushing = false;
  private size = 0;
  private failure: unknown;
  private readonly dir: string;
  private readonly compactBytes: number;
  private readonly snapshotState: () => PersistedState;

  private constructor(dir: string, fh: FileHandle, compactBytes: number, snapshotState: () => PersistedState) {
    this.dir = dir;
    this.fh = fh;
    this.compactBytes = compactBytes;
    this.snapshotState = snapshotState;
  }

  /** Load snapshot + log, then write a fresh snapshot and start an empty log. */
  static async open(
    dir: string,
    snapshotState: () => PersistedState,
    compactBytes = 64 * 1024 * 1024,
  ): Promise<{ wal: Wal; state: PersistedState }> {
    const state = Wal.load(dir);
    writeFileDurable(join(dir, SNAPSHOT), JSON.stringify(state));
    const fh = await open(join(dir, LOG), 'w', 0o600);
    await fh.sync();
    fsyncDir(dir);
    return { wal: new Wal(dir, fh, compactBytes, snapshotState), state };
  }

  static load(dir: string): PersistedState {
    let state: PersistedState = { rv: 0, objects: [] };
    const snap = join(dir, SNAPSHOT);
    if (existsSync(snap)) state = JSON.parse(readFileSync(snap, 'utf8')) as PersistedState;
    const table = new Map<string, [string, string, string, JsonObject]>();
    for (const o of state.objects) table.set(`${o[0]}\u0000${o[1]}\u0000${o[2]}`, o);
    let rv = state.rv;
    const log = join(dir, LOG);
    if (existsSync(log)) {
      const text = readFileSync(log, 'utf8');
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line === '') continue;
        let rec: WalRecord;
        try {
          rec = JSON.parse(line) as WalRecord;
        } catch {
          // Only the final line can be torn: the write before it was fsync'ed first.
          if (i >= lines.length - 2) break;
          throw new Error(`corrupt write-ahead log ${log} at line ${i + 1}`);
        }
        if (rec.rv <= state.rv) continue;
        const key = `${rec.k}\u0000${rec.ns}\u0000${rec.n}`;
        if (rec.o === null) table.delete(key);
        else table.set(key, [rec.k, rec.ns, rec.n, rec.o]);
        if (rec.rv > rv) rv = rec.rv;
      }
    }
    return { rv, objects: [...table.values()] };
  }

  /** Resolves once the record (and everything appended before it) is on disk. */
  append(rec: WalRecord): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.pending.push(Buffer.from(`${JSON.stringify(rec)}\n`));
    if (!this.current) this.current = deferred();
    const p = this.current.promise;
    if (!this.flushing) void this.flush();
    return p;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = Buffer.concat(this.pending);
        this.pending = [];
        const d = this.current!;
        this.current = undefined;
        try {
          await this.fh.write(batch);
          await this.fh.datasync();
          this.size += batch.length;
          d.resolve();
        } catch (e) {
          this.failure = e;
          d.reject(e);
          const waiting = this.current as Deferred | undefined;
          waiting?.reject(e);
          return;
        }
      }
      if (this.size > this.compactBytes) await this.compact();
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0) void this.flush();
  }

  /** Snapshot the whole state and restart the log; runs between batches so the log holds nothing newer. */
  private async compact(): Promise<void> {
    writeFileDurable(join(this.dir, SNAPSHOT), JSON.stringify(this.snapshotState()));
    await this.fh.close();
    this.fh = await open(join(this.dir, LOG), 'w', 0o600);
    await this.fh.sync();
    this.size = 0;
  }

  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    await this.fh.close();
  }
}
