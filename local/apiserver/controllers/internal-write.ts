// Writes made by the server's own controllers (GC, namespace, PDB, CRD). They go straight to storage:
// no admission webhooks, no managedFields entry (a deviation: upstream controllers write through the API).
import type { ApiContext } from '../context.ts';
import { PreconditionError } from '../storage/store.ts';
import { asArray, asObject, clone, deepEqual, type JsonObject } from '../util.ts';

/** Re-read, edit, write with a resourceVersion precondition; retries when another writer got there first. */
export function internalUpdate(
  ctx: ApiContext,
  key: string,
  ns: string,
  name: string,
  edit: (o: JsonObject) => void,
): JsonObject | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = ctx.store.get(key, ns, name);
    if (!cur) return undefined;
    const next = clone(cur);
    edit(next);
    if (deepEqual(next, cur)) return cur;
    const m = asObject(next.metadata);
    const gone =
      !!m.deletionTimestamp &&
      asArray(m.finalizers).length === 0 &&
      !(key === 'namespaces' && asArray(asObject(next.spec).finalizers).length > 0);
    try {
      if (gone) {
        ctx.store.write(key, ns, name, null, String(asObject(cur.metadata).resourceVersion));
        return undefined;
      }
      ctx.store.write(key, ns, name, next, String(asObject(cur.metadata).resourceVersion));
      return next;
    } catch (e) {
      if (e instanceof PreconditionError && e.kind === 'stale') continue;
      if (e instanceof PreconditionError && e.kind === 'missing') return undefined;
      throw e;
    }
  }
  return undefined;
}

/** Coalesces wake-ups: `run` executes once per turn of the event loop however often `kick` was called. */
export class Debounced {
  private scheduled = false;
  private running = false;
  private again = false;
  private readonly run: () => Promise<void> | void;
  private readonly onError: (e: unknown) => void;
  stopped = false;
  constructor(run: () => Promise<void> | void, onError: (e: unknown) => void) {
    this.run = run;
    this.onError = onError;
  }
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.execute());
  }
  private async execute(): Promise<void> {
    this.scheduled = false;
    if (this.stopped) return;
    this.running = true;
    try {
      await this.run();
    } catch (e) {
      this.onError(e);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.kick();
    }
  }
}
