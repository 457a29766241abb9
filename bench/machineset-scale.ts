// MachineSet 0 → N → 0 on the embedded default with zero boot delay: the embedded API server with
// every CRD, the in-process bus, the bridge, the core handlers and the local provider (simulated
// cloud, instances boot at once and register a Ready Node), composed here as the embedded default
// composes them (bus concurrency 16, per-subject serialisation), without the periodic drift check.
//
// Figures: time from the scale request to the first / half / all Machines Running with a Ready Node,
// and to quiet (bus idle); on the way down, time to zero Machines, zero Nodes and zero live instances.
// Per machine: API writes (successful mutating requests, counted on each handler's transport) and
// handler invocations (deliveries, counted in the host's wrapDelivery hook), reconcile runs (the
// host's reconcile gate), a profile of the calls that took the most client-side time, process CPU
// time and peak RSS. Prints, never asserts; exits 1 only when a phase did not finish within
// BENCH_TIMEOUT_S (then it prints what it has, and the scale-down is skipped).
//
//   node bench/machineset-scale.ts
//   BENCH_REPLICAS=1000   replicas to scale to
//   BENCH_COALESCE=1      0 = host without the reconcile gate (one reconcile per delivery, concurrently)
//   BENCH_BUS_CONCURRENCY=16  BENCH_TIMEOUT_S=3600 (per phase)  BENCH_PROGRESS_S=10 (progress line period)
import { cpus } from 'node:os';
import { LocalCloud } from '../functions/providers/local/cloud.ts';
import { coreHandlers, localProviderHandlers } from '../functions/registry.ts';
import { startApiServer } from '../local/apiserver/index.ts';
import { startApiServerInWorker } from '../local/apiserver/worker.ts';
import { createMissing, SAMPLE_CLUSTER, SAMPLE_NAMESPACE, sampleObjects } from '../local/embedded/sample.ts';
import { startHost } from '../local/host/host.ts';
import type { Cluster } from '../shared/api/capi/cluster.ts';
import type { Machine } from '../shared/api/capi/machine.ts';
import type { MachineSet } from '../shared/api/capi/machineset.ts';
import { toCrd } from '../shared/api/crd.ts';
import type { KubeObject } from '../shared/api/meta.ts';
import { allKinds } from '../shared/api/registry.ts';
import { InProcessBus } from '../shared/bus/in-process.ts';
import type { DeliveryResult } from '../shared/bus/types.ts';
import { KubeClient } from '../shared/kube/client.ts';
import { HttpsTransport } from '../shared/kube/transport.ts';
import { connectionFor } from '../test/support/env.ts';
import { intEnv, load1, now, rounded, rssSampler, table } from './support/figures.ts';
import { CallLedger, MUTATING, type OpFigures, writesByCaller } from './support/kube-calls.ts';

const REPLICAS = intEnv('BENCH_REPLICAS', 1_000);
const BUS_CONCURRENCY = intEnv('BENCH_BUS_CONCURRENCY', 16);
/** The API server on a thread of its own, as the embedded default runs it (BENCH_APISERVER=in-process: on the handlers' event loop). */
const API_THREAD = process.env.BENCH_APISERVER !== 'in-process';
const COALESCE = intEnv('BENCH_COALESCE', 1) !== 0;
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_S', 3_600) * 1000;
const PROGRESS_MS = intEnv('BENCH_PROGRESS_S', 10) * 1000;

const NS = SAMPLE_NAMESPACE;
const MS_NAME = `${SAMPLE_CLUSTER}-worker-local-a`;
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
const NODE = { apiVersion: 'v1', kind: 'Node' };

interface NodeObj extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Follows Machines and Nodes through watches: which Machines are Running with a Ready Node, when. */
class FleetObserver {
  readonly machines = new Map<string, { phase: string | undefined; node: string | undefined }>();
  readonly nodeReady = new Map<string, boolean>();
  readonly runningReady = new Set<string>();
  private readonly waiters: Array<{ pred: () => boolean; resolve: (t: number) => void }> = [];
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  async start(kube: KubeClient): Promise<void> {
    const machines = await kube.listAll<Machine>(MACHINE, { namespace: NS });
    for (const m of machines.items) this.onMachine('ADDED', m);
    const nodes = await kube.listAll<NodeObj>(NODE);
    for (const n of nodes.items) this.onNode('ADDED', n);
    this.loops = [
      this.follow(kube, MACHINE, NS, machines.metadata.resourceVersion, (t, o) => this.onMachine(t, o as Machine)),
      this.follow(kube, NODE, undefined, nodes.metadata.resourceVersion, (t, o) => this.onNode(t, o as NodeObj)),
    ];
  }

  private async follow(
    kube: KubeClient,
    type: { apiVersion: string; kind: string },
    namespace: string | undefined,
    fromRv: string | undefined,
    on: (type: string, o: KubeObject) => void,
  ): Promise<void> {
    let rv = fromRv;
    while (!this.abort.signal.aborted) {
      try {
        for await (const ev of kube.watch(type, {
          ...(namespace ? { namespace } : {}),
          ...(rv ? { resourceVersion: rv } : {}),
          timeoutSeconds: 3_600,
          signal: this.abort.signal,
        })) {
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type !== 'BOOKMARK') on(ev.type, ev.object);
        }
      } catch (e) {
        if (this.abort.signal.aborted) return;
        console.log(`observer: ${type.kind} watch failed (${String(e)}); re-watching`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private onMachine(type: string, m: Machine): void {
    const name = m.metadata.name!;
    if (type === 'DELETED') this.machines.delete(name);
    else this.machines.set(name, { phase: m.status?.phase, node: m.status?.nodeRef?.name });
    this.refresh(name);
    this.check();
  }

  private onNode(type: string, n: NodeObj): void {
    const name = n.metadata.name!;
    if (type === 'DELETED') this.nodeReady.delete(name);
    else this.nodeReady.set(name, n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    // Node and Machine names are the same on the local provider; fall back to a scan otherwise.
    if (this.machines.get(name)?.node === name) this.refresh(name);
    else for (const [m, s] of this.machines) if (s.node === name) this.refresh(m);
    this.check();
  }

  private refresh(machine: string): void {
    const s = this.machines.get(machine);
    if (s?.phase === 'Running' && s.node && this.nodeReady.get(s.node)) this.runningReady.add(machine);
    else this.runningReady.delete(machine);
  }

  private check(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.pred()) {
        this.waiters.splice(i, 1);
        w.resolve(now());
      }
    }
  }

  /** Resolves with the time (performance.now) at which `pred` first held. */
  when(pred: () => boolean): Promise<number> {
    if (pred()) return Promise.resolve(now());
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }
}

interface HandlerFigures {
  deliveries: number;
  retries: number;
  busyMs: number;
  /** Deliveries by what woke the handler: `<kind> <type>`, `(status only)`, `requeue` for its own delayed events. */
  byCause: Map<string, number>;
}

/** What a delivery was, for the breakdown: the watched kind and change, or the handler's own requeue. */
function causeOf(raw: unknown): string {
  const ev = raw as {
    type?: string;
    data?: { ref?: { kind?: string } };
    capifnhandler?: string;
    capifnstatusonly?: string;
  };
  if (ev?.capifnhandler) return 'requeue';
  const type = String(ev?.type ?? '?').replace('io.capifn.resource.', '');
  return `${ev?.data?.ref?.kind ?? '?'} ${type}${ev?.capifnstatusonly === 'true' ? ' (status only)' : ''}`;
}

class PhaseTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, what: string, progress: () => string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(
      () => reject(new PhaseTimeout(`not done after ${TIMEOUT_MS / 1000} s waiting for ${what}; ${progress()}`)),
      TIMEOUT_MS,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

const mib = (bytes: number) => bytes / 2 ** 20;

/** Resolves with the time (performance.now) at which a polled condition first held. */
async function until(cond: () => boolean): Promise<number> {
  // unref: after a phase timeout this poll must not keep the process alive.
  while (!cond()) await new Promise((r) => setTimeout(r, 20).unref());
  return now();
}

/** The embedded default's parts, each handler's Kubernetes client counted under its own name. */
async function startSystem() {
  const crds = allKinds.map((k) => toCrd(k));
  const api = API_THREAD ? await startApiServerInWorker({ crds }) : await startApiServer({ crds });
  const base = new HttpsTransport(connectionFor(api));
  const ledger = new CallLedger();
  // The bench's own client (setup, scaling, observing) is not counted.
  const admin = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'bench' });
  const kubelet = new KubeClient(ledger.transport(base, 'kubelet (simulated)'), { fieldManager: 'kubelet' });
  const cloud = new LocalCloud({ kube: kubelet, defaultBootDelayMs: 0 });
  const bus = new InProcessBus({ concurrency: BUS_CONCURRENCY, serializeBySubject: true, maxAttempts: 12 });
  const clients = new Map<string, KubeClient>();
  const handlers = new Map<string, HandlerFigures>();
  const host = await startHost({
    kube: new KubeClient(ledger.transport(base, 'bridge'), { fieldManager: 'capi-fn-bridge' }),
    bus,
    handlers: [...coreHandlers, ...localProviderHandlers(() => cloud)],
    source: 'capi-fn/embedded',
    checkpoint: { namespace: 'kube-system', name: 'capi-fn-bridge' },
    coalesce: COALESCE,
    kubeFor: (h) => {
      let k = clients.get(h);
      if (!k) {
        k = new KubeClient(ledger.transport(base, h));
        clients.set(h, k);
      }
      return k;
    },
    wrapDelivery: async (h, _info, run, raw) => {
      const t0 = now();
      let r: DeliveryResult | undefined;
      try {
        r = await run();
        return r;
      } finally {
        let f = handlers.get(h);
        if (!f) {
          f = { deliveries: 0, retries: 0, busyMs: 0, byCause: new Map() };
          handlers.set(h, f);
        }
        f.deliveries++;
        const cause = causeOf(raw);
        f.byCause.set(cause, (f.byCause.get(cause) ?? 0) + 1);
        f.busyMs += now() - t0;
        if (r?.status === 'retry') f.retries++;
      }
    },
  });
  return {
    api,
    admin,
    cloud,
    bus,
    host,
    ledger,
    handlers,
    async stop() {
      await host.stop();
      await bus.close();
      cloud.close();
      await api.stop();
    },
  };
}
type System = Awaited<ReturnType<typeof startSystem>>;

function snapshot(sys: System) {
  return {
    calls: sys.ledger.snapshot(),
    handlers: new Map([...sys.handlers].map(([h, f]) => [h, { ...f, byCause: new Map(f.byCause) }])),
    gates: new Map([...sys.host.gates].map(([h, g]) => [h, { ...g }])),
    cpu: process.cpuUsage(),
  };
}
type Snapshot = ReturnType<typeof snapshot>;

/** Everything counted since `before`, per handler and per machine. */
function phaseFigures(sys: System, before: Snapshot, machines: number) {
  const calls = sys.ledger.since(before.calls);
  const writes = writesByCaller(calls);
  const cpu = process.cpuUsage(before.cpu);
  const perHandler = [...sys.handlers].map(([h, f]) => {
    const b = before.handlers.get(h);
    const g = sys.host.gates.get(h);
    const gb = before.gates.get(h);
    const ops = calls.get(h) ?? new Map<string, OpFigures>();
    const sum = (prefix: string, k: keyof OpFigures) =>
      [...ops].filter(([op]) => op.startsWith(prefix)).reduce((a, [, x]) => a + x[k], 0);
    return {
      handler: h,
      deliveries: f.deliveries - (b?.deliveries ?? 0),
      byCause: [...f.byCause]
        .map(([c, n]) => [c, n - (b?.byCause.get(c) ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .sort((x, y) => y[1] - x[1]),
      reconciles: g ? g.runs - (gb?.runs ?? 0) : undefined,
      retries: f.retries - (b?.retries ?? 0),
      busyS: (f.busyMs - (b?.busyMs ?? 0)) / 1000,
      writes: writes.get(h) ?? 0,
      conflicts: sum('', 'conflicts'),
      gets: sum('GET ', 'calls'),
      lists: sum('LIST ', 'calls'),
      listMiB: mib(sum('LIST ', 'responseBytes')),
    };
  });
  const others = [...writes].filter(([c]) => !sys.handlers.has(c)).map(([caller, n]) => ({ caller, writes: n }));
  const handlerWrites = perHandler.reduce((a, h) => a + h.writes, 0);
  const handlerRequests = perHandler.reduce((a, h) => a + h.writes + h.gets + h.lists, 0);
  const deliveries = perHandler.reduce((a, h) => a + h.deliveries, 0);
  // Where the mutating-requests figure comes from: each handler's successful writes, by operation.
  const writeOps = [...calls]
    .filter(([caller]) => sys.handlers.has(caller))
    .flatMap(([caller, ops]) =>
      [...ops]
        .filter(([op]) => MUTATING.has(op.split(' ')[0]!))
        .map(([op, f]) => ({ caller, op, n: f.calls - f.failed })),
    )
    .filter((w) => w.n > 0)
    .sort((a, b) => b.n - a.n);
  const top = [...calls]
    .flatMap(([caller, ops]) => [...ops].map(([op, f]) => ({ caller, op, ...f })))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, Number(process.env.BENCH_TOP ?? 12));
  return {
    machines,
    perHandler,
    others,
    handlerWritesPerMachine: handlerWrites / machines,
    /** Reads and writes the handlers sent (watches are the bridge's, not counted). */
    handlerRequestsPerMachine: handlerRequests / machines,
    allWritesPerMachine: [...writes.values()].reduce((a, n) => a + n, 0) / machines,
    deliveriesPerMachine: deliveries / machines,
    cpuS: (cpu.user + cpu.system) / 1e6,
    writeOps,
    top,
  };
}
type Phase = ReturnType<typeof phaseFigures>;

function printPhase(title: string, p: Phase): void {
  console.log(`\n${title}: per handler (/m = per machine, ÷ ${p.machines})`);
  console.log(
    table(
      [
        'handler',
        'deliveries',
        '/m',
        'reconciles',
        'retries',
        'busy s',
        'API writes',
        '/m',
        '409s',
        'GETs',
        'LISTs',
        'LIST MiB',
      ],
      p.perHandler.map((h) => [
        h.handler,
        h.deliveries,
        (h.deliveries / p.machines).toFixed(2),
        h.reconciles ?? '-',
        h.retries,
        h.busyS.toFixed(1),
        h.writes,
        (h.writes / p.machines).toFixed(2),
        h.conflicts,
        h.gets,
        h.lists,
        h.listMiB.toFixed(1),
      ]),
    ),
  );
  console.log(
    `handler invocations per machine ${p.deliveriesPerMachine.toFixed(2)}; handler API writes per machine ${p.handlerWritesPerMachine.toFixed(2)}; all API writes per machine ${p.allWritesPerMachine.toFixed(2)} (incl. ${p.others.map((o) => `${o.caller} ${o.writes}`).join(', ') || 'nothing else'}); process CPU ${p.cpuS.toFixed(1)} s`,
  );
  console.log('deliveries per machine by cause:');
  for (const h of p.perHandler)
    if (h.deliveries)
      console.log(`  ${h.handler}: ${h.byCause.map(([c, n]) => `${c} ${(n / p.machines).toFixed(2)}`).join(', ')}`);
  console.log(
    `handler writes per machine by operation: ${p.writeOps.map((w) => `${w.caller} ${w.op} ${(w.n / p.machines).toFixed(2)}`).join(', ')}`,
  );
  console.log('calls by total client-side time:');
  console.log(
    table(
      ['caller', 'operation', 'calls', 'failed', 'total s', 'mean ms', 'MiB'],
      p.top.map((c) => [
        c.caller,
        c.op,
        c.calls,
        c.failed,
        (c.ms / 1000).toFixed(1),
        (c.ms / c.calls).toFixed(1),
        mib(c.responseBytes).toFixed(1),
      ]),
    ),
  );
}

const FLOOR_CONCURRENCY = 32;

/** Seconds the API server takes for `n` creates (small ConfigMaps) sent FLOOR_CONCURRENCY at a time over HTTPS. */
async function writeFloor(kube: KubeClient, n: number): Promise<number> {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: FLOOR_CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) {
        await kube.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `write-floor-${i}`, namespace: NS },
          data: { i: String(i) },
        });
      }
    }),
  );
  return (now() - t0) / 1000;
}

async function main(): Promise<void> {
  console.log(
    `machineset-scale benchmark — node ${process.version}, ${cpus().length} cores; MachineSet 0 → ${REPLICAS} → 0, boot delay 0, bus concurrency ${BUS_CONCURRENCY}, reconcile gate ${COALESCE ? 'on' : 'off'}\n`,
  );
  const rss = rssSampler(100);
  const sys = await startSystem();
  const { admin, bus, cloud } = sys;
  const observer = new FleetObserver();
  const result: Record<string, unknown> = {
    bench: 'machineset-scale',
    node: process.version,
    cores: cpus().length,
    replicas: REPLICAS,
    busConcurrency: BUS_CONCURRENCY,
    reconcileGate: COALESCE,
    loadAtStart: load1(),
  };
  const progress = (t0: number) => () => {
    const st = bus.stats();
    const inv = [...sys.handlers.values()].reduce((a, f) => a + f.deliveries, 0);
    return `t=${((now() - t0) / 1000).toFixed(0)}s machines ${observer.machines.size}, running+ready ${observer.runningReady.size}, nodes ${observer.nodeReady.size}, live instances ${cloud.live().length} | bus pending ${st.pending}, running ${st.running}, timers ${st.timers}, dead letters ${st.deadLetters} | deliveries ${inv} | rss ${mib(process.memoryUsage().rss).toFixed(0)} MiB`;
  };
  /** Runs one phase with a progress line every PROGRESS_MS and milestones printed as they happen. */
  const phase = async (
    request: () => Promise<void>,
    milestones: Array<{ label: string; key: string; at: () => Promise<number> }>,
  ) => {
    const t0 = now();
    const line = progress(t0);
    const ticker = setInterval(() => console.log(`  ${line()}`), PROGRESS_MS);
    const times: Record<string, number> = {};
    try {
      await request();
      for (const m of milestones) {
        times[m.key] = ((await withTimeout(m.at(), m.label, line)) - t0) / 1000;
        console.log(`  [${times[m.key]!.toFixed(2)} s] ${m.label}`);
      }
    } finally {
      clearInterval(ticker);
    }
    return times;
  };
  const observed = (label: string, key: string, pred: () => boolean) => ({ label, key, at: () => observer.when(pred) });
  const quiet = {
    label: 'bus quiet (nothing due within 5 s)',
    key: 'quietS',
    at: () => bus.idle({ ignoreDelayedBeyondMs: 5_000 }).then(now),
  };
  const scaleTo = (replicas: number) => async () => {
    const key = { ...MACHINESET, namespace: NS, name: MS_NAME };
    const scale = await admin.getScale(key);
    await admin.updateScale(key, { ...scale, spec: { replicas } });
  };
  let finished = true;
  let before = snapshot(sys);
  try {
    // ---- setup: the sample at 0 replicas, Cluster infrastructure ready, MachineSet reconciled ----
    await createMissing(admin, sampleObjects({ replicas: 0 }));
    for (;;) {
      const cluster = await admin.find<Cluster>({ ...MACHINE, kind: 'Cluster', namespace: NS, name: SAMPLE_CLUSTER });
      const set = await admin.find<MachineSet>({ ...MACHINESET, namespace: NS, name: MS_NAME });
      if (cluster?.status?.infrastructureReady && set?.status?.observedGeneration === set?.metadata.generation) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await bus.idle({ ignoreDelayedBeyondMs: 5_000, timeoutMs: 60_000 });
    await observer.start(admin);

    // ---- 0 → N ----
    console.log(`scale 0 → ${REPLICAS}:`);
    before = snapshot(sys);
    const half = Math.ceil(REPLICAS / 2);
    const up = await phase(scaleTo(REPLICAS), [
      observed('first Machine Running with a Ready Node', 'firstRunningS', () => observer.runningReady.size >= 1),
      observed(`${half} (50%) Running`, 'halfRunningS', () => observer.runningReady.size >= half),
      observed(`all ${REPLICAS} Running`, 'allRunningS', () => observer.runningReady.size >= REPLICAS),
      quiet,
    ]);
    const machines = (await admin.listAll<Machine>(MACHINE, { namespace: NS })).items;
    const nodes = (await admin.listAll<NodeObj>(NODE)).items;
    const ready = new Set(
      nodes
        .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata.name),
    );
    const verified = machines.filter((m) => m.status?.phase === 'Running' && ready.has(m.status.nodeRef?.name)).length;
    console.log(
      `  checked by LIST: ${machines.length} Machines, ${verified} Running with a Ready Node, ${nodes.length} Nodes, ${cloud.live().length} live instances, ${cloud.all().length} instances ever created`,
    );
    const upFigures = phaseFigures(sys, before, REPLICAS);
    printPhase(`scale 0 → ${REPLICAS}`, upFigures);
    result.up = { ...up, verifiedRunning: verified, ...upFigures, top: undefined };

    // ---- N → 0 ----
    console.log(`\nscale ${REPLICAS} → 0:`);
    before = snapshot(sys);
    const down = await phase(scaleTo(0), [
      observed('zero Machines', 'zeroMachinesS', () => observer.machines.size === 0),
      observed('zero Nodes', 'zeroNodesS', () => observer.nodeReady.size === 0),
      { label: 'zero live instances', key: 'zeroInstancesS', at: () => until(() => cloud.live().length === 0) },
      quiet,
    ]);
    const downFigures = phaseFigures(sys, before, REPLICAS);
    printPhase(`scale ${REPLICAS} → 0`, downFigures);
    result.down = { ...down, ...downFigures, top: undefined };

    // ---- the API server's own write floor, for as many writes as the scale-up made ----
    const floorWrites = Math.round(upFigures.allWritesPerMachine * REPLICAS);
    const floor = await writeFloor(admin, floorWrites);
    const rate = floorWrites / floor;
    result.writeFloor = { writes: floorWrites, seconds: floor, writesPerS: rate };
    const upFloor = floorWrites / rate;
    const downFloor = (downFigures.allWritesPerMachine * REPLICAS) / rate;
    console.log(
      `\nAPI server write floor: ${floorWrites} creates in ${floor.toFixed(2)} s (${rate.toFixed(0)}/s, ${FLOOR_CONCURRENCY} at a time, same server and process)`,
    );
    const row = (label: string, a: string, b: string, target: string) =>
      `  ${label.padEnd(44)} ${a.padStart(18)} ${b.padStart(18)}   ${target}`;
    console.log('targets (issue 20), per machine unless said:');
    console.log(row('', `0 → ${REPLICAS}`, `${REPLICAS} → 0`, 'target'));
    console.log(
      row(
        'handler deliveries',
        upFigures.deliveriesPerMachine.toFixed(2),
        downFigures.deliveriesPerMachine.toFixed(2),
        '≤ 8',
      ),
    );
    console.log(
      row(
        'handler API requests (reads + writes)',
        upFigures.handlerRequestsPerMachine.toFixed(2),
        downFigures.handlerRequestsPerMachine.toFixed(2),
        '≤ 15',
      ),
    );
    console.log(
      row(
        'handler mutating requests',
        upFigures.handlerWritesPerMachine.toFixed(2),
        downFigures.handlerWritesPerMachine.toFixed(2),
        '≤ 6',
      ),
    );
    const vsFloor = (s: number | undefined, f: number) =>
      s === undefined ? 'n/a' : `${s.toFixed(1)}/${f.toFixed(1)} s = ${(s / f).toFixed(1)}×`;
    console.log(
      row(
        'time to converge ÷ write floor (whole phase)',
        vsFloor(up.allRunningS, upFloor),
        vsFloor(down.zeroInstancesS, downFloor),
        '≤ 3×',
      ),
    );
    result.vsWriteFloor = {
      up: up.allRunningS === undefined ? undefined : up.allRunningS / upFloor,
      down: down.zeroInstancesS === undefined ? undefined : down.zeroInstancesS / downFloor,
    };
  } catch (e) {
    if (!(e instanceof PhaseTimeout)) throw e;
    finished = false;
    console.log(`\n${e.message}`);
    printPhase('figures so far in this phase', phaseFigures(sys, before, REPLICAS));
    result.error = e.message;
  } finally {
    await observer.stop();
    await sys.stop();
  }
  result.deadLetters = (await bus.deadLetters()).length;
  const peak = Math.max(rss.stop(), process.resourceUsage().maxRSS * 1024);
  result.peakRssMiB = mib(peak);
  result.loadAtEnd = load1();
  console.log(
    `\ndead letters ${result.deadLetters}; peak RSS ${mib(peak).toFixed(0)} MiB; machine load average (1 min) ${(result.loadAtStart as number).toFixed(2)} at start, ${(result.loadAtEnd as number).toFixed(2)} at end`,
  );
  console.log(JSON.stringify(rounded(result)));
  if (!finished) process.exitCode = 1;
}

await main();
