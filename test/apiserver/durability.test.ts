// Durability with a data dir: every acknowledged write survives SIGKILL in the middle of a write burst, and a
// restart continues with the same objects, resourceVersions, CA and token.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { Client, startTestServer } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spawnServer(dataDir: string): Promise<{ child: ChildProcess; api: ApiServer }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/server-process.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        const info = JSON.parse(buf.slice(0, i)) as { url: string; token: string; caPem: string };
        // Only what Client needs; the process is driven over HTTPS.
        const api = {
          ...info,
          port: 0,
          kubeconfig: () => '',
          writeKubeconfig: async () => {},
          compactHistory: () => {},
          storeStats: () => ({ objects: {}, historyChanges: 0, historyBytes: 0 }),
          stop: async () => {},
        };
        resolve({ child, api });
      }
    });
    child.on('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  });
}

describe('durability', () => {
  it('keeps every acknowledged write across SIGKILL during a write burst', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-durable-'));
    dirs.push(dataDir);
    const { child, api } = await spawnServer(dataDir);
    const c = new Client(api);
    const CM = '/api/v1/namespaces/default/configmaps';
    const created = new Map<string, string>();
    let counterAck = -1;
    await c.post(CM, { metadata: { name: 'counter' }, data: { n: '0' } });
    let killed = false;
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const creators = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        const name = `d-${w}-${i}`;
        try {
          const r = await c.post(CM, { metadata: { name }, data: { i: String(i) } });
          if (r.status === 201) created.set(name, r.body.metadata.resourceVersion);
        } catch {
          return;
        }
        if (created.size >= 150 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    const updater = (async () => {
      for (let n = 1; !killed; n++) {
        try {
          const r = await c.put(`${CM}/counter`, { metadata: { name: 'counter' }, data: { n: String(n) } });
          if (r.status === 200) counterAck = n;
        } catch {
          return;
        }
      }
    })();
    await Promise.all([...creators, updater]);
    await exited;
    expect(created.size).toBeGreaterThanOrEqual(150);

    const { api: again, c: c2 } = await startTestServer({ dataDir });
    try {
      expect(again.token).toBe(api.token);
      expect(again.caPem).toBe(api.caPem);
      const list = await c2.get(CM);
      const byName = new Map<string, { metadata: { resourceVersion: string }; data: Record<string, string> }>(
        list.body.items.map((o: { metadata: { name: string } }) => [o.metadata.name, o]),
      );
      for (const [name, rv] of created) {
        const o = byName.get(name);
        expect(o, `acknowledged create ${name} lost`).toBeDefined();
        expect(o!.metadata.resourceVersion).toBe(rv);
      }
      expect(Number(byName.get('counter')!.data.n)).toBeGreaterThanOrEqual(counterAck);
      const maxRv = Math.max(...[...created.values()].map(Number));
      const next = await c2.post(CM, { metadata: { name: 'after-restart' } });
      expect(Number(next.body.metadata.resourceVersion)).toBeGreaterThan(maxRv);
    } finally {
      await again.stop();
    }
  });

  it('a clean restart continues with the same objects, resourceVersions and watch position', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-restart-'));
    dirs.push(dataDir);
    const first = await startTestServer({ dataDir });
    const a = await first.c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'a' },
      data: { x: '1' },
    });
    // The newest write before the stop is a deletion: no stored object carries its resourceVersion.
    await first.c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'gone' } });
    expect((await first.c.delete('/api/v1/namespaces/default/configmaps/gone')).status).toBe(200);
    const list = await first.c.get('/api/v1/namespaces/default/configmaps');
    await first.api.stop();
    const second = await startTestServer({ dataDir });
    try {
      const got = await second.c.get('/api/v1/namespaces/default/configmaps/a');
      expect(got.body.metadata.resourceVersion).toBe(a.body.metadata.resourceVersion);
      expect(got.body.metadata.uid).toBe(a.body.metadata.uid);
      const w = second.c.watch(
        `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`,
      );
      const b = await second.c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'b' } });
      expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(list.body.metadata.resourceVersion));
      await w.until((e) => e.length === 1);
      w.stop();
      expect(w.events[0].object.metadata.name).toBe('b');
    } finally {
      await second.api.stop();
    }
  });
});
