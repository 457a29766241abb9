// `capi-fn apiserver` runs in the foreground, writes DIR/kubeconfig, and exits 0 on SIGTERM/SIGINT.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startEmbedded } from '../../local/embedded/system.ts';
import { Client } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'capi-fn-cli-'));
const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => {
  // A failed assertion must not leave a server running.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('capi-fn apiserver', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves with the written kubeconfig and stops cleanly on ${signal}`, async () => {
      const dataDir = join(dir, signal);
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, '../../bin/capi-fn.js'), 'apiserver', '--data-dir', dataDir],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (out.includes('kubeconfig:')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited early: ${code}`)));
      });
      const path = join(dataDir, 'kubeconfig');
      expect(out).toContain(`kubeconfig: ${path}`);
      expect(existsSync(path)).toBe(true);
      const kc = parse(readFileSync(path, 'utf8'));
      expect(kc['current-context']).toBe('capi-fn');
      const server: string = kc.clusters[0].cluster.server;
      const caPem = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');
      const token: string = kc.users[0].user.token;
      const c = new Client({
        url: server,
        caPem,
        token,
        port: 0,
        kubeconfig: () => '',
        writeKubeconfig: async () => {},
        compactHistory: () => {},
        storeStats: () => ({ objects: {}, historyChanges: 0, historyBytes: 0 }),
        stop: async () => {},
      });
      expect((await c.get('/api/v1/namespaces/default')).status).toBe(200);
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill(signal);
      expect(await exit).toBe(0);
    });
  }
});

interface Run {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  /** resolves once the server printed its kubeconfig line */
  ready: Promise<void>;
  exit: Promise<number | null>;
}

function run(dataDir: string): Run {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/capi-fn.js'), 'apiserver', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('kubeconfig:')) resolve();
    });
    void exit.then((code) => reject(new Error(`exited early: ${code}\n${err}`)));
  });
  ready.catch(() => {});
  return { child, stderr: () => err, ready, exit };
}

const rec = (rv: number, n: string) =>
  `${JSON.stringify({ rv, k: 'configmaps', ns: 'default', n, o: { metadata: { name: n, namespace: 'default' } } })}\n`;

describe('capi-fn apiserver data folder (audit 11)', () => {
  it('a second server on the same folder refuses, naming the folder and the running one', async () => {
    const dataDir = join(dir, 'locked');
    const first = run(dataDir);
    await first.ready;
    const second = run(dataDir);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toBe(
      `capi-fn apiserver: another capi-fn (pid ${first.child.pid}) is already running on ${dataDir}; stop it first (Ctrl-C in its terminal, or kill ${first.child.pid}), or use another --data-dir\n`,
    );
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(existsSync(join(dataDir, 'capi-fn.lock'))).toBe(false);
  });

  it('refuses the API server folder of a running capi-fn up (both would write one log)', async () => {
    const up = join(dir, 'up');
    const sys = await startEmbedded({ dataDir: up, port: 0, sample: false });
    const apiDir = join(up, 'apiserver');
    try {
      const server = run(apiDir);
      expect(await server.exit).toBe(1);
      expect(server.stderr()).toContain(`another capi-fn (pid ${process.pid}) is already running on ${apiDir}`);
    } finally {
      await sys.stop();
    }
    expect(existsSync(join(apiDir, 'capi-fn.lock'))).toBe(false);
    expect(existsSync(join(up, 'capi-fn.lock'))).toBe(false);
  }, 120_000);

  it('a corrupt write-ahead log stops startup with one line naming the file and byte offset', async () => {
    const dataDir = join(dir, 'corrupt');
    mkdirSync(join(dataDir, 'store'), { recursive: true });
    const log = join(dataDir, 'store', 'wal.log');
    writeFileSync(log, `${rec(1, 'a')}null\n${rec(3, 'c')}`);
    const server = run(dataDir);
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toMatch(
      new RegExp(
        `^capi-fn apiserver: corrupt write-ahead log ${log} at byte ${Buffer.byteLength(rec(1, 'a'))} \\(line 2\\): not a JSON object;[^\\n]*\\n$`,
      ),
    );
    expect(existsSync(join(dataDir, 'capi-fn.lock'))).toBe(false);
  });

  it('a corrupt last record is reported with file and offset, and the server starts without it', async () => {
    const dataDir = join(dir, 'corrupt-tail');
    mkdirSync(join(dataDir, 'store'), { recursive: true });
    const log = join(dataDir, 'store', 'wal.log');
    writeFileSync(log, `${rec(1, 'a')}{"rv":2,"k":"configmaps","ns"\n`);
    const server = run(dataDir);
    await server.ready;
    expect(server.stderr()).toContain(
      `storage: discarding the corrupt last record of ${log} at byte ${Buffer.byteLength(rec(1, 'a'))} (line 2)`,
    );
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });
});
