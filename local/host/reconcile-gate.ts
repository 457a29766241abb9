// controller-runtime's workqueue never reconciles one object twice at once and keeps at most one
// pending entry per object, folding later events into it. The bus cannot: it serialises by the
// event's subject, while a mapped watch sends events about many objects (every Machine of a
// MachineSet) to one reconcile target. Without this gate a MachineSet of N Machines is reconciled
// once per Machine event, up to the bus concurrency at once, each run LISTing all N Machines and
// racing the others into 409s: quadratic work. The local host puts the gate in front of reconcile:
//   - runs for one target never overlap;
//   - a delivery that finds a run in progress waits and runs after it, unless a delivery with the
//     same kind of hint (waking kind and event type) is already waiting: that one starts after this
//     event arrived and reads fresh state, so this delivery is acknowledged without a run.
// Cloud buses run handlers concurrently anyway; the handlers stay correct without the gate (the
// chaos tests turn it off), it only removes redundant work.
import { apiGroupOf, type ResourceEvent, refKey } from '../../shared/events/resource-event.ts';
import type { HandlerDefinition } from '../../shared/runtime/handler.ts';

const settled = () => {};

export class ReconcileGate {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly waiting = new Set<string>();
  /** Reconcile runs started, and deliveries acknowledged without one because an equal one was waiting. */
  readonly stats = { runs: 0, coalesced: 0 };

  /** Runs `fn` for `target` as described above; `undefined` when folded into a waiting run. */
  async run<T>(target: string, hint: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.running.has(target)) {
      const slot = `${target}\n${hint}`;
      if (this.waiting.has(slot)) {
        this.stats.coalesced++;
        return undefined;
      }
      this.waiting.add(slot);
      try {
        // Another waiter (a different hint) may start first when the run ends: wait for that one too.
        for (let p = this.running.get(target); p; p = this.running.get(target)) await p.then(settled, settled);
      } finally {
        this.waiting.delete(slot);
      }
    }
    const p = fn();
    this.running.set(target, p);
    this.stats.runs++;
    try {
      return await p;
    } finally {
      if (this.running.get(target) === p) this.running.delete(target);
    }
  }
}

/** What a handler may learn from the event besides "look again": which kind woke it, and how. */
export function hintOf(event: ResourceEvent): string {
  return `${apiGroupOf(event.data.ref.apiVersion)}/${event.data.ref.kind} ${event.type}`;
}

/** `def` with its reconcile behind `gate`. */
export function gated<C>(def: HandlerDefinition<C>, gate: ReconcileGate): HandlerDefinition<C> {
  return {
    ...def,
    reconcile: (ref, ctx) => gate.run(refKey(ref), hintOf(ctx.event), () => def.reconcile(ref, ctx)),
  };
}
