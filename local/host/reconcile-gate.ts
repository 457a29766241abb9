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
// the next run woken by another object's event (the hint's kind is not the target's) waits until ceil(listed /
// OBJECTS_PER_EVENT) such deliveries have arrived since the last run started, or until the first of them has
// waited min(listed × WAIT_PER_OBJECT_MS, MAX_WAIT_MS). Each event then pays for at most OBJECTS_PER_EVENT
// listed objects while events are dense, so the bytes listed grow with the events (linearly with N), and a lone
// event still runs within the wait. A target's own events (a MachineSet's replicas) and requeues never wait.
// Cloud buses run handlers concurrently anyway; the handlers stay correct without the gate (the chaos tests turn
// it off), it only removes redundant work.
import { apiGroupOf, type ResourceEvent, refKey } from '../../shared/events/resource-event.ts';
import type { HandlerDefinition, ReconcileResult } from '../../shared/runtime/handler.ts';

const settled = () => {};

/** Objects listed per fan-in event, at most, while events are dense. */
export const OBJECTS_PER_EVENT = 4;
/** How long a fan-in event may wait per object the last run listed, and at most. */
export const WAIT_PER_OBJECT_MS = 5;
export const MAX_WAIT_MS = 5_000;

interface Budget {
  /** Fan-in deliveries to gather before the next fan-in run. */
  threshold: number;
  maxWaitMs: number;
  /** Fan-in deliveries since the last run started, and when the first of them arrived. */
  count: number;
  firstAt?: number;
  wake: Array<() => void>;
}

export class ReconcileGate {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly waiting = new Set<string>();
  private readonly budgets = new Map<string, Budget>();
  /** Runs started per target, so a waiter can tell a run began after it arrived. */
  private readonly started = new Map<string, number>();
  /** Reconcile runs started, and deliveries acknowledged without one because an equal one was waiting. */
  readonly stats = { runs: 0, coalesced: 0 };

  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /**
   * Runs `fn` for `target` as described above; `undefined` when folded into a waiting run. `fanIn`: the delivery
   * is another object's event mapped to this target.
   */
  async run<T>(target: string, hint: string, fn: () => Promise<T>, fanIn = false): Promise<T | undefined> {
    if (fanIn) this.arrived(target);
    if (this.running.has(target) || (fanIn && !this.gathered(target))) {
      const slot = `${target}\n${hint}`;
      if (this.waiting.has(slot)) {
        this.stats.coalesced++;
        return undefined;
      }
      const seen = this.started.get(target) ?? 0;
      this.waiting.add(slot);
      try {
        for (;;) {
          // Another waiter (a different hint) may start first when the run ends: wait for that one too.
          for (let p = this.running.get(target); p; p = this.running.get(target)) await p.then(settled, settled);
          if (!fanIn) break;
          // A run that started after this delivery arrived read fresher state; with no fan-in delivery since,
          // nothing is left for this one to answer.
          const b = this.budgets.get(target);
          if (b && b.firstAt === undefined && (this.started.get(target) ?? 0) > seen) {
            this.stats.coalesced++;
            return undefined;
          }
          if (this.gathered(target)) break;
          await this.untilGathered(target);
        }
      } finally {
        this.waiting.delete(slot);
      }
    }
    const p = fn();
    this.running.set(target, p);
    this.started.set(target, (this.started.get(target) ?? 0) + 1);
    this.stats.runs++;
    const budget = this.budgets.get(target);
    if (budget) {
      budget.count = 0;
      delete budget.firstAt;
      // Gathering waiters look again once this run ends: it may have answered them.
      this.wakeAll(budget);
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

  private arrived(target: string): void {
    const b = this.budgets.get(target);
    if (!b) return;
    b.count++;
    b.firstAt ??= this.now();
    if (b.count >= b.threshold) this.wakeAll(b);
  }

  /** Whether a fan-in run of `target` may start now. */
  private gathered(target: string): boolean {
    const b = this.budgets.get(target);
    if (!b || b.count >= b.threshold) return true;
    return b.firstAt !== undefined && this.now() - b.firstAt >= b.maxWaitMs;
  }

  private untilGathered(target: string): Promise<void> {
    const b = this.budgets.get(target)!;
    const left = Math.max(0, (b.firstAt ?? this.now()) + b.maxWaitMs - this.now());
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      b.wake.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wakeAll(b: Budget): void {
    const wake = b.wake.splice(0);
    for (const w of wake) w();
  }

  /** After a run: the budget its listing sets (none when it reported none). */
  private setBudget(target: string, listed: number | undefined): void {
    const b = this.budgets.get(target);
    if (!listed || listed <= OBJECTS_PER_EVENT) {
      if (b) {
        this.budgets.delete(target);
        this.wakeAll(b);
      }
      return;
    }
    const threshold = Math.ceil(listed / OBJECTS_PER_EVENT);
    const maxWaitMs = Math.min(listed * WAIT_PER_OBJECT_MS, MAX_WAIT_MS);
    if (b) {
      b.threshold = threshold;
      b.maxWaitMs = maxWaitMs;
      if (b.count >= threshold) this.wakeAll(b);
    } else {
      this.budgets.set(target, { threshold, maxWaitMs, count: 0, wake: [] });
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
    reconcile: (ref, ctx) => {
      const from = ctx.event.data.ref;
      const fanIn =
        !ctx.event.capifnhandler &&
        (apiGroupOf(from.apiVersion) !== apiGroupOf(ref.apiVersion) || from.kind !== ref.kind);
      return gate.run(refKey(ref), hintOf(ctx.event), () => def.reconcile(ref, ctx), fanIn);
    },
  };
}
