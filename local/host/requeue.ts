// controller-runtime's workqueue keeps at most one pending item per key with the earliest due time;
// without it every event that asks for a requeue would start its own timer chain. The host coalesces
// requeues per (handler, object) the same way before they reach the bus.
import { type ResourceEvent, refKey, TARGET_HANDLER_EXTENSION } from '../../shared/events/resource-event.ts';

export class RequeueCoalescer {
  private readonly due = new Map<string, number>();
  private readonly publish: (event: ResourceEvent, delayMs: number) => Promise<void>;
  private readonly now: () => number;

  constructor(publish: (event: ResourceEvent, delayMs: number) => Promise<void>, now: () => number = Date.now) {
    this.publish = publish;
    this.now = now;
  }

  /** Schedules unless an equal-or-earlier requeue for the same handler and object is already pending. */
  async requeue(event: ResourceEvent, delayMs: number): Promise<void> {
    const key = `${event[TARGET_HANDLER_EXTENSION] ?? ''}|${refKey(event.data.ref)}`;
    const at = this.now() + delayMs;
    const pending = this.due.get(key);
    if (pending !== undefined && pending > this.now() && pending <= at) return;
    this.due.set(key, at);
    await this.publish(event, delayMs);
  }
}
