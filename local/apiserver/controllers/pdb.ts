// PodDisruptionBudget status from the pods its selector matches (the disruption controller's arithmetic), so
// evictions see real numbers. A pod counts as healthy when its Ready condition is True and it is not deleting.
import { podReadyCondition } from '../builtins/core.ts';
import type { ApiContext } from '../context.ts';
import { fromLabelSelectorObject, matchLabels } from '../selectors.ts';
import type { Change } from '../storage/store.ts';
import { asObject, deepEqual, isObject, type JsonObject, labelsOf, nowRfc3339 } from '../util.ts';
import { Debounced, internalUpdate } from './internal-write.ts';

const PDB_KEY = 'policy/poddisruptionbudgets';
/** Upstream forgets a disrupted pod after this long if it was never deleted. */
const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

export function pdbSelects(pdb: JsonObject, pod: JsonObject): boolean {
  const raw = asObject(pdb.spec).selector;
  if (!isObject(raw)) return false;
  const sel = fromLabelSelectorObject(raw);
  if (!sel || sel.length === 0) return false;
  return matchLabels(sel, labelsOf(pod));
}

function scaled(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) {
    const pct = Number(v.slice(0, -1));
    const x = (pct * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return undefined;
}

export function computePdbStatus(pdb: JsonObject, pods: JsonObject[], now: number): JsonObject {
  const spec = asObject(pdb.spec);
  const old = asObject(pdb.status);
  const matching = pods.filter((p) => pdbSelects(pdb, p));
  const expected = matching.length;
  const disrupted: Record<string, string> = {};
  for (const [name, ts] of Object.entries(asObject(old.disruptedPods))) {
    const pod = matching.find((p) => asObject(p.metadata).name === name);
    if (!pod || asObject(pod.metadata).deletionTimestamp) continue;
    if (typeof ts === 'string' && now - Date.parse(ts) < DISRUPTED_POD_TIMEOUT_MS) disrupted[name] = ts;
  }
  const healthy = matching.filter(
    (p) =>
      podReadyCondition(p) &&
      !asObject(p.metadata).deletionTimestamp &&
      !(String(asObject(p.metadata).name) in disrupted),
  ).length;
  let desired = 0;
  if (spec.maxUnavailable !== undefined) {
    const maxU = scaled(spec.maxUnavailable, expected, true) ?? 0;
    desired = Math.max(0, expected - maxU);
  } else if (spec.minAvailable !== undefined) {
    desired = scaled(spec.minAvailable, expected, true) ?? 0;
  }
  const allowed = Math.max(0, healthy - desired);
  const prevCond = (Array.isArray(old.conditions) ? old.conditions : [])
    .map(asObject)
    .find((c) => c.type === 'DisruptionAllowed');
  const condStatus = allowed > 0 ? 'True' : 'False';
  const cond = {
    type: 'DisruptionAllowed',
    status: condStatus,
    reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
    message: '',
    observedGeneration: asObject(pdb.metadata).generation ?? 1,
    lastTransitionTime:
      prevCond && prevCond.status === condStatus && typeof prevCond.lastTransitionTime === 'string'
        ? prevCond.lastTransitionTime
        : nowRfc3339(now),
  };
  const status: JsonObject = {
    observedGeneration: asObject(pdb.metadata).generation ?? 1,
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: [cond],
  };
  if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
  return status;
}

export class PdbController {
  private readonly ctx: ApiContext;
  private readonly dirty = new Set<string>();
  private readonly loop: Debounced;

  constructor(ctx: ApiContext) {
    this.ctx = ctx;
    this.loop = new Debounced(
      () => this.sync(),
      (e) => ctx.log(`pdb controller: ${String(e)}`),
    );
    ctx.store.onCommit((c) => this.onChange(c));
    for (const p of ctx.store.list(PDB_KEY)) this.dirty.add(String(asObject(p.metadata).namespace));
    this.loop.kick();
  }

  private onChange(c: Change): void {
    if (c.key !== 'pods' && c.key !== PDB_KEY) return;
    if (c.key === PDB_KEY && c.type !== 'DELETED') {
      const before = c.prev ? { ...c.prev, status: undefined, metadata: undefined } : undefined;
      const after = { ...c.object, status: undefined, metadata: undefined };
      // The controller's own status writes need no new pass.
      if (
        before &&
        deepEqual(before, after) &&
        asObject(c.prev?.metadata).generation === asObject(c.object.metadata).generation
      )
        return;
    }
    this.dirty.add(c.namespace);
    this.loop.kick();
  }

  stop(): void {
    this.loop.stopped = true;
  }

  private sync(): void {
    const namespaces = [...this.dirty];
    this.dirty.clear();
    const now = Date.now();
    for (const ns of namespaces) {
      const pdbs = this.ctx.store.list(PDB_KEY, ns);
      if (pdbs.length === 0) continue;
      const pods = this.ctx.store.list('pods', ns);
      for (const pdb of pdbs) {
        const name = String(asObject(pdb.metadata).name);
        internalUpdate(this.ctx, PDB_KEY, ns, name, (o) => {
          o.status = computePdbStatus(o, pods, now);
        });
      }
    }
  }
}
