// Files that hold credentials (kubeconfigs with the admin token, the webhook's serving key and token, the log)
// must be private however they came to exist. open(2) and mkdir(2) apply a mode only when they create, so a
// file left 0644 by an earlier run, a copy or an umask would keep its mode across every rewrite: the mode is
// set explicitly after each write.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/** Sets `path` to `mode` (owner-only by default); a file that does not exist is left alone. */
export function makePrivate(path: string, mode = 0o600): void {
  try {
    chmodSync(path, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Creates `dir` (0700) when missing. An existing folder keeps its mode (it may be one the user chose, such as
 * the working directory); when others can read it the returned warning says so, for the caller to log.
 */
export function ensurePrivateDir(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `data folder ${dir} has mode ${mode.toString(8).padStart(4, '0')}: other users can list it; chmod 700 it to keep the kubeconfig and keys private`;
}

/** Creates `path` if missing and makes it private, for files opened in append mode by a stream. */
export function touchPrivate(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  makePrivate(path);
}
