// Event-to-handler latency (p50/p99/max) and events per second, one event at a time and in a burst:
//   bus      publish a ResourceEvent on the in-process bus → the subscribed deliver function starts
//   runtime  the same through the local host's runtime (validation, routing) → a handler's reconcile starts
//   bridge   a write to the embedded API server → watch → bridge → bus → runtime → reconcile starts
//            (timed from just before the create request; matched by object name); once with the
//            bridge's defaults (batches of 10; an event waits flushDelayMs = 50 ms, in which later
//            modifications of its object fold into it) and once with flushDelayMs 0, to show what the
//            wait costs a lone event.
// Client, API server, bridge and handler share this process and the machine's cores. Prints, never asserts.
//
//   node bench/events.ts
//   BENCH_EVENTS=1000 BENCH_BURST=1000 BENCH_WRITE_CONCURRENCY=32 BENCH_BUS_CONCURRENCY=16 node bench/events.ts
import { cpus } from 'node:os';
import { Bridge } from '../functions/bridge/bridge.ts';
import { startApiServer } from '../local/apiserver/index.ts';
import { startHost } from '../local/host/host.ts';
import { InProcessBus } from '../shared/bus/in-process.ts';
import { newResourceEvent, type ResourceEvent } from '../shared/events/resource-event.ts';
import { KubeClient } from '../shared/kube/client.ts';
import { HttpsTransport, type Transport } from '../shared/kube/transport.ts';
import { defineHandler, type HandlerDefinition } from '../shared/runtime/handler.ts';
import { watchedKinds } from '../shared/runtime/watched-kinds.ts';
import { connectionFor } from '../test/support/env.ts';
import {
  boundedPool,
  intEnv,
  type LatencySummary,
  load1,
  ms,
  now,
  rounded,
  rssSampler,
  summarize,
  table,
} from './support/figures.ts';

/** Events measured one at a time, per path. */
const SEQUENTIAL = intEnv('BENCH_EVENTS', 1_000);
/** Events in the burst, per path. */
const BURST = intEnv('BENCH_BURST', 1_000);
/** API writes in flight during the bridge burst (bus publishes are synchronous, so all are in flight). */
const WRITE_CONCURRENCY = intEnv('BENCH_WRITE_CONCURRENCY', 32);
/** Deliveries running at once per handler (the embedded default's value). */
const BUS_CONCURRENCY = intEnv('BENCH_BUS_CONCURRENCY', 16);
const WARMUP = 50;
const TIMEOUT_MS = 120_000;

/** Send times by key; latency is recorded on the first arrival of each key. */
class Tracker {
  private readonly sentAt = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private latencies: number[] = [];
  private remaining = 0;
  private allIn: (() => void) | undefined;

  mark(key: string): void {
    this.sentAt.set(key, now());
  }

  arrived(key: string): void {
    const t = this.sentAt.get(key);
    if (t === undefined) return;
    this.sentAt.delete(key);
    this.latencies.push(now() - t);
    this.waiters.get(key)?.();
    this.waiters.delete(key);
    if (this.allIn && --this.remaining === 0) this.allIn();
  }

  /** One event at a time: mark, send, wait for its arrival. */
  async sequential(keys: string[], send: (key: string) => Promise<void>): Promise<LatencySummary> {
    this.latencies = [];
    const t0 = now();
    for (const key of keys) {
      const arrived = new Promise<void>((r) => this.waiters.set(key, r));
      this.mark(key);
      await send(key);
      await withTimeout(arrived, `event ${key}`);
    }
    return summarize(this.latencies, now() - t0);
  }

  /** Everything at once, at most `limit` sends in flight. */
  async burst(keys: string[], limit: number, send: (key: string) => Promise<void>): Promise<LatencySummary> {
    this.latencies = [];
    this.remaining = keys.length;
    const allIn = new Promise<void>((r) => {
      this.allIn = r;
    });
    const t0 = now();
    await boundedPool(keys.length, limit, async (i) => {
      this.mark(keys[i]!);
      await send(keys[i]!);
    });
    await withTimeout(allIn, `${this.remaining} of ${keys.length} burst events`);
    this.allIn = undefined;
    return summarize(this.latencies, now() - t0);
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

const GROUP = 'bench.capi-fn.io';
const BENCH_KIND = 'BenchEvent';

function busEvent(name: string): ResourceEvent {
  return newResourceEvent({
    type: 'io.capifn.resource.added',
    source: 'bench://events',
    ref: { apiVersion: `${GROUP}/v1`, kind: BENCH_KIND, namespace: 'default', name, uid: `uid-${name}` },
    resourceVersion: '1',
    generation: 1,
  });
}

interface Row {
  path: string;
  mode: 'sequential' | 'burst';
  inFlight: number;
  figures: LatencySummary;
}

/** One event at a time, then a burst of BURST in flight, through `send`. */
async function sequentialAndBurst(
  rows: Row[],
  path: string,
  tracker: Tracker,
  send: (name: string) => Promise<void>,
): Promise<void> {
  rows.push({ path, mode: 'sequential', inFlight: 1, figures: await tracker.sequential(keys('s', SEQUENTIAL), send) });
  rows.push({ path, mode: 'burst', inFlight: BURST, figures: await tracker.burst(keys('b', BURST), BURST, send) });
}

async function busAlone(rows: Row[]): Promise<void> {
  const bus = new InProcessBus({ concurrency: BUS_CONCURRENCY });
  const tracker = new Tracker();
  await bus.subscribe(
    { handler: 'bench-bus', kinds: [{ group: GROUP, kind: BENCH_KIND }], statusChanges: true },
    async (raw) => {
      tracker.arrived((raw as ResourceEvent).data.ref.name);
      return { status: 'done' };
    },
  );
  const send = (name: string) => bus.publish([busEvent(name)]);
  await tracker.sequential(keys('warm', WARMUP), send);
  await sequentialAndBurst(rows, 'bus', tracker, send);
  await bus.close();
}

function benchHandler(
  tracker: Tracker,
  kind: { group: string; version: string; kind: string },
): HandlerDefinition<unknown> {
  return defineHandler({
    name: 'bench-handler',
    reconciles: { apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, kind: kind.kind },
    watches: [{ group: kind.group, kind: kind.kind, version: kind.version }],
    async reconcile(ref) {
      tracker.arrived(ref.name);
      return undefined;
    },
  }) as HandlerDefinition<unknown>;
}

/** A transport for a host that never talks to an API server. */
const noApi: Transport = {
  server: 'https://no-api.invalid',
  namespace: 'default',
  request: () => Promise.reject(new Error('no API server in this bench')),
  stream: () => Promise.reject(new Error('no API server in this bench')),
};

async function busAndRuntime(rows: Row[]): Promise<void> {
  const bus = new InProcessBus({ concurrency: BUS_CONCURRENCY });
  const tracker = new Tracker();
  const host = await startHost({
    kube: new KubeClient(noApi),
    bus,
    bridge: false,
    handlers: [benchHandler(tracker, { group: GROUP, version: 'v1', kind: BENCH_KIND })],
  });
  const send = (name: string) => bus.publish([busEvent(name)]);
  await tracker.sequential(keys('warm', WARMUP), send);
  await sequentialAndBurst(rows, 'bus → runtime → reconcile', tracker, send);
  await host.stop();
  await bus.close();
}

async function throughBridge(rows: Row[], flushDelayMs: number | undefined): Promise<void> {
  const api = await startApiServer({});
  const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'bench' });
  const bus = new InProcessBus({ concurrency: BUS_CONCURRENCY });
  const tracker = new Tracker();
  const kind = { group: '', version: 'v1', kind: 'ConfigMap' };
  const handlers = [benchHandler(tracker, kind)];
  // The checkpoint ConfigMap lives in kube-system; only `default` is watched, so it wakes nothing.
  const checkpoint = { namespace: 'kube-system', name: 'capi-fn-bridge' };
  const host = await startHost({
    kube,
    bus,
    handlers,
    namespace: 'default',
    checkpoint,
    bridge: flushDelayMs === undefined,
  });
  let bridge: Bridge | undefined;
  if (flushDelayMs !== undefined) {
    bridge = new Bridge({
      kube,
      bus,
      kinds: watchedKinds(handlers),
      source: 'capi-fn/local',
      checkpoint,
      namespace: 'default',
      flushDelayMs,
    });
    await bridge.start();
  }
  const send = async (name: string) => {
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default' },
      data: { k: 'v' },
    });
  };
  const label = `API write → bridge → reconcile${flushDelayMs === undefined ? '' : ` (flushDelayMs ${flushDelayMs})`}`;
  await tracker.sequential(keys('warm', WARMUP), send);
  rows.push({
    path: label,
    mode: 'sequential',
    inFlight: 1,
    figures: await tracker.sequential(keys('s', SEQUENTIAL), send),
  });
  rows.push({
    path: label,
    mode: 'burst',
    inFlight: WRITE_CONCURRENCY,
    figures: await tracker.burst(keys('b', BURST), WRITE_CONCURRENCY, send),
  });
  await bridge?.stop();
  await host.stop();
  await bus.close();
  await api.stop();
}

async function main(): Promise<void> {
  console.log(
    `events benchmark — node ${process.version}, ${cpus().length} cores; ${SEQUENTIAL} sequential and ${BURST} burst events per path, bus concurrency ${BUS_CONCURRENCY}\n`,
  );
  const loadAtStart = load1();
  const rss = rssSampler();
  const rows: Row[] = [];
  await busAlone(rows);
  await busAndRuntime(rows);
  await throughBridge(rows, undefined);
  await throughBridge(rows, 0);
  const peakRss = rss.stop();
  console.log(
    table(
      ['path', 'mode', 'in flight', 'N', 'p50 ms', 'p99 ms', 'max ms', 'events/s'],
      rows.map((r) => [
        r.path,
        r.mode,
        r.inFlight,
        r.figures.n,
        ms(r.figures.p50),
        ms(r.figures.p99),
        ms(r.figures.max),
        r.figures.perSecond.toFixed(0),
      ]),
    ),
  );
  const loadAtEnd = load1();
  console.log(
    `\npeak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; machine load average (1 min) ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end`,
  );
  console.log(
    JSON.stringify(
      rounded({
        bench: 'events',
        node: process.version,
        cores: cpus().length,
        busConcurrency: BUS_CONCURRENCY,
        results: rows.map((r) => ({ path: r.path, mode: r.mode, inFlight: r.inFlight, ...r.figures })),
        peakRssMiB: peakRss / 2 ** 20,
        loadAtStart,
        loadAtEnd,
      }),
    ),
  );
}

await main();
