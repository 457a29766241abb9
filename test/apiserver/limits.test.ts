// Resource limits of the embedded API server (audit 8 and 9): what a client that stops reading, sends too much,
// or opens too much can cost the server, and how the server answers it.
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
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

/** A raw TLS connection to `server`, resolved once the handshake is done; `closed` settles when the server cuts it. */
function rawTls(server: ApiServer) {
  const sock = tlsConnect({ host: '127.0.0.1', port: server.port, ca: server.caPem, servername: 'localhost' });
  let received = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    received += d;
  });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.on('error', () => {});
  const ready = new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
  });
  return {
    sock,
    ready,
    closed,
    get received() {
      return received;
    },
  };
}

/**
 * One request whose body is sent only up to `sendBytes` of a declared `declaredBytes`. `answer` settles on the
 * response; `accepted` once the server has taken the request up (it sends 100 Continue just before handling it);
 * `finish()` sends the rest of the body.
 */
function partialBodyRequest(
  server: ApiServer,
  method: string,
  path: string,
  declaredBytes: number,
  sendBytes: number,
  token: string | null,
) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(declaredBytes),
    Expect: '100-continue',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  let onAccepted: () => void = () => {};
  const accepted = new Promise<void>((r) => {
    onAccepted = r;
  });
  const req = request(new URL(path, server.url), { method, headers, ca: server.caPem, agent: false });
  const answer = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      onAccepted();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.on('continue', () => {
    onAccepted();
    req.write(Buffer.alloc(sendBytes, 0x20));
  });
  req.flushHeaders();
  return {
    answer,
    accepted,
    finish: () => req.end(Buffer.alloc(declaredBytes - sendBytes, 0x20)),
  };
}

describe('unauthenticated exhaustion (audit 9)', () => {
  let small: ApiServer;
  let sc: Client;
  beforeAll(async () => {
    ({ api: small, c: sc } = await startTestServer({
      limits: { idleTimeoutMs: 300, headersTimeoutMs: 400, requestTimeoutMs: 400, maxInFlightPerClient: 2 },
    }));
  });
  afterAll(() => small.stop());

  it('public paths answer GET and HEAD only, and refuse a body without reading it', async () => {
    const post = await sc.call('POST', '/healthz', { raw: 'x'.repeat(1024), token: null });
    expect(post.status).toBe(405);
    expect(post.body).toMatchObject({ kind: 'Status', code: 405, reason: 'MethodNotAllowed' });
    expect((await sc.call('DELETE', '/version', { token: null })).status).toBe(405);
    expect((await sc.call('HEAD', '/readyz', { token: null })).status).toBe(200);
    expect((await sc.get('/livez', { token: null })).text).toBe('ok');
    // 3 MB declared, 64 KiB sent, the rest never: the answer cannot have waited for the body.
    const partial = await partialBodyRequest(small, 'POST', '/healthz', 3_000_000, 64 * 1024, null).answer;
    expect(partial.status).toBe(405);
    expect(partial.headers.connection).toBe('close');
    const anon = await partialBodyRequest(small, 'POST', '/api/v1/namespaces', 3_000_000, 64 * 1024, null).answer;
    expect(anon.status).toBe(401);
    expect(anon.headers.connection).toBe('close');
  });

  it('closes connections that stay idle, send headers too slowly or never finish their body; watches stay', async () => {
    const cm = '/api/v1/namespaces/default/configmaps';
    const list = await sc.get(cm);
    const quiet = sc.watch(`${cm}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    const idle = rawTls(small);
    await idle.ready;
    await idle.closed;
    const slowHeaders = rawTls(small);
    await slowHeaders.ready;
    slowHeaders.sock.write('GET /api HTTP/1.1\r\nHost: localhost\r\n');
    // One header line at a time keeps the connection busy, so only the headers timeout can end it.
    const trickle = setInterval(() => slowHeaders.sock.write('X-Slow: y\r\n'), 50);
    await slowHeaders.closed;
    clearInterval(trickle);
    const slowBody = rawTls(small);
    await slowBody.ready;
    slowBody.sock.write(
      `POST /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${small.token}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{`,
    );
    const drip = setInterval(() => slowBody.sock.write(' '), 50);
    await slowBody.closed;
    clearInterval(drip);
    // The quiet watch outlived all of that and still delivers.
    await sc.post(cm, { metadata: { name: 'after-idle' } });
    await quiet.until((e) => e.some((x) => x.object.metadata.name === 'after-idle'));
    expect(quiet.ended).toBe(false);
    quiet.stop();
  });

  it('caps requests in flight per client with 429 and Retry-After; a finished one frees its slot', async () => {
    const held = [
      partialBodyRequest(small, 'POST', '/api/v1/namespaces', 1000, 10, small.token),
      partialBodyRequest(small, 'POST', '/api/v1/namespaces', 1000, 10, small.token),
    ];
    await Promise.all(held.map((h) => h.accepted));
    const third = await sc.get('/api/v1/namespaces');
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('1');
    expect(third.body).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
    expect(third.body.details.retryAfterSeconds).toBe(1);
    held[0]!.finish();
    expect((await held[0]!.answer).status).toBe(400);
    expect((await sc.get('/api/v1/namespaces')).status).toBe(200);
    held[1]!.finish();
    await held[1]!.answer;
  });
});

describe('connection and watch caps (audit 9)', () => {
  let small: ApiServer;
  let sc: Client;
  beforeAll(async () => {
    ({ api: small, c: sc } = await startTestServer({ limits: { maxConnections: 3, maxWatchesPerClient: 1 } }));
  });
  afterAll(() => small.stop());

  it('drops connections beyond maxConnections and serves again once they close', async () => {
    const held = [rawTls(small), rawTls(small), rawTls(small)];
    await Promise.all(held.map((h) => h.ready));
    const over = rawTls(small);
    await expect(over.ready).rejects.toThrow();
    for (const h of held) h.sock.destroy();
    await Promise.all(held.map((h) => h.closed));
    let ok = 0;
    for (let i = 0; i < 50 && ok !== 200; i++)
      ok = (await sc.get('/api/v1/namespaces').catch(() => ({ status: 0 }))).status;
    expect(ok).toBe(200);
  });

  it('caps open watches per client with 429; closing one frees its slot', async () => {
    const first = sc.watch('/api/v1/namespaces?watch=true');
    await first.until((e) => e.length > 0);
    const second = await sc.get('/api/v1/namespaces?watch=true');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('1');
    first.stop();
    // The server frees the slot when it sees the connection close, which may come after the next request.
    let third = sc.watch('/api/v1/namespaces?watch=true');
    for (let i = 0; i < 50; i++) {
      await third.until((e) => e.length > 0 || third.ended).catch(() => {});
      if (third.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
      third = sc.watch('/api/v1/namespaces?watch=true');
    }
    expect(third.status).toBe(200);
    expect(third.events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Namespace' } });
    third.stop();
  });
});
