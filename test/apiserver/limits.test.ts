// Resource limits of the embedded API server (audit 8 and 9): what a client that stops reading, sends too much,
// or opens too much can cost the server, and how the server answers it.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, startTestServer } from './helpers.ts';

let api: ApiServer;
let c: Client;
beforeAll(async () => {
  ({ api, c } = await startTestServer({ watchBufferBytes: 256 * 1024 }));
});
afterAll(() => api.stop());

async function ns(name: string): Promise<string> {
  await c.post('/api/v1/namespaces', { metadata: { name } });
  return `/api/v1/namespaces/${name}/configmaps`;
}

/** A watch whose client does not read until `resume()`: what the bridge does while its bus is down. */
function pausedWatch(path: string) {
  const lines: string[] = [];
  let buf = '';
  let ended = false;
  let onEnd: () => void = () => {};
  const done = new Promise<void>((r) => {
    onEnd = r;
  });
  let response: import('node:http').IncomingMessage | undefined;
  const established = new Promise<void>((resolve, reject) => {
    const req = request(
      new URL(path, api.url),
      { headers: { Authorization: `Bearer ${api.token}` }, ca: api.caPem, agent: false },
      (res) => {
        response = res;
        res.pause();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          lines.push(...parts.filter((l) => l.trim()));
        });
        res.on('end', () => {
          ended = true;
          onEnd();
        });
        res.on('error', () => onEnd());
        resolve();
      },
    );
    req.on('error', reject);
    req.end();
  });
  return {
    established,
    resume: () => response?.resume(),
    done,
    // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
    events: () => lines.map((l) => JSON.parse(l) as any),
    get ended() {
      return ended;
    },
  };
}

async function eventuallyTrue(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe('watch backpressure (audit 8)', () => {
  it('closes a watch that falls more than its buffer behind with ERROR 410 Expired; a reading one is unaffected', async () => {
    const cm = await ns('stall');
    const created = await c.post(cm, { metadata: { name: 'big' }, data: { v: '' } });
    const rv = created.body.metadata.resourceVersion;
    const stalled = pausedWatch(`${cm}?watch=true&resourceVersion=${rv}`);
    await stalled.established;
    const reading = c.watch(`${cm}?watch=true&resourceVersion=${rv}`);
    // 96 updates of 128 KiB = 12 MiB: well past the kernel's socket buffers and the 256 KiB the server may queue.
    const updates = 96;
    for (let i = 0; i < updates; i++) {
      const put = await c.put(`${cm}/big`, { metadata: { name: 'big' }, data: { v: `${i}`.padEnd(128 * 1024, '.') } });
      expect(put.status).toBe(200);
    }
    await reading.until((e) => e.length === updates);
    expect(reading.events.every((e) => e.type === 'MODIFIED')).toBe(true);
    expect(reading.ended).toBe(false);
    reading.stop();

    stalled.resume();
    // Without a bound the stream would deliver every update and stay open; stop waiting at either outcome.
    await Promise.race([stalled.done, eventuallyTrue(() => stalled.events().length >= updates)]);
    const events = stalled.events();
    const last = events[events.length - 1];
    expect(last).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' },
    });
    expect(last.object.message).toMatch(/^too old resource version: \d+ \(\d+\)/);
    // What was queued before the cut arrives intact and in order; the rest was never buffered.
    const modified = events.slice(0, -1);
    expect(modified.length).toBeLessThan(updates);
    expect(modified.every((e) => e.type === 'MODIFIED')).toBe(true);
    expect(modified.map((e) => e.object.data.v.trimEnd().replace(/\.+$/, ''))).toEqual(
      modified.map((_, i) => String(i)),
    );
    expect(stalled.ended).toBe(true);
  });
});
