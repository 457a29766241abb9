// The chaos matrix in its bounded CI form: CHAOS_SEEDS seeds (default 10) of runSeed (scenario.ts), each a MachineSet
// walked 0 → 5 → 2 → 7 → (two seeded targets) → 0 with 10% of API requests and watches failing, every event
// delivered three times, shuffled, eight at once, the handlers and bridge restarted in every phase and the API server
// SIGKILLed in every other. A failing seed replays with `npm run chaos -- --seed N`.
import { describe, expect, it } from 'vitest';
import { runSeed } from './scenario.ts';

const SEEDS = Number(process.env.CHAOS_SEEDS ?? 10);

describe('chaos matrix', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}: converges after every phase; never too many Machines, never two instances for one`, async () => {
      const r = await runSeed(seed);
      process.stdout.write(
        `chaos seed ${seed}: faults ${JSON.stringify(r.faults)}, converge s ${r.convergeS.map((s) => s.toFixed(1)).join('/')}, ` +
          `max machines ${r.maxMachines}, machines created ${r.machinesCreated}, instances launched ${r.instancesLaunched}, ` +
          `dead letters ${r.deadLetters}\n`,
      );
      expect(r.violations).toEqual([]);
      expect(Object.values(r.faults).reduce((a, n) => a + n, 0)).toBeGreaterThan(0);
      expect(r.restarts.apiServer).toBeGreaterThan(0);
      // Every instance ever launched belongs to a Machine ever created (no duplicate launches for one Machine).
      expect(r.instancesLaunched).toBeLessThanOrEqual(r.machinesCreated);
      expect(r.leftovers).toEqual({ instances: 0, nodes: 0, finalizers: 0 });
      expect(r.deadLetters).toBe(0);
    }, 240_000);
  }
});
