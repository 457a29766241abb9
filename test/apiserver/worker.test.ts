// The API server on a thread of its own (local/apiserver/worker.ts), as the embedded default runs it: it serves
// the same REST protocol with the CRDs it was given, keeps what it wrote in its data folder across a restart,
// forwards its log lines, reports a port in use with the code the embedded default reads, and its stop ends
// the thread.
import { closeSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { startApiServerInWorker } from '../../local/apiserver/worker.ts';
import { Client, W, widget, widgetCrd } from './helpers.ts';

const started: ApiServer[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
});

async function start(o: Parameters<typeof startApiServerInWorker>[0]): Promise<{ api: ApiServer; c: Client }> {
  const api = await startApiServerInWorker(o);
  started.push(api);
  return { api, c: new Client(api) };
}

describe('the API server on a worker thread', () => {
  it('serves CRDs, writes and its kubeconfig; keeps its data across a restart; stop ends the thread', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-worker-'));
    const lines: string[] = [];
    const { api, c } = await start({ dataDir, crds: [widgetCrd()], logger: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes(`serving on ${api.url}`))).toBe(true);

    const created = await c.call('POST', W(), { body: widget('w1') });
    expect(created.status).toBe(201);
    const got = await c.call('GET', `${W()}/w1`);
    expect(got.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(api.kubeconfig()).toContain(api.url);
    const kc = join(dataDir, 'kc');
    await api.writeKubeconfig(kc);
    expect(readFileSync(kc, 'utf8')).toBe(api.kubeconfig());

    // A continue token from before compaction has expired (410) once the thread has forgotten its history.
    await c.call('POST', W(), { body: widget('w2') });
    const page = await c.call('GET', `${W()}?limit=1`);
    await c.call('POST', W(), { body: widget('w3') });
    await api.compactHistory();
    const expired = await c.call('GET', `${W()}?limit=1&continue=${page.body.metadata.continue}`);
    expect(expired.status).toBe(410);

    await api.stop();
    started.splice(0);
    await expect(c.call('GET', `${W()}/w1`)).rejects.toThrow();

    const again = await start({ dataDir, crds: [widgetCrd()] });
    expect((await again.c.call('GET', `${W()}/w1`)).body.metadata.uid).toBe(created.body.metadata.uid);
  });

  it('a port in use fails the start with EADDRINUSE', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startApiServerInWorker({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }
  });

  it('a stop whose last flush fails rejects with the reason, and the thread still ends', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-worker-'));
    const api = await startApiServerInWorker({ dataDir, crds: [widgetCrd()] });
    await new Client(api).call('POST', W(), { body: widget('w1') });
    // The thread's write-ahead log descriptor is the process's: closing it here makes the log's close fail there.
    const wal = join(dataDir, 'store', 'wal.log');
    const fd = readdirSync('/proc/self/fd').find((f) => {
      try {
        return readlinkSync(`/proc/self/fd/${f}`) === wal;
      } catch {
        return false;
      }
    });
    expect(fd).toBeDefined();
    closeSync(Number(fd));
    await expect(api.stop()).rejects.toThrow(/stop failed/);
    await expect(new Client(api).call('GET', `${W()}/w1`)).rejects.toThrow();
  });
});
