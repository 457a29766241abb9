// Audit 4 over HTTP: one failed write-ahead-log append fails only its own request, /readyz says so while the disk
// is full, and the server takes writes again once there is room, without a restart.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission } from '../admission.ts';
import { builtinDefs } from '../builtins/index.ts';
import type { ApiContext } from '../context.ts';
import { OpenApiCache } from '../openapi.ts';
import { Registry } from '../registry.ts';
import { requestHandler } from '../server.ts';
import { FakeDisk } from './fake-disk.ts';
import { Store } from './store.ts';
import { Wal } from './wal.ts';

const TOKEN = 'storage-failure-test-token';
const dir = mkdtempSync(join(tmpdir(), 'wal-http-'));
const disk = new FakeDisk();
let server: Server;
let wal: Wal;
let base = '';

beforeAll(async () => {
  const store = new Store();
  const opened = await Wal.open(dir, () => store.persistedState(), { io: disk.io, log: () => {} });
  wal = opened.wal;
  store.load(opened.state);
  store.attachWal(wal);
  const registry = new Registry();
  for (const d of builtinDefs()) registry.add(d);
  const openapi = new OpenApiCache(registry);
  const ctx = {
    store,
    registry,
    admission: new Admission(() => ctx),
    log: () => {},
    address: () => base.slice('http://'.length),
    bookmarkIntervalMs: 60_000,
    watchBufferBytes: 16 * 1024 * 1024,
    onCrdChanged: () => openapi.invalidate(),
    stopping: false,
    watches: new Set(),
  } as ApiContext;
  server = createServer(requestHandler({ ctx, token: TOKEN, openapi }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

const CM = '/api/v1/namespaces/default/configmaps';
const cm = (name: string) => ({ metadata: { name }, data: { pad: 'x'.repeat(900) } });

describe('API server on a full disk (audit 4)', () => {
  it('fails only the write the disk refused, reports it on /readyz, and recovers when the disk does', async () => {
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'default' } })).status).toBe(201);
    expect((await call('POST', CM, cm('w-0'))).status).toBe(201);
    expect((await call('GET', '/readyz')).text).toBe('ok');

    disk.logFree = 100;
    const refused = await call('POST', CM, cm('w-1'));
    expect(refused.status).toBe(500);
    expect((await call('GET', `${CM}/w-1`)).status).toBe(404);
    expect((await call('GET', `${CM}/w-0`)).status).toBe(200);
    const list = await call('GET', CM);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['w-0']);
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready).toEqual({
      status: 500,
      text: '[-]storage failed: the write-ahead log cannot be written (ENOSPC)\nreadyz check failed',
    });
    expect((await call('GET', '/livez')).status).toBe(200);
    expect((await call('POST', CM, cm('w-2'))).status).toBe(500);

    disk.logFree = Number.POSITIVE_INFINITY;
    expect(await call('GET', '/readyz')).toEqual({ status: 200, text: 'ok' });
    expect((await call('POST', CM, cm('w-3'))).status).toBe(201);
    expect((await call('POST', CM, cm('w-1'))).status).toBe(201);

    await wal.close();
    expect(
      Wal.load(dir, () => {})
        .objects.filter((o) => o[0] === 'configmaps')
        .map((o) => o[2])
        .sort(),
    ).toEqual(['w-0', 'w-1', 'w-3']);
  });
});
