// `npm run bench [-- FILTER...]`: runs every bench/*.ts except this one, one after another, each in its
// own node process (so one bench's heap, sockets and servers never skew the next), streaming its
// output. A FILTER keeps the benches whose file name contains it (`npm run bench -- events scale`).
// Exits 1 if any bench fails. Every bench prints figures and asserts nothing about time.
//
// The benches and their knobs (environment variables, passed through):
//   apiserver.ts         embedded API server: creates/updates per second, watch fan-out, big lists. No knobs.
//   bus.ts               event latency and throughput per bus (in-process; moto, Pub/Sub emulator and
//                        Azurite when present). No knobs.
//   cold-start.ts        cold start of each function bundle and of the Kubernetes client choice.
//                        BENCH_RUNS=15 (runs per figure)
//   drift.ts             one drift check on a converged cluster: API requests, events, time (detect vs full),
//                        and invocations/API requests per hour on an idle cluster built by the handlers.
//                        BENCH_DRIFT_MACHINES=10000 BENCH_IDLE_MACHINES=1000 (0 skips a part)
//   events.ts            event → handler latency through the bus, the runtime and the bridge.
//                        BENCH_EVENTS=1000 (sequential) BENCH_BURST=1000 BENCH_WRITE_CONCURRENCY=32
//                        BENCH_BUS_CONCURRENCY=16
//   machineset-scale.ts  MachineSet 0 → N → 0 on the embedded default.
//                        BENCH_REPLICAS=1000 BENCH_COALESCE=1 BENCH_BUS_CONCURRENCY=16
//                        BENCH_TIMEOUT_S=3600 (per phase) BENCH_PROGRESS_S=10
//   soak.ts              (only when named) the embedded default scaled up and down for a long time: RSS, heap,
//                        open fds, WAL size, event-loop delay per sample, and their growth per hour.
//                        SOAK_MINUTES=30 SOAK_SAMPLE_S=60 SOAK_PERIOD_S=5 SOAK_MAX=10 SOAK_WAL_COMPACT_MIB=64
// The whole default run takes well over 10 minutes on two cores; BENCH_REPLICAS=100 BENCH_RUNS=5 shortens it.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = import.meta.dirname;
const self = basename(import.meta.filename);
const filters = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== self)
  .sort();
/** Long runs that only run when named (`npm run bench -- soak`). */
const OPT_IN = new Set(['soak.ts']);
const chosen = filters.length
  ? all.filter((f) => filters.some((x) => f.includes(x)))
  : all.filter((f) => !OPT_IN.has(f));
if (chosen.length === 0) {
  console.error(`no bench matches ${filters.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}

function run(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, file)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

const results: Array<{ file: string; ok: boolean; seconds: number; how: string }> = [];
for (const file of chosen) {
  console.log(`\n===== bench/${file} =====\n`);
  const t0 = performance.now();
  const { code, signal } = await run(file);
  const seconds = (performance.now() - t0) / 1000;
  results.push({ file, ok: code === 0, seconds, how: signal ? `killed by ${signal}` : `exit ${code}` });
}

console.log('\n===== summary =====');
for (const r of results)
  console.log(`${r.ok ? 'ok  ' : 'FAIL'}  bench/${r.file.padEnd(22)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.how}`);
if (results.some((r) => !r.ok)) process.exitCode = 1;
