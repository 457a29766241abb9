// The chaos matrix for long runs (bench-style: prints, and exits 1 if any seed fails):
//   npm run chaos -- --seeds 100 --minutes 30      seeds 1, 2, … until 100 ran or 30 minutes passed
//   npm run chaos -- --first 37 --seeds 64         seeds 37 … 100 (a long run split over sittings)
//   npm run chaos -- --seed 7                      one seed again (a failing seed replays from its number)
//   --rate 0.2                                     share of requests and watches that fail (default 0.1)
import { parseArgs } from 'node:util';
import { runSeed, type SeedReport } from './scenario.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    first: { type: 'string', default: '1' },
    seed: { type: 'string' },
    minutes: { type: 'string', default: '0' },
    rate: { type: 'string', default: '0.1' },
  },
});
const rate = Number(values.rate);
const deadline = Number(values.minutes) > 0 ? Date.now() + Number(values.minutes) * 60_000 : Number.POSITIVE_INFINITY;
const seeds = values.seed
  ? [Number(values.seed)]
  : Array.from({ length: Number(values.seeds) }, (_, i) => i + Number(values.first));
const failed: Array<{ seed: number; error: string }> = [];
const reports: SeedReport[] = [];
for (const seed of seeds) {
  if (Date.now() > deadline) break;
  const t0 = Date.now();
  try {
    const r = await runSeed(seed, { rate });
    reports.push(r);
    const bad =
      r.violations.length || r.deadLetters || r.leftovers.instances || r.leftovers.nodes || r.leftovers.finalizers;
    if (bad)
      failed.push({
        seed,
        error: JSON.stringify({ violations: r.violations, deadLetters: r.deadLetters, leftovers: r.leftovers }),
      });
    console.log(
      `seed ${seed} ${bad ? 'FAILED' : 'ok'} in ${((Date.now() - t0) / 1000).toFixed(0)} s: targets ${r.targets.join('→')}; ` +
        `faults ${Object.entries(r.faults)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')} of ${r.requests.total} requests ` +
        `(${r.requests.watches} watches); converged in ${r.convergeS.map((s) => s.toFixed(1)).join('/')} s; ` +
        `max machines ${r.maxMachines}; machines created ${r.machinesCreated}, instances launched ${r.instancesLaunched}; ` +
        `dead letters ${r.deadLetters}; restarts: handlers ${r.restarts.host}, API server ${r.restarts.apiServer}`,
    );
  } catch (e) {
    failed.push({ seed, error: (e as Error).message.slice(0, values.seed ? undefined : 2000) });
    console.log(
      `seed ${seed} FAILED in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${(e as Error).message.slice(0, values.seed ? undefined : 2000)}`,
    );
  }
}
const faults = new Map<string, number>();
for (const r of reports) for (const [k, n] of Object.entries(r.faults)) faults.set(k, (faults.get(k) ?? 0) + n);
console.log(
  `\n${reports.length + failed.filter((f) => !reports.some((r) => r.seed === f.seed)).length} seeds, ${failed.length} failed` +
    `${failed.length ? ` (${failed.map((f) => f.seed).join(', ')})` : ''}; faults injected: ${[...faults].map(([k, n]) => `${k} ${n}`).join(', ')}`,
);
// The distribution over the seeds: each seed's slowest convergence, and the totals the invariants are about.
const slowest = reports.map((r) => Math.max(...r.convergeS)).sort((a, b) => a - b);
const at = (q: number) => slowest[Math.min(slowest.length - 1, Math.floor(q * slowest.length))] ?? 0;
const sum = (f: (r: SeedReport) => number) => reports.reduce((a, r) => a + f(r), 0);
if (reports.length)
  console.log(
    `seeds ${reports[0]!.seed}–${reports.at(-1)!.seed}: slowest convergence per seed p50 ${at(0.5).toFixed(1)} s, p90 ${at(0.9).toFixed(1)} s, ` +
      `max ${at(1).toFixed(1)} s; max machines seen ${Math.max(...reports.map((r) => r.maxMachines))}; machines created ` +
      `${sum((r) => r.machinesCreated)}, instances launched ${sum((r) => r.instancesLaunched)}; dead letters ${sum((r) => r.deadLetters)}; ` +
      `requests ${sum((r) => r.requests.total)} (${sum((r) => r.requests.watches)} watches)`,
  );
process.exit(failed.length ? 1 : 0);
