// Test support: a disk that fills up, for the WAL's io seam. Like write(2) on ENOSPC/EFBIG, a write that does not
// fit first stores what fits and returns the short count; only the next call fails.
import { writeSync } from 'node:fs';
import type { WalIo } from './wal.ts';

function noSpace(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
}

export class FakeDisk {
  /** bytes the log may still grow by */
  logFree = Number.POSITIVE_INFINITY;
  /** bytes snapshot (and other whole-file) writes may still use */
  fileFree = Number.POSITIVE_INFINITY;
  /** when set, fdatasync of the log fails with it */
  syncError: NodeJS.ErrnoException | undefined;

  readonly io: Partial<WalIo> = {
    writeSync: (fd, buf, offset, length) => {
      const n = Math.min(length, this.fileFree);
      if (n <= 0) throw noSpace();
      this.fileFree -= n;
      return writeSync(fd, buf, offset, n);
    },
    write: async (fd, buf, offset, length) => {
      // Completion arrives on a later turn of the event loop, as a real write's does.
      await new Promise((r) => setImmediate(r));
      const n = Math.min(length, this.logFree);
      if (n <= 0) throw noSpace();
      this.logFree -= n;
      return writeSync(fd, buf, offset, n);
    },
    fdatasync: async () => {
      await new Promise((r) => setImmediate(r));
      if (this.syncError) throw this.syncError;
    },
  };
}
