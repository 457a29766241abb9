// `capi-fn apiserver` runs in the foreground, writes DIR/kubeconfig, and exits 0 on SIGTERM/SIGINT.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'capi-fn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
        stop: async () => {},
      });
      expect((await c.get('/api/v1/namespaces/default')).status).toBe(200);
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill(signal);
      expect(await exit).toBe(0);
    });
  }
});
