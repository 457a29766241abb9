// controller-runtime's workqueue keeps at most one pending item per key with the earliest due time;
// without it every event that asks for a requeue would start its own timer chain. The host coalesces
// requeues per (handler, object) the same way before they reach the bus.
import { type ResourceEvent, refKey, TARGET_HANDLER_EXTENSION } from '../../shared/events/resource-event.ts';

export class RequeueCoalescer {
  /** Per key: when the pending requeue is due, and its publish (shared by callers it covers). */
  private readonly due = new Map<string, { at: number; published: Promise<void> }>();
  private readonly publish: (event: ResourceEvent, delayMs: number) => Promise<void>;
  private readonly now: () => number;

  constructor(publish: (event: ResourceEvent, delayMs: number) => Promise<void>, now: () => number = Date.now) {
    this.publish = publish;
    this.now = now;
  }

  /**
   * Schedules unless an equal-or-earlier requeue for the same handler and object is already pending. A caller it
   * covers waits for that requeue's publish and fails with it; a failed publish covers nobody afterwards.
   */
  async requeue(event: ResourceEvent, delayMs: number): Promise<void> {
    const key = `${event[TARGET_HANDLER_EXTENSION] ?? ''}|${refKey(event.data.ref)}`;
    const at = this.now() + delayMs;
    const pending = this.due.get(key);
    if (pending !== undefined && pending.at > this.now() && pending.at <= at) return pending.published;
    const entry = { at, published: this.publish(event, delayMs) };
    this.due.set(key, entry);
    try {
      await entry.published;
    } catch (e) {
      if (this.due.get(key) === entry) this.due.delete(key);
      throw e;
    }
  }
}
