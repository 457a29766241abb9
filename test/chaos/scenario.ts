// One seed of the chaos matrix: the embedded API server in its own process on a data directory, behind the chaos
// proxy; the core handlers and the local provider on an in-process bus that delivers every event three times,
// shuffled, eight at once; a MachineSet scaled 0 → 5 → 2 → 7 → (two targets drawn from the seed) → 0. In each phase
// the faults are on (at `rate` of requests and watches) for a while, the bridge and handlers are killed and started
// again, the API server is SIGKILLed and restarted on its data directory; then, faults off, the set must converge.
// Watched throughout: never more non-deleting Machines than the larger of the old and new targets, never two live
// instances for one Machine. At the end: no live instance, no Node and no finalizer left. The test suite and the
// long-run CLI (run.ts) both call runSeed; every figure in the report comes from this one run.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCloud } from '../../functions/providers/local/cloud.ts';
import { coreHandlers, localProviderHandlers } from '../../functions/registry.ts';
import { createMissing, SAMPLE_CLUSTER, SAMPLE_NAMESPACE, sampleObjects } from '../../local/embedded/sample.ts';
import { type Host, startHost } from '../../local/host/host.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { InProcessBus } from '../../shared/bus/in-process.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { Connection } from '../../shared/kube/kubeconfig.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { MachineObserver, machines, NODE, scaleTo, waitConverged } from '../core/observe.ts';
import type { CapiEnv } from '../support/env.ts';
import { type ChaosProxy, seeded, startChaosProxy } from './proxy.ts';

export interface SeedReport {
  seed: number;
  targets: number[];
  /** Faults the proxy injected, by kind. */
  faults: Record<string, number>;
  requests: { total: number; watches: number };
  /** Seconds from faults off to converged, per phase. */
  convergeS: number[];
  /** The largest number of non-deleting Machines seen at once, and the bound it was held to. */
  maxMachines: number;
  violations: string[];
  machinesCreated: number;
  instancesLaunched: number;
  deadLetters: number;
  restarts: { host: number; apiServer: number };
  leftovers: { instances: number; nodes: number; finalizers: number };
}

export interface SeedOptions {
  /** Share of requests and watches that meet a fault while faults are on (default 0.1). */
  rate?: number;
  /** How long the faults stay on in each phase (default 2 s). */
  faultMs?: number;
  /** Convergence bound per phase once faults are off (default 90 s). */
  convergeTimeoutMs?: number;
  log?: (line: string) => void;
  /** The handlers' and bridge's log (pino), for a failing seed's post-mortem. */
  hostLog?: import('../../shared/runtime/logger.ts').Logger;
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  token: string;
  caPem: string;
}

function spawnServer(dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'server-process.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const early = (code: number | null) => reject(new Error(`API server process exited early (${code})`));
    child.on('exit', early);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      child.off('exit', early);
      const info = JSON.parse(buf.slice(0, i)) as { url: string; token: string; caPem: string };
      resolve({ child, ...info });
    });
  });
}

async function kill(p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null) return;
  const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGKILL');
  await gone;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The phases of a seed: the walk, then two targets from the seed, then zero. */
export function targetsFor(seed: number): number[] {
  const r = seeded(seed ^ 0x5eed);
  return [5, 2, 7, Math.floor(r() * 8), Math.floor(r() * 8), 0];
}

export async function runSeed(seed: number, o: SeedOptions = {}): Promise<SeedReport> {
  const rate = o.rate ?? 0.1;
  const faultMs = o.faultMs ?? 2_000;
  const log = o.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), `capi-fn-chaos-${seed}-`));
  const targets = targetsFor(seed);
  let server = await spawnServer(dataDir);
  const conn = (url: string): Connection => ({
    server: url,
    ca: server.caPem,
    namespace: 'default',
    credentials: async () => ({ headers: { authorization: `Bearer ${server.token}` } }),
    description: 'chaos',
  });
  // The test's own eyes and hands go straight to the API server (through a client that follows its restarts).
  const direct = { current: new KubeClient(new HttpsTransport(conn(server.url)), { fieldManager: 'chaos-test' }) };
  const admin = new Proxy({} as KubeClient, {
    get: (_t, p) => {
      const v = (direct.current as unknown as Record<string | symbol, unknown>)[p];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(direct.current) : v;
    },
  });
  const proxy: ChaosProxy = await startChaosProxy({ upstream: { url: server.url, ca: server.caPem }, seed });
  const viaProxy = new KubeClient(new HttpsTransport(conn(proxy.url)));
  // The simulated kubelets register Nodes straight with the API server: they are not under test.
  const cloud = new LocalCloud({ kube: admin, defaultBootDelayMs: 0 });
  const bus = new InProcessBus({
    concurrency: 8,
    maxAttempts: 50,
    backoff: { baseMs: 20, maxMs: 1_000 },
    chaos: { duplicates: 3, shuffle: true, seed },
  });
  const restarts = { host: 0, apiServer: 0 };
  const startHandlers = () =>
    startHost({
      kube: viaProxy,
      bus,
      ...(o.hostLog ? { log: o.hostLog } : {}),
      handlers: [...coreHandlers, ...localProviderHandlers(() => cloud)],
      kubeFor: () => viaProxy,
      coalesce: false,
      maxAttempts: 50,
      checkpoint: { namespace: 'default', name: 'capi-fn-bridge' },
      bridgeOptions: { checkpointIntervalMs: 200, missingKindRetryMs: 200, watchTimeoutSeconds: 5 },
    });
  let host: Host = await startHandlers();
  const env = { kube: admin, cloud } as unknown as CapiEnv;
  const msName = `${SAMPLE_CLUSTER}-worker-local-a`;
  const violations: string[] = [];
  const convergeS: number[] = [];
  const obs = new MachineObserver();
  let maxMachines = 0;
  let bound = 0;
  let watching = true;
  // Invariants, checked every 50 ms whatever the faults (straight from the API server and the cloud).
  const watcher = (async () => {
    while (watching) {
      try {
        const ms = await machines(admin);
        const alive = ms.filter((m) => !m.metadata.deletionTimestamp).length;
        maxMachines = Math.max(maxMachines, alive);
        if (alive > bound) violations.push(`${alive} non-deleting Machines while the bound was ${bound}`);
        const byMachine = new Map<string, number>();
        for (const i of cloud.live()) byMachine.set(i.key, (byMachine.get(i.key) ?? 0) + 1);
        for (const [k, n] of byMachine) if (n > 1) violations.push(`${n} live instances for machine ${k}`);
      } catch {
        // The API server is restarting: nothing to see for a moment.
      }
      await sleep(50);
    }
  })();

  /** What the system looks like, for a convergence failure's message. */
  const describe = async () => {
    const ms = await machines(admin).catch(() => []);
    const set = await admin
      .find<KubeObject & { spec?: unknown; status?: unknown }>({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'MachineSet',
        namespace: SAMPLE_NAMESPACE,
        name: msName,
      })
      .catch(() => undefined);
    const nodes = await admin.listAll(NODE).catch(() => ({ items: [] }));
    const ofKind = (apiVersion: string, kind: string) =>
      admin
        .listAll<KubeObject & { status?: Record<string, unknown> }>(
          { apiVersion, kind },
          { namespace: SAMPLE_NAMESPACE },
        )
        .then((l) => l.items.map((o) => ({ name: o.metadata.name, rv: o.metadata.resourceVersion, status: o.status })))
        .catch(() => []);
    return JSON.stringify({
      clusters: await ofKind('cluster.x-k8s.io/v1beta1', 'Cluster'),
      infraClusters: await ofKind('infrastructure.cluster.x-k8s.io/v1beta1', 'LocalCluster'),
      machines: ms.map((m) => ({
        name: m.metadata.name,
        phase: m.status?.phase,
        deleting: Boolean(m.metadata.deletionTimestamp),
        finalizers: m.metadata.finalizers,
        providerID: m.spec.providerID,
        nodeRef: m.status?.nodeRef?.name,
      })),
      set: { spec: (set?.spec as { replicas?: number })?.replicas, status: set?.status },
      live: cloud.live().map((i) => `${i.id}:${i.state}:${i.key}`),
      nodes: nodes.items.map((x) => x.metadata.name),
      bus: bus.stats(),
      deadLetters: (await bus.deadLetters()).map((d) => `${d.handler}: ${d.reason}`).slice(0, 5),
    });
  };

  try {
    await createMissing(admin, sampleObjects({ replicas: 0 }) as KubeObject[]);
    obs.start(admin);
    let previous = 0;
    for (const [phase, n] of targets.entries()) {
      bound = Math.max(previous, n);
      proxy.rate = rate;
      await scaleTo(admin, msName, n);
      await sleep(faultMs / 2);
      // Kill and restart the bridge and handlers mid-phase (every phase), and the API server every other phase.
      await host.stop();
      restarts.host++;
      if (phase % 2 === 1) {
        await kill(server);
        server = await spawnServer(dataDir);
        restarts.apiServer++;
        direct.current = new KubeClient(new HttpsTransport(conn(server.url)), { fieldManager: 'chaos-test' });
        proxy.upstream = { url: server.url, ca: server.caPem };
      }
      host = await startHandlers();
      await sleep(faultMs / 2);
      proxy.rate = 0;
      const t0 = Date.now();
      try {
        await waitConverged(env, msName, n, o.convergeTimeoutMs ?? 90_000);
      } catch (e) {
        throw new Error(
          `seed ${seed} phase ${phase} (${previous} → ${n}): ${(e as Error).message}; ${await describe()}`,
        );
      }
      convergeS.push((Date.now() - t0) / 1000);
      log(`seed ${seed} phase ${phase}: ${previous} → ${n} converged in ${convergeS.at(-1)!.toFixed(1)} s`);
      previous = n;
    }
    bound = 0;
    const finalizers = (await machines(admin)).filter((m) => m.metadata.finalizers?.length).length;
    return {
      seed,
      targets,
      faults: Object.fromEntries(proxy.injected),
      requests: { ...proxy.requests },
      convergeS,
      maxMachines,
      violations: [...new Set(violations)],
      machinesCreated: obs.uids.size,
      instancesLaunched: cloud.all().length,
      deadLetters: (await bus.deadLetters()).length,
      restarts,
      leftovers: {
        instances: cloud.live().length,
        nodes: (await admin.listAll(NODE)).items.length,
        finalizers,
      },
    };
  } finally {
    watching = false;
    await watcher;
    await obs.stop().catch(() => {});
    await host.stop().catch(() => {});
    await bus.close();
    cloud.close();
    await proxy.close();
    await kill(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
