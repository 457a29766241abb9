import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir, makePrivate, touchPrivate } from './private-files.ts';

const modeOf = (p: string) => statSync(p).mode & 0o777;
const scratch = () => mkdtempSync(join(tmpdir(), 'capi-fn-private-'));

describe('private files', () => {
  it('touchPrivate makes an existing 0644 log owner-only and keeps its content', () => {
    const log = join(scratch(), 'capi-fn.log');
    writeFileSync(log, 'earlier run\n', { mode: 0o644 });
    chmodSync(log, 0o644);
    touchPrivate(log);
    expect(modeOf(log)).toBe(0o600);
    expect(statSync(log).size).toBe('earlier run\n'.length);
  });

  it('makePrivate ignores a missing file', () => {
    expect(() => makePrivate(join(scratch(), 'absent'))).not.toThrow();
  });

  it('ensurePrivateDir creates 0700, and only warns about an existing open folder', () => {
    const fresh = join(scratch(), 'd');
    expect(ensurePrivateDir(fresh)).toBeUndefined();
    expect(modeOf(fresh)).toBe(0o700);
    const open = scratch();
    chmodSync(open, 0o755);
    expect(ensurePrivateDir(open)).toMatch(/has mode 0755/);
    expect(modeOf(open)).toBe(0o755);
  });
});
