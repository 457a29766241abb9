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
//
// Folding alone still runs a fan-in target back to back while its objects keep changing: a MachineSet of N
// Machines converging runs once per reconcile's duration, each run LISTing N Machines, and a faster pipeline
// means more runs. So a run that reports how many objects it listed (`listed` in its result) sets a budget:
// a later delivery woken by another object's event (the hint's kind is not the target's) runs only once
// ceil(listed / OBJECTS_PER_EVENT) such deliveries have arrived since the last run started. Until then each is
// acknowledged, and the first one schedules a targeted requeue of the target (through the bus, so it is retried
// like any event) min(listed × WAIT_PER_OBJECT_MS, MAX_WAIT_MS) later, which answers all of them. Each event then
// pays for at most OBJECTS_PER_EVENT listed objects while events are dense, so the bytes listed grow with the
// events (linearly with N), and a lone event is answered within the wait. Nothing waits inside a delivery, so no
// bus slot is held. A target's own events and requeues never wait.
// Cloud buses run handlers concurrently anyway; the handlers stay correct without the gate (the chaos tests turn
// it off), it only removes redundant work.
import { apiGroupOf, type ResourceEvent, refKey } from '../../shared/events/resource-event.ts';
import type { HandlerDefinition, ReconcileResult } from '../../shared/runtime/handler.ts';

const settled = () => {};

/** Objects listed per fan-in event, at most, while events are dense. */
export const OBJECTS_PER_EVENT = 4;
/** How long a fan-in event may wait for its answer, per object the last run listed, and at most. */
export const WAIT_PER_OBJECT_MS = 5;
export const MAX_WAIT_MS = 5_000;

interface Budget {
  /** Fan-in deliveries to gather before one runs. */
  threshold: number;
  maxWaitMs: number;
  /** Fan-in deliveries since the last run started; whether the requeue that answers them is scheduled. */
  count: number;
  deferred: boolean;
}

/** Schedules a targeted requeue of the target after `delayMs`. */
export type Defer = (delayMs: number) => Promise<void>;

export class ReconcileGate {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly waiting = new Set<string>();
  private readonly budgets = new Map<string, Budget>();
  /**
   * Reconcile runs started; deliveries acknowledged without one because an equal one was waiting or because they
   * were gathered; requeues scheduled to answer gathered ones.
   */
  readonly stats = { runs: 0, coalesced: 0, deferred: 0 };

  /**
   * Runs `fn` for `target` as described above; `undefined` when folded into a waiting run or gathered. `defer`
   * (given for a fan-in delivery: another object's event mapped to this target) schedules the requeue that
   * answers gathered deliveries; without it nothing is gathered.
   */
  async run<T>(target: string, hint: string, fn: () => Promise<T>, defer?: Defer): Promise<T | undefined> {
    const budget = defer ? this.budgets.get(target) : undefined;
    if (budget) budget.count++;
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
    if (defer) {
      const b = this.budgets.get(target);
      if (b && b.count < b.threshold) {
        if (!b.deferred) {
          // Marked only once scheduled: a failed publish fails this delivery, and its retry schedules again. Not
          // marked if a run started meanwhile (the requeue itself, when the publish was slow): that run reset the
          // count, and a later delivery must schedule the next requeue.
          const runs = this.stats.runs;
          await defer(b.maxWaitMs);
          this.stats.deferred++;
          if (this.stats.runs === runs && this.budgets.get(target) === b) b.deferred = true;
        }
        this.stats.coalesced++;
        return undefined;
      }
    }
    const p = fn();
    this.running.set(target, p);
    this.stats.runs++;
    const b = this.budgets.get(target);
    if (b) {
      b.count = 0;
      b.deferred = false;
    }
    let result: T | undefined;
    try {
      result = await p;
      return result;
    } finally {
      if (this.running.get(target) === p) this.running.delete(target);
      this.setBudget(target, (result as ReconcileResult | undefined)?.listed);
    }
  }

  /** After a run: the budget its listing sets (none when it reported none or few). */
  private setBudget(target: string, listed: number | undefined): void {
    if (!listed || listed <= OBJECTS_PER_EVENT) {
      this.budgets.delete(target);
      return;
    }
    const threshold = Math.ceil(listed / OBJECTS_PER_EVENT);
    const maxWaitMs = Math.min(listed * WAIT_PER_OBJECT_MS, MAX_WAIT_MS);
    const b = this.budgets.get(target);
    if (b) {
      b.threshold = threshold;
      b.maxWaitMs = maxWaitMs;
    } else {
      this.budgets.set(target, { threshold, maxWaitMs, count: 0, deferred: false });
    }
  }
}

/** What a handler may learn from the event besides "look again": which kind woke it, and how. */
export function hintOf(event: ResourceEvent): string {
  return `${apiGroupOf(event.data.ref.apiVersion)}/${event.data.ref.kind} ${event.type}`;
}

/**
 * `def` with its reconcile behind `gate`. `defer` schedules a targeted requeue of an object for this handler (the
 * host's requeue path); fan-in deliveries get it.
 */
export function gated<C>(
  def: HandlerDefinition<C>,
  gate: ReconcileGate,
  defer?: (ref: ResourceEvent['data']['ref'], delayMs: number) => Promise<void>,
): HandlerDefinition<C> {
  return {
    ...def,
    reconcile: (ref, ctx) => {
      const from = ctx.event.data.ref;
      const fanIn =
        !ctx.event.capifnhandler &&
        (apiGroupOf(from.apiVersion) !== apiGroupOf(ref.apiVersion) || from.kind !== ref.kind);
      return gate.run(
        refKey(ref),
        hintOf(ctx.event),
        () => def.reconcile(ref, ctx),
        fanIn && defer ? (delayMs) => defer(ref, delayMs) : undefined,
      );
    },
  };
}
