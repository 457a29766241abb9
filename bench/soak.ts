// Soak: the embedded default (API server on a data directory, in-process bus, bridge, core handlers, local provider
// with simulated kubelets) with a MachineSet scaled to a random size every few seconds, for a long time. Every
// sample: process RSS and heap, open file descriptors, the data directory's WAL and snapshot sizes, and event-loop
// delay (p99 and max since the last sample). At the end: each figure's first, last and peak, its growth per hour
// over the second half of the run (a leak shows as steady growth there), how often the WAL compacted, and whether
// the set still converges. Prints, never asserts; not part of CI.
//
//   node bench/soak.ts            (npm run bench -- soak)
//   SOAK_MINUTES=30  SOAK_SAMPLE_S=60  SOAK_PERIOD_S=5  SOAK_MAX=10  SOAK_WAL_COMPACT_MIB=64  SOAK_EVENT_TTL_MIN=10  SOAK_HEAP_DIR=<dir>
//
// The event TTL is kube-apiserver's --event-ttl (1 h by default there and in the embedded default). Events are the
// one kind whose count only falls by TTL, so a run shorter than about twice the TTL shows them filling the store as
// steady growth; the default of 10 minutes here lets a 30-minute run reach the steady state. Each sample also
// prints what the API server's storage holds (objects, Events, the kept watch history) so growth can be traced.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LocalCloud } from '../functions/providers/local/cloud.ts';
import { coreHandlers, localProviderHandlers } from '../functions/registry.ts';
import { startApiServer } from '../local/apiserver/index.ts';
import { createMissing, SAMPLE_CLUSTER, sampleObjects } from '../local/embedded/sample.ts';
import { startHost } from '../local/host/host.ts';
import type { KubeObject } from '../shared/api/meta.ts';
import { InProcessBus } from '../shared/bus/in-process.ts';
import { KubeClient } from '../shared/kube/client.ts';
import { HttpsTransport } from '../shared/kube/transport.ts';
import { machines, scaleTo } from '../test/core/observe.ts';
import { allCrds, connectionFor } from '../test/support/env.ts';
import { intEnv, table } from './support/figures.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_MS = intEnv('SOAK_SAMPLE_S', 60) * 1000;
const PERIOD_MS = intEnv('SOAK_PERIOD_S', 5) * 1000;
const MAX = intEnv('SOAK_MAX', 10);
const COMPACT = intEnv('SOAK_WAL_COMPACT_MIB', 64) * 2 ** 20;
const EVENT_TTL_MIN = Number(process.env.SOAK_EVENT_TTL_MIN ?? 10);
/** A folder to write a heap snapshot into at every sample (after the forced collection), to find what grows. */
const HEAP_DIR = process.env.SOAK_HEAP_DIR;
/** The API server's kept watch history (changes; default its own 10,000): smaller reaches the steady state sooner. */
const WATCH_HISTORY = process.env.SOAK_WATCH_HISTORY ? Number(process.env.SOAK_WATCH_HISTORY) : undefined;

// heapUsed alone rises until V8 decides on a full collection, which looks like growth; a collection forced just
// before each sample shows what is really retained ("live heap"). Run after the lag is read, so its pause is not
// counted as event-loop lag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  walMiB: number;
  snapshotMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
  machines: number;
  liveHeapMiB: number;
  objects: number;
  events: number;
  historyChanges: number;
  historyMiB: number;
}

const mib = (b: number) => b / 2 ** 20;
const size = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-soak-'));
const api = await startApiServer({
  crds: allCrds(),
  dataDir,
  walCompactBytes: COMPACT,
  eventTtlMs: EVENT_TTL_MIN * 60_000,
  ...(WATCH_HISTORY ? { watchHistory: WATCH_HISTORY } : {}),
});
const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'soak' });
const cloud = new LocalCloud({ kube, defaultBootDelayMs: 0 });
const bus = new InProcessBus({ concurrency: 16, serializeBySubject: true, maxAttempts: 12 });
const host = await startHost({
  kube,
  bus,
  handlers: [...coreHandlers, ...localProviderHandlers(() => cloud)],
  kubeFor: () => new KubeClient(new HttpsTransport(connectionFor(api))),
  checkpoint: { namespace: 'kube-system', name: 'capi-fn-bridge' },
});
await createMissing(kube, sampleObjects({ replicas: 0 }) as KubeObject[]);
const msName = `${SAMPLE_CLUSTER}-worker-local-a`;

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const samples: Sample[] = [];
let compactions = 0;
let lastWal = 0;
const t0 = Date.now();
const sample = async () => {
  const wal = size(join(dataDir, 'store', 'wal.log'));
  if (wal < lastWal) compactions++;
  lastWal = wal;
  const mem = process.memoryUsage();
  const lagP99Ms = lag.percentile(99) / 1e6;
  const lagMaxMs = lag.max / 1e6;
  gc();
  const liveHeapMiB = mib(process.memoryUsage().heapUsed);
  if (HEAP_DIR) writeHeapSnapshot(join(HEAP_DIR, `soak-${String(samples.length).padStart(3, '0')}.heapsnapshot`));
  const stats = api.storeStats();
  samples.push({
    minute: (Date.now() - t0) / 60_000,
    rssMiB: mib(mem.rss),
    heapMiB: mib(mem.heapUsed),
    fds: readdirSync('/proc/self/fd').length,
    walMiB: mib(wal),
    snapshotMiB: mib(size(join(dataDir, 'store', 'snapshot.json'))),
    lagP99Ms,
    lagMaxMs,
    liveHeapMiB,
    machines: (await machines(kube).catch(() => [])).length,
    objects: Object.values(stats.objects).reduce((a, n) => a + n, 0),
    events: (stats.objects.events ?? 0) + (stats.objects['events.k8s.io/events'] ?? 0),
    historyChanges: stats.historyChanges,
    historyMiB: mib(stats.historyBytes),
  });
  lag.reset();
  const s = samples.at(-1)!;
  console.log(
    `t=${s.minute.toFixed(1)} min rss ${s.rssMiB.toFixed(0)} MiB heap ${s.heapMiB.toFixed(0)} MiB (live ${s.liveHeapMiB.toFixed(0)}) fds ${s.fds} wal ${s.walMiB.toFixed(1)} MiB ` +
      `snapshot ${s.snapshotMiB.toFixed(1)} MiB lag p99 ${s.lagP99Ms.toFixed(1)} ms max ${s.lagMaxMs.toFixed(0)} ms machines ${s.machines} ` +
      `objects ${s.objects} (events ${s.events}) history ${s.historyChanges} changes ${s.historyMiB.toFixed(1)} MiB`,
  );
};

console.log(
  `soak: ${MINUTES} min, a MachineSet scaled to 0–${MAX} every ${PERIOD_MS / 1000} s, sampled every ${SAMPLE_MS / 1000} s, event TTL ${EVENT_TTL_MIN} min (node ${process.version})`,
);
await sample();
let scales = 0;
let nextSample = Date.now() + SAMPLE_MS;
let seed = 1;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
while (Date.now() - t0 < MINUTES * 60_000) {
  await scaleTo(kube, msName, Math.floor(random() * (MAX + 1))).catch((e: unknown) =>
    console.log(`scale failed: ${String(e)}`),
  );
  scales++;
  await new Promise((r) => setTimeout(r, PERIOD_MS));
  if (Date.now() >= nextSample) {
    await sample();
    nextSample += SAMPLE_MS;
  }
}
await scaleTo(kube, msName, 0);
const quietBy = Date.now() + 120_000;
while ((await machines(kube)).length && Date.now() < quietBy) await new Promise((r) => setTimeout(r, 500));
await sample();

/** Growth per hour over the second half: a least-squares slope of the samples there. */
const slope = (k: keyof Sample) => {
  const xs = samples.filter((s) => s.minute >= samples.at(-1)!.minute / 2);
  if (xs.length < 2) return 0;
  const mx = xs.reduce((a, s) => a + s.minute, 0) / xs.length;
  const my = xs.reduce((a, s) => a + (s[k] as number), 0) / xs.length;
  const num = xs.reduce((a, s) => a + (s.minute - mx) * ((s[k] as number) - my), 0);
  const den = xs.reduce((a, s) => a + (s.minute - mx) ** 2, 0);
  return den ? (num / den) * 60 : 0;
};
const row = (k: keyof Sample, unit: string) => [
  k,
  `${(samples[0]![k] as number).toFixed(1)} ${unit}`,
  `${(samples.at(-1)![k] as number).toFixed(1)} ${unit}`,
  `${Math.max(...samples.map((s) => s[k] as number)).toFixed(1)} ${unit}`,
  `${slope(k).toFixed(1)} ${unit}/h`,
];
console.log(
  `\n${scales} scale requests in ${((Date.now() - t0) / 60_000).toFixed(1)} min; ${cloud.all().length} instances launched; ` +
    `WAL compactions ${compactions}; machines left ${(await machines(kube)).length}, live instances ${cloud.live().length}; ` +
    `dead letters ${(await bus.deadLetters()).length}`,
);
console.log(
  table(
    ['figure', 'first', 'last', 'peak', 'growth over the second half'],
    [
      row('rssMiB', 'MiB'),
      row('heapMiB', 'MiB'),
      row('liveHeapMiB', 'MiB'),
      row('fds', ''),
      row('walMiB', 'MiB'),
      row('snapshotMiB', 'MiB'),
      row('lagP99Ms', 'ms'),
      row('objects', ''),
      row('events', ''),
      row('historyChanges', ''),
      row('historyMiB', 'MiB'),
    ],
  ),
);
console.log(
  JSON.stringify({ bench: 'soak', minutes: MINUTES, eventTtlMinutes: EVENT_TTL_MIN, scales, compactions, samples }),
);
await host.stop();
await bus.close();
cloud.close();
await api.stop();
rmSync(dataDir, { recursive: true, force: true });
