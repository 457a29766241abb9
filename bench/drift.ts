// The scheduled drift check: what one run costs on a converged cluster, in detect mode (the default) and in the
// old full-resync mode. Prints, never asserts.
//
// Part 1 — a converged cluster of BENCH_DRIFT_MACHINES Machines (default 10,000) written straight into the
// embedded API server (Machines Running, LocalMachines ready, a MachineSet, a MachineHealthCheck): API requests
// of one detect run (counted on its transport, against the budget of 12 + one per 500 objects listed), events
// published, wall time; then 5 objects drifted five different ways, and what the next run publishes; then the
// same cluster in full mode.
//
// Part 2 — an idle cluster of BENCH_IDLE_MACHINES (default 1,000) built by the handlers themselves on the
// embedded default (local provider, zero boot delay): one drift run's handler invocations and API requests until
// the bus is quiet again, in full and in detect mode, and what that makes per hour at the 5-minute schedule.
//
//   node bench/drift.ts
//   BENCH_DRIFT_MACHINES=10000  BENCH_IDLE_MACHINES=1000  (0 skips a part)
import { runDriftCheck } from '../functions/drift/drift.ts';
import { driftCheckedHandlers } from '../functions/registry.ts';
import { startApiServer } from '../local/apiserver/index.ts';
import { SAMPLE_NAMESPACE, sampleObjects } from '../local/embedded/sample.ts';
import type { KubeObject } from '../shared/api/meta.ts';
import type { ResourceEvent } from '../shared/events/resource-event.ts';
import { KubeClient } from '../shared/kube/client.ts';
import { HttpsTransport } from '../shared/kube/transport.ts';
import { silentLogger } from '../shared/runtime/logger.ts';
import { watchedKinds } from '../shared/runtime/watched-kinds.ts';
import { createFleet, FLEET_NS, machineName } from '../test/support/converged-fleet.ts';
import { allCrds, connectionFor, startCapiEnv } from '../test/support/env.ts';
import { createAll } from '../test/support/sample.ts';
import { intEnv, now, rounded, table } from './support/figures.ts';
import { CallLedger } from './support/kube-calls.ts';

const MACHINES = intEnv('BENCH_DRIFT_MACHINES', 10_000);
const IDLE = intEnv('BENCH_IDLE_MACHINES', 1_000);
const PER_HOUR = 12; // the 5-minute schedule

function totals(ledger: CallLedger, caller: string): { requests: number; byOp: string } {
  const ops = ledger.byCaller.get(caller) ?? new Map();
  let requests = 0;
  const parts: string[] = [];
  for (const [op, f] of ops) {
    requests += f.calls;
    parts.push(`${op} ×${f.calls}`);
  }
  return { requests, byOp: parts.join(', ') };
}

async function part1(): Promise<void> {
  const api = await startApiServer({ crds: allCrds() });
  try {
    const admin = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'bench' });
    const t0 = now();
    await createFleet(admin, MACHINES, { concurrency: 32 });
    console.log(
      `part 1: ${MACHINES} converged Machines (+ LocalMachines) written in ${rounded((now() - t0) / 1000, 1)} s`,
    );
    const kinds = watchedKinds(driftCheckedHandlers());
    const rows: string[][] = [];
    const runOnce = async (label: string, mode: 'detect' | 'full') => {
      const ledger = new CallLedger();
      const kube = new KubeClient(ledger.transport(new HttpsTransport(connectionFor(api)), 'drift'));
      const published: ResourceEvent[] = [];
      const t = now();
      const report = await runDriftCheck({
        kube,
        bus: { publish: async (e) => void published.push(...e) },
        kinds,
        mode,
        source: 'bench',
        log: silentLogger,
      });
      const ms = now() - t;
      const { requests, byOp } = totals(ledger, 'drift');
      const listed = mode === 'detect' ? 2 * MACHINES + 4 : undefined;
      const budget = listed !== undefined ? 12 + Math.ceil(listed / 500) : undefined;
      rows.push([
        label,
        String(requests),
        budget !== undefined ? String(budget) : '-',
        String(published.length),
        String(rounded(ms / 1000, 2)),
      ]);
      console.log(`  ${label}: ${byOp}`);
      return report;
    };
    // The first run pays for the server's and the client's warm-up; three more show the steady figure.
    await runOnce('detect, converged (first)', 'detect');
    for (let i = 2; i <= 4; i++) await runOnce(`detect, converged (#${i})`, 'detect');
    // Five differences, five ways.
    const M = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', namespace: FLEET_NS };
    const LM = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine', namespace: FLEET_NS };
    const merge = { type: 'merge' as const };
    await admin.patch({ ...M, name: machineName(1) }, { spec: { nodeDeletionTimeout: '20s' } }, merge);
    await admin.patch({ ...M, name: machineName(2) }, { metadata: { finalizers: null } }, merge);
    await admin.patch({ ...LM, name: machineName(3) }, { metadata: { finalizers: null } }, merge);
    await admin.patch(
      { ...LM, name: machineName(4) },
      {
        spec: { providerID: null },
        metadata: {
          annotations: {
            'infrastructure.capi-fn.io/create-intent': JSON.stringify({
              key: 'k',
              attempt: 1,
              startedAt: new Date(Date.now() - 3_600_000).toISOString(),
            }),
          },
        },
      },
      merge,
    );
    const m5 = await admin.get<KubeObject & { status: { conditions: Array<Record<string, string>> } }>({
      ...M,
      name: machineName(5),
    });
    m5.status.conditions = m5.status.conditions.map((c) =>
      c.type === 'Ready'
        ? { ...c, status: 'False', reason: 'NodeConditionsFailed', lastTransitionTime: '2026-01-01T00:00:00Z' }
        : c,
    );
    await admin.updateStatus(m5);
    const drifted = await runOnce('detect, 5 drifted', 'detect');
    for (const d of drifted.drifted) console.log(`    ${d.kind}/${d.name}: ${d.reason}`);
    await runOnce('full (the old default)', 'full');
    console.log(table(['run', 'API requests', 'budget', 'events published', 'seconds'], rows));
  } finally {
    await api.stop();
  }
}

async function part2(): Promise<void> {
  const env = await startCapiEnv({ bootDelayMs: 0, concurrency: 16 });
  try {
    const t0 = now();
    await createAll(env.kube, sampleObjects({ replicas: IDLE }));
    const M = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
    for (;;) {
      const ms = (
        await env.kube.listAll<KubeObject & { status?: { phase?: string } }>(M, { namespace: SAMPLE_NAMESPACE })
      ).items;
      if (ms.length === IDLE && ms.every((m) => m.status?.phase === 'Running')) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await env.bus.idle({ ignoreDelayedBeyondMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    await env.bus.idle({ ignoreDelayedBeyondMs: 60_000 });
    console.log(`part 2: ${IDLE} Machines Running through the handlers in ${rounded((now() - t0) / 1000, 1)} s`);
    const rows: string[][] = [];
    for (const mode of ['full', 'detect'] as const) {
      const inv0 = [...env.host.invocations.values()].reduce((a, b) => a + b, 0);
      const req0 = env.ledger.requests.length;
      const driftLedger = new CallLedger();
      const kube = new KubeClient(driftLedger.transport(new HttpsTransport(connectionFor(env.api)), 'drift'));
      const report = await runDriftCheck({
        kube,
        bus: env.bus,
        kinds: env.host.kinds,
        mode,
        ...(process.env.BENCH_STALL_MS ? { limits: { stallMs: Number(process.env.BENCH_STALL_MS) } } : {}),
        source: 'bench',
        log: silentLogger,
      });
      const why = new Map<string, number>();
      for (const d of report.drifted) why.set(`${d.kind}: ${d.reason}`, (why.get(`${d.kind}: ${d.reason}`) ?? 0) + 1);
      for (const [r, n] of why) console.log(`  ${mode}: ${n} × ${r}`);
      await env.bus.idle({ ignoreDelayedBeyondMs: 60_000 });
      const invocations = [...env.host.invocations.values()].reduce((a, b) => a + b, 0) - inv0;
      const handlerRequests = env.ledger.requests.length - req0;
      const driftRequests = totals(driftLedger, 'drift').requests;
      rows.push([
        mode,
        String(report.resynced),
        String(invocations),
        String(driftRequests + handlerRequests),
        String(invocations * PER_HOUR),
        String((driftRequests + handlerRequests) * PER_HOUR),
      ]);
    }
    console.log(
      table(['mode', 'events', 'invocations/run', 'API requests/run', 'invocations/hour', 'API requests/hour'], rows),
    );
  } finally {
    await env.stop();
  }
}

if (MACHINES > 0) await part1();
if (IDLE > 0) await part2();
process.exit(0);
