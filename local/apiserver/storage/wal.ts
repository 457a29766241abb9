// Durability: an append-only write-ahead log, fsync'ed before any write is acknowledged (group commit: writes that
// arrive while an fsync is running share the next one), plus a snapshot that compacts the log at start and when
// it grows.
//
// A full disk must never cost an acknowledged write or the store:
// - every write is checked for its byte count: on ENOSPC/EFBIG write(2) first returns a short count and only the
//   next call fails, so a single unchecked write acknowledges a record that is not on disk;
// - a snapshot goes to a temporary file that is fsync'ed and renamed over the old one, and only then is the log
//   emptied; when the snapshot cannot be written the old snapshot and log stay as they are and the log grows;
// - a failed append fails its batch and everything queued behind it (the store rolls those writes back), cuts the
//   log back to its last good byte before the next append, and the next append that succeeds clears the failure.
//   The server keeps running and recovers by itself once there is room again (a restart would not make room);
//   /readyz reports the failure meanwhile.
import {
  close as closeFd,
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  ftruncate,
  open as openFd,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  write,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

/**
 * The calls that put bytes on disk, replaceable so tests can simulate a full disk or a failing fsync. Writes
 * return the byte count like write(2): short counts are expected and handled.
 */
export interface WalIo {
  writeSync(fd: number, buf: Buffer, offset: number, length: number): number;
  write(fd: number, buf: Buffer, offset: number, length: number): Promise<number>;
  fsyncSync(fd: number): void;
  fdatasync(fd: number): Promise<void>;
}

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);
const openAsync = promisify(openFd);
const closeAsync = promisify(closeFd);

export const nodeIo: WalIo = {
  writeSync: (fd, buf, offset, length) => writeSync(fd, buf, offset, length),
  write: async (fd, buf, offset, length) => (await writeAsync(fd, buf, offset, length)).bytesWritten,
  fsyncSync: (fd) => fsyncSync(fd),
  fdatasync: (fd) => fdatasyncAsync(fd),
};

export interface WalOptions {
  /** log size that triggers a snapshot (default 64 MiB) */
  compactBytes?: number;
  io?: Partial<WalIo>;
  /** warnings: a discarded log tail, a snapshot that could not be written, a failed append */
  log?: (line: string) => void;
}

/** The snapshot or log cannot be read back as written; the message names the file and where. */
export class StoreCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreCorruptError';
  }
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

function writeStalled(what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: write to ${what} made no progress`), { code: 'ENOSPC' });
}

function writeAllSync(io: WalIo, fd: number, buf: Buffer, what: string): void {
  for (let off = 0; off < buf.length; ) {
    const n = io.writeSync(fd, buf, off, buf.length - off);
    if (!(n > 0)) throw writeStalled(what);
    off += n;
  }
}

async function writeAll(io: WalIo, fd: number, buf: Buffer, what: string): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const n = await io.write(fd, buf, off, buf.length - off);
    if (!(n > 0)) throw writeStalled(what);
    off += n;
  }
}

/** Replace `path` atomically: a reader (or a crash) sees the old content or all of the new one, never a part. */
export function writeFileDurable(path: string, data: string | Buffer, io: Partial<WalIo> = {}): void {
  const ops = { ...nodeIo, ...io };
  const tmp = `${path}.tmp`;
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeAllSync(ops, fd, buf, tmp);
    ops.fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    // A partial temporary file on a full disk holds the very space the next attempt needs.
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(join(path, '..'));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function storedObjectProblem(o: unknown): string | undefined {
  if (!isObject(o) || !isObject(o.metadata) || typeof o.metadata.name !== 'string')
    return 'the object has no metadata.name';
  return undefined;
}

function recordProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'not a JSON object';
  if (!Number.isSafeInteger(r.rv) || (r.rv as number) < 1) return '"rv" is not a positive integer';
  if (typeof r.k !== 'string' || r.k === '') return '"k" (storage key) is not a non-empty string';
  if (typeof r.ns !== 'string') return '"ns" is not a string';
  if (typeof r.n !== 'string' || r.n === '') return '"n" (name) is not a non-empty string';
  if (r.o !== null) {
    const p = storedObjectProblem(r.o);
    if (p) return `"o" is neither null nor a stored object: ${p}`;
  }
  return undefined;
}

function snapshotProblem(s: unknown): string | undefined {
  if (!isObject(s)) return 'not a JSON object';
  if (!Number.isSafeInteger(s.rv) || (s.rv as number) < 0) return '"rv" is not a non-negative integer';
  if (!Array.isArray(s.objects)) return '"objects" is not an array';
  for (let i = 0; i < s.objects.length; i++) {
    const e: unknown = s.objects[i];
    if (!Array.isArray(e) || e.length !== 4 || !e.slice(0, 3).every((x) => typeof x === 'string'))
      return `objects[${i}] is not [key, namespace, name, object]`;
    const p = storedObjectProblem(e[3]);
    if (p) return `objects[${i}]: ${p}`;
  }
  return undefined;
}

interface Loaded {
  state: PersistedState;
  /** bytes of the log up to and including its last complete, valid record */
  logEnd: number;
}

function readState(dir: string, warn: (line: string) => void): Loaded {
  let state: PersistedState = { rv: 0, objects: [] };
  const snap = join(dir, SNAPSHOT);
  if (existsSync(snap)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(snap, 'utf8'));
    } catch (e) {
      throw new StoreCorruptError(`corrupt snapshot ${snap}: ${(e as Error).message}`);
    }
    const problem = snapshotProblem(parsed);
    if (problem) throw new StoreCorruptError(`corrupt snapshot ${snap}: ${problem}`);
    state = parsed as PersistedState;
  }
  const table = new Map<string, [string, string, string, JsonObject]>();
  for (const o of state.objects) table.set(`${o[0]}\u0000${o[1]}\u0000${o[2]}`, o);
  let rv = state.rv;
  const log = join(dir, LOG);
  let logEnd = 0;
  if (existsSync(log)) {
    const bytes = readFileSync(log);
    for (let start = 0, line = 1; start < bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const terminated = nl >= 0;
      const end = terminated ? nl : bytes.length;
      const where = `${log} at byte ${start} (line ${line})`;
      if (!terminated) {
        // Every append ends with its newline in the same write, fsync'ed before the write is acknowledged:
        // an unterminated tail is a write that was cut short, and its client never heard back.
        warn(
          `storage: discarding the unterminated last record of ${where}: ${end - start} bytes cut short by a crash or a full disk; it was never acknowledged`,
        );
        break;
      }
      const text = bytes.toString('utf8', start, end);
      let problem: string | undefined;
      let rec: WalRecord | undefined;
      if (text !== '') {
        try {
          const parsed: unknown = JSON.parse(text);
          problem = recordProblem(parsed);
          if (!problem) rec = parsed as WalRecord;
        } catch (e) {
          problem = (e as Error).message;
        }
      }
      if (problem) {
        if (nl + 1 < bytes.length)
          throw new StoreCorruptError(
            `corrupt write-ahead log ${where}: ${problem}; later records follow it, so it is not a torn write. Restore the folder from a backup, or truncate the file to ${start} bytes to keep only what precedes it`,
          );
        // Complete (newline-terminated) yet unreadable: damage after the fact, not an interrupted append.
        warn(
          `storage: discarding the corrupt last record of ${where}: ${problem}; it ended with a newline, so it was written whole and its write may have been acknowledged`,
        );
        break;
      }
      start = nl + 1;
      logEnd = start;
      if (!rec || rec.rv <= state.rv) continue;
      const key = `${rec.k}\u0000${rec.ns}\u0000${rec.n}`;
      if (rec.o === null) table.delete(key);
      else table.set(key, [rec.k, rec.ns, rec.n, rec.o]);
      if (rec.rv > rv) rv = rec.rv;
    }
  }
  return { state: { rv, objects: [...table.values()] }, logEnd };
}

const stderrLine = (line: string) => {
  process.stderr.write(`${line}\n`);
};

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Wal {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingFirstRv = 0;
  private current: Deferred | undefined;
  private flushing = false;
  /** bytes of the log known to hold complete, durable records */
  private size: number;
  private nextCompactAt: number;
  /** set while the disk refuses appends; cleared by the next append (or probe) that gets through */
  private failure: unknown;
  /** the log may hold bytes past `size` from a failed append; cut them before appending again */
  private damaged = false;
  private closed = false;
  private readonly dir: string;
  private readonly compactBytes: number;
  private readonly snapshotState: () => PersistedState;
  private readonly io: WalIo;
  private readonly log: (line: string) => void;
  /** Told synchronously, before any waiter hears of it, which writes were lost: from `rv` on, all of them. */
  onLost: ((rv: number, error: unknown) => void) | undefined;

  private constructor(
    dir: string,
    fd: number,
    size: number,
    snapshotState: () => PersistedState,
    opts: Required<Pick<WalOptions, 'compactBytes' | 'log'>> & { io: WalIo },
  ) {
    this.dir = dir;
    this.fd = fd;
    this.size = size;
    this.compactBytes = opts.compactBytes;
    this.nextCompactAt = opts.compactBytes;
    this.snapshotState = snapshotState;
    this.io = opts.io;
    this.log = opts.log;
  }

  /**
   * Load snapshot + log, then write a fresh snapshot and empty the log. When the snapshot cannot be written (a
   * full disk) the store starts from the old snapshot and log, which it keeps appending to.
   */
  static async open(
    dir: string,
    snapshotState: () => PersistedState,
    opts: WalOptions = {},
  ): Promise<{ wal: Wal; state: PersistedState }> {
    const io = { ...nodeIo, ...opts.io };
    const log = opts.log ?? stderrLine;
    const compactBytes = opts.compactBytes ?? 64 * 1024 * 1024;
    const { state, logEnd } = readState(dir, log);
    const logPath = join(dir, LOG);
    // Append mode: every write lands at the end even if something else moved it.
    const fd = await openAsync(logPath, 'a', 0o600);
    let size: number;
    try {
      try {
        writeFileDurable(join(dir, SNAPSHOT), JSON.stringify(state), io);
        size = 0;
      } catch (e) {
        log(
          `storage: could not write a new snapshot in ${dir} (${describeError(e)}); starting from the existing snapshot and log`,
        );
        size = logEnd;
      }
      // Only now that the snapshot is durable (or kept) may the log lose what it holds beyond `size`.
      await ftruncateAsync(fd, size);
      await io.fdatasync(fd);
    } catch (e) {
      await closeAsync(fd);
      throw e;
    }
    fsyncDir(dir);
    return { wal: new Wal(dir, fd, size, () => snapshotState(), { compactBytes, log, io }), state };
  }

  static load(dir: string, warn: (line: string) => void = stderrLine): PersistedState {
    return readState(dir, warn).state;
  }

  /**
   * Resolves once the record (and everything appended before it) is on disk. `objectJson`, when the caller has
   * serialised `rec.o` already, is used as its text (the line is the same as JSON.stringify(rec) would write).
   */
  append(rec: WalRecord, objectJson?: string): Promise<void> {
    if (this.pending.length === 0) this.pendingFirstRv = rec.rv;
    const line =
      objectJson === undefined
        ? JSON.stringify(rec)
        : `{"rv":${rec.rv},"k":${JSON.stringify(rec.k)},"ns":${JSON.stringify(rec.ns)},"n":${JSON.stringify(rec.n)},"o":${objectJson}}`;
    this.pending.push(Buffer.from(`${line}\n`));
    if (!this.current) this.current = deferred();
    const p = this.current.promise;
    if (!this.flushing) void this.flush();
    return p;
  }

  /** Why appends are failing, or undefined when the last one got through. */
  problem(): unknown {
    return this.failure;
  }

  /**
   * While failed, try the disk again without a client write: cut the log back and append an empty line (replay
   * skips empty lines). Resolves to the failure that remains, if any.
   */
  async probe(): Promise<unknown> {
    if (this.failure === undefined || this.flushing) return this.failure;
    this.flushing = true;
    try {
      await this.repair();
      await writeAll(this.io, this.fd, Buffer.from('\n'), join(this.dir, LOG));
      await this.io.fdatasync(this.fd);
      this.size += 1;
      this.recovered();
    } catch (e) {
      this.damaged = true;
      this.failure = e;
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0) void this.flush();
    return this.failure;
  }

  private async repair(): Promise<void> {
    if (!this.damaged) return;
    await ftruncateAsync(this.fd, this.size);
    await this.io.fdatasync(this.fd);
    this.damaged = false;
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.log(`storage: the write-ahead log in ${this.dir} accepts writes again`);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = Buffer.concat(this.pending);
        const firstRv = this.pendingFirstRv;
        this.pending = [];
        const d = this.current!;
        this.current = undefined;
        try {
          await this.repair();
          await writeAll(this.io, this.fd, batch, join(this.dir, LOG));
          await this.io.fdatasync(this.fd);
        } catch (e) {
          this.damaged = true;
          if (this.failure === undefined)
            this.log(
              `storage: appending to the write-ahead log in ${this.dir} failed (${describeError(e)}); writes fail until it can be written again`,
            );
          this.failure = e;
          // The refused batch is cut from the file before anyone hears of the refusal: left there, a crash before the
          // next append would replay writes their clients were told failed. The disk may refuse the cut too; the
          // next append, probe or close tries again.
          try {
            await this.repair();
          } catch (cut) {
            this.log(
              `storage: could not cut the failed batch from ${join(this.dir, LOG)} (${describeError(cut)}); the next append, probe or close tries again`,
            );
          }
          // Records queued behind the failed batch may build on it: they are lost with it.
          const waiting = this.current as Deferred | undefined;
          this.current = undefined;
          this.pending = [];
          this.onLost?.(firstRv, e);
          d.reject(e);
          waiting?.reject(e);
          return;
        }
        this.size += batch.length;
        this.recovered();
        d.resolve();
      }
      if (this.size > this.nextCompactAt) await this.compact();
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0) void this.flush();
  }

  /** Snapshot the whole state and restart the log; runs between batches so the log holds nothing newer. */
  private async compact(): Promise<void> {
    try {
      writeFileDurable(join(this.dir, SNAPSHOT), JSON.stringify(this.snapshotState()), this.io);
    } catch (e) {
      this.nextCompactAt = this.size + this.compactBytes;
      this.log(`storage: could not write a snapshot in ${this.dir} (${describeError(e)}); the log keeps growing`);
      return;
    }
    try {
      await ftruncateAsync(this.fd, 0);
    } catch (e) {
      this.nextCompactAt = this.size + this.compactBytes;
      this.log(`storage: could not empty the write-ahead log in ${this.dir} (${describeError(e)})`);
      return;
    }
    this.size = 0;
    this.nextCompactAt = this.compactBytes;
    // Whether or not the cut reaches the disk now, the log holds only records the snapshot covers and replay skips.
    await this.io.fdatasync(this.fd).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    // A batch whose write or sync failed may still be in the log, when the cut at the failure failed too: it was refused
    // and rolled back, so it must not come back at the next start. The next append cuts it; when none comes, the close
    // does.
    if (this.damaged) {
      try {
        await this.repair();
      } catch (e) {
        this.log(
          `storage: could not cut the failed tail of ${join(this.dir, LOG)} at close (${describeError(e)}); the next start may replay a write that was refused`,
        );
      }
    }
    await closeAsync(this.fd);
  }
}
