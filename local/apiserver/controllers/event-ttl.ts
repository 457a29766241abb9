// kube-apiserver's --event-ttl (default 1 h): an Event goes once its last occurrence is older than the TTL, so a
// long-running embedded default does not keep every Event it ever recorded (the soak bench found the snapshot
// growing by them). A sweep every tenth of the TTL (at most a minute) deletes what expired, straight from storage,
// as the other controllers here write.
import type { ApiContext } from '../context.ts';
import { PreconditionError } from '../storage/store.ts';
import { asObject, type JsonObject } from '../util.ts';

export const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;

/** When an Event last happened, as the two Event APIs record it (ms since the epoch; NaN when it says nothing). */
export function lastOccurrence(ev: JsonObject): number {
  const series = asObject(ev.series);
  for (const t of [ev.lastTimestamp, series.lastObservedTime, ev.eventTime, asObject(ev.metadata).creationTimestamp]) {
    if (typeof t === 'string' && t) {
      const ms = Date.parse(t);
      if (Number.isFinite(ms)) return ms;
    }
  }
  return Number.NaN;
}

export class EventTtlController {
  private readonly timer: NodeJS.Timeout;
  private readonly ctx: ApiContext;
  private readonly ttlMs: number;
  private readonly now: () => number;
  constructor(ctx: ApiContext, ttlMs: number = DEFAULT_EVENT_TTL_MS, now: () => number = Date.now) {
    this.ctx = ctx;
    this.ttlMs = ttlMs;
    this.now = now;
    this.timer = setInterval(() => this.sweep(), Math.min(60_000, Math.max(10, ttlMs / 10)));
    this.timer.unref();
  }

  /** Deletes every expired Event; returns how many went. */
  sweep(): number {
    let deleted = 0;
    const cutoff = this.now() - this.ttlMs;
    for (const key of ['events', 'events.k8s.io/events']) {
      for (const ev of this.ctx.store.list(key)) {
        if (!(lastOccurrence(ev) < cutoff)) continue;
        const m = asObject(ev.metadata);
        try {
          this.ctx.store.write(key, String(m.namespace ?? ''), String(m.name), null, String(m.resourceVersion));
          deleted++;
        } catch (e) {
          // Updated or deleted meanwhile: the next sweep looks again.
          if (!(e instanceof PreconditionError)) throw e;
        }
      }
    }
    return deleted;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
