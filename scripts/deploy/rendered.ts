// A folder rendered from the declarations: what is stale in it (different, missing or left over) and how to
// write it. Every generated infra/ folder is checked the same way by a test and by `gen:* --check`.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of `dir` (relative to `root`) that differ from `want`, are missing, or are left over (by `ours`). */
export function staleFiles(
  root: string,
  dir: string,
  want: Map<string, string>,
  ours: (f: string) => boolean,
): string[] {
  const abs = join(root, dir);
  const stale = [...want].filter(
    ([f, text]) => !existsSync(join(abs, f)) || readFileSync(join(abs, f), 'utf8') !== text,
  );
  const extra = existsSync(abs) ? readdirSync(abs).filter((f) => ours(f) && !want.has(f)) : [];
  return [...stale.map(([f]) => f), ...extra].map((f) => `${dir}/${f}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Writes `files` into `dir` and removes the files of ours it no longer has. */
export function writeRendered(
  root: string,
  dir: string,
  files: Map<string, string>,
  ours: (f: string) => boolean,
): void {
  const abs = join(root, dir);
  mkdirSync(abs, { recursive: true });
  for (const f of readdirSync(abs)) if (ours(f) && !files.has(f)) rmSync(join(abs, f));
  for (const [f, text] of files) writeFileSync(join(abs, f), text);
}
