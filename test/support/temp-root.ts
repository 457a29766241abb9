// Vitest global setup: every temporary folder of a test run (data directories, kubeconfigs, peers' files) lives
// under one folder of its own — TMPDIR for the workers and everything they start — and is removed when the run
// ends, so runs leave nothing in the system temp folder. CAPI_FN_KEEP_TEMP=1 keeps it (and says where).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'capi-fn-test-run-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.CAPI_FN_KEEP_TEMP) {
      process.stderr.write(`capi-fn tests: temporary files kept in ${root}\n`);
      return;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
