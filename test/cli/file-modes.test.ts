// Credentials on disk are owner-only even when their files already existed with a wider mode (a data folder
// copied, restored, or left by an older capi-fn): the embedded default and `capi-fn apiserver` rewrite the
// kubeconfig with mode 0600 every start, and say when the folder itself is open to others.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbedded } from '../../local/embedded/system.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import { tempDir } from '../support/env.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const modeOf = (p: string) => (statSync(p).mode & 0o777).toString(8);

/** A data folder as an earlier run under umask 022 (or a `cp -r`) leaves it: 0755 with 0644 files. */
function openDataDir(): string {
  const dir = tempDir('capi-fn-modes-');
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'apiserver'), { mode: 0o755 });
  for (const f of ['kubeconfig', 'apiserver/kubeconfig', 'webhook.json']) {
    writeFileSync(join(dir, f), 'left by an earlier run\n', { mode: 0o644 });
    chmodSync(join(dir, f), 0o644);
  }
  return dir;
}

function recordingLogger(lines: string[]): Logger {
  const rec = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  const l: Logger = { debug() {}, info() {}, warn: rec, error: rec, child: () => l };
  return l;
}

describe('file modes of an existing data folder', () => {
  it('the embedded default rewrites kubeconfig, the API server copy and webhook.json with mode 0600', async () => {
    const dir = openDataDir();
    const warnings: string[] = [];
    const sys = await startEmbedded({
      dataDir: dir,
      port: 0,
      platform: 'local',
      sample: false,
      log: recordingLogger(warnings),
    });
    try {
      expect(modeOf(sys.kubeconfigPath)).toBe('600');
      expect(modeOf(join(dir, 'apiserver', 'kubeconfig'))).toBe('600');
      expect(modeOf(join(dir, 'webhook.json'))).toBe('600');
      expect(warnings.join('\n')).toMatch(/data folder .* has mode 0755: other users can list it; chmod 700 it/);
    } finally {
      await sys.stop();
    }
  }, 120_000);

  it('capi-fn apiserver rewrites DIR/kubeconfig with mode 0600', async () => {
    const dir = openDataDir();
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), 'apiserver', '--port', '0', '--data-dir', dir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('kubeconfig: ')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`apiserver exited ${code}: ${err}`)));
      });
      expect(modeOf(join(dir, 'kubeconfig'))).toBe('600');
      expect(err).toMatch(/warning: data folder .* has mode 0755/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
