// Embedded API server figures: creates/s and updates/s of a custom resource (in memory and with a data dir),
// watch fan-out latency to 10 watchers, time to list 10,000 objects, peak RSS. Client and server share this
// process (and the machine's 2 cores), so the figures include client-side JSON and TLS work; the data-dir figure
// is also measured with the server in a process of its own (bench/support/apiserver-process.ts), as kubectl or a
// deployed function reaches it, which leaves the client's work on the other core. Prints, never asserts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ApiServer, startApiServer } from '../local/apiserver/index.ts';
import { startApiServerInWorker } from '../local/apiserver/worker.ts';
import { widgetCrd } from '../test/apiserver/helpers.ts';

const CONCURRENCY = 16;
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 4000);

type Endpoint = Pick<ApiServer, 'url' | 'token' | 'caPem'>;

function client(api: Endpoint) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: api.caPem });
  return (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; json: () => Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        new URL(path, api.url),
        {
          method,
          agent,
          headers: {
            Authorization: `Bearer ${api.token}`,
            Accept: 'application/json',
            ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) as Record<string, unknown> });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
}

async function pool(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
  return (performance.now() - t0) / 1000;
}

const W = '/apis/example.com/v1/namespaces/default/widgets';
const widget = (name: string, replicas: number) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec: { replicas },
});

/** The server in a child process: its address, and how to stop it. */
async function serverProcess(dataDir: string): Promise<Endpoint & { stop(): Promise<void>; cpuSeconds(): number }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'support', 'apiserver-process.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<Endpoint>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(JSON.parse(buf.slice(0, i)) as Endpoint);
    });
    child.once('exit', (code) => reject(new Error(`the server process exited early (${code})`)));
  });
  return {
    ...info,
    cpuSeconds: () => {
      // utime + stime of the server process, in clock ticks of 1/100 s; /proc is Linux's (elsewhere: not printed).
      try {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        return Number.NaN;
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function writes(
  label: string,
  dataDir: string | undefined,
  n: number,
  o: { ownProcess?: boolean; thread?: boolean } = {},
): Promise<void> {
  const opts = { crds: [widgetCrd()], ...(dataDir ? { dataDir } : {}) };
  const api =
    o.ownProcess && dataDir
      ? await serverProcess(dataDir)
      : o.thread
        ? await startApiServerInWorker(opts)
        : await startApiServer(opts);
  const call = client(api);
  // Warm-up (TLS sessions, and V8 optimising the request path) outside the measurement. It takes thousands of
  // requests: after 200, the same server measured 2,000 creates/s over its next 4,000 and 3,900-4,400/s after them,
  // and a server's throughput is its steady state.
  await pool(WARM_UP, async (i) => {
    await call('POST', W, widget(`warm${i}`, 1));
    await call('PATCH', `${W}/warm${i}`, { spec: { replicas: 2 } }, 'application/merge-patch+json');
  });
  const cpu0 = 'cpuSeconds' in api ? api.cpuSeconds() : undefined;
  const createSecs = await pool(n, async (i) => {
    const r = await call('POST', W, widget(`w${i}`, 1));
    if (r.status !== 201) throw new Error(`create ${r.status}`);
  });
  const serverCpu =
    cpu0 !== undefined && Number.isFinite(cpu0) && 'cpuSeconds' in api
      ? `; the server's CPU ${(((api.cpuSeconds() - cpu0) * 1e6) / n).toFixed(0)} µs per create`
      : '';
  const updateSecs = await pool(n, async (i) => {
    const r = await call('PATCH', `${W}/w${i}`, { spec: { replicas: 2 } }, 'application/merge-patch+json');
    if (r.status !== 200) throw new Error(`update ${r.status}`);
  });
  console.log(
    `${label}: ${(n / createSecs).toFixed(0)} creates/s, ${(n / updateSecs).toFixed(0)} updates/s (${n} each, ${CONCURRENCY} concurrent, after ${WARM_UP} of each${serverCpu})`,
  );
  await api.stop();
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function fanOut(): Promise<void> {
  const api = await startApiServer({ crds: [widgetCrd()] });
  const call = client(api);
  await call('POST', W, widget('fan', 0));
  const list = (await call('GET', W)).json();
  const rv = String((list.metadata as Record<string, unknown>).resourceVersion);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const UPDATES = 300;
  const WATCHERS = 10;
  let received = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    allDone = r;
  });
  const watchers = Array.from({ length: WATCHERS }, () => {
    const req = request(new URL(`${W}?watch=true&resourceVersion=${rv}`, api.url), {
      headers: { Authorization: `Bearer ${api.token}` },
      ca: api.caPem,
    });
    req.on('response', (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          const ev = JSON.parse(buf.slice(0, i)) as { object: { metadata: { annotations?: Record<string, string> } } };
          buf = buf.slice(i + 1);
          const t = sentAt.get(ev.object.metadata.annotations?.seq ?? '');
          if (t !== undefined) latencies.push(performance.now() - t);
          if (++received === UPDATES * WATCHERS) allDone();
          i = buf.indexOf('\n');
        }
      });
    });
    req.on('error', () => {});
    req.end();
    return req;
  });
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 1; i <= UPDATES; i++) {
    sentAt.set(String(i), performance.now());
    const r = await call(
      'PATCH',
      `${W}/fan`,
      { metadata: { annotations: { seq: String(i) } } },
      'application/merge-patch+json',
    );
    if (r.status !== 200) throw new Error(`update ${r.status}`);
  }
  await done;
  for (const w of watchers) w.destroy();
  console.log(
    `watch fan-out to ${WATCHERS} watchers (${UPDATES} sequential updates, write start → event received): p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
  await api.stop();
}

async function bigList(): Promise<void> {
  const api = await startApiServer();
  const call = client(api);
  const N = 10_000;
  await pool(N, async (i) => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: `cm-${i}`, labels: { i: String(i % 10) } },
      data: { k: 'v'.repeat(64) },
    });
    if (r.status !== 201) throw new Error(`create ${r.status}`);
  });
  const time = async (label: string, path: string, accept = 'application/json') => {
    const t0 = performance.now();
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL(path, api.url),
        { headers: { Authorization: `Bearer ${api.token}`, Accept: accept }, ca: api.caPem },
        (res) => {
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
          });
          res.on('end', () => resolve(size));
        },
      );
      req.on('error', reject);
      req.end();
    });
    console.log(`list ${N} objects, ${label}: ${(performance.now() - t0).toFixed(0)} ms (${(r / 1e6).toFixed(1)} MB)`);
  };
  await time('JSON', '/api/v1/namespaces/default/configmaps');
  await time('Table', '/api/v1/namespaces/default/configmaps', 'application/json;as=Table;v=v1;g=meta.k8s.io');
  await time('label-selected 1/10, JSON', '/api/v1/namespaces/default/configmaps?labelSelector=i%3D3');
  await api.stop();
}

const dir = mkdtempSync(join(tmpdir(), 'capi-fn-bench-'));
try {
  await writes('in memory', undefined, 4000);
  await writes('data dir (fsync per batch)', join(dir, 'data'), 4000);
  await writes('data dir, server in its own process', join(dir, 'data-own'), 10000, { ownProcess: true });
  // How the embedded default runs it (local/apiserver/worker.ts).
  await writes('data dir, server on a worker thread', join(dir, 'data-thread'), 10000, { thread: true });
  await fanOut();
  await bigList();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
