// Which objects of a gate kind (a watch's `whenExists`) exist, or are being deleted, by namespace, as the bridge's
// own watch of that kind sees them. It answers "none here" only once a full LIST has been taken, so an event is never flagged from a
// partial view: a bridge resuming from its checkpoint lists the gate kind first.
import type { KubeObject } from '../../shared/api/meta.ts';

export class Presence {
  private readonly byNamespace = new Map<string, Set<string>>();
  private listed = false;
  /** Counts only objects being deleted (a `deleting` gate). */
  private readonly deletingOnly: boolean;

  constructor(o: { deleting?: boolean } = {}) {
    this.deletingOnly = o.deleting === true;
  }

  /** Everything that exists, from a LIST: what was known before is replaced. */
  replace(items: KubeObject[]): void {
    this.byNamespace.clear();
    for (const o of items) this.add(o);
    this.listed = true;
  }

  /**
   * Back to unknown (nothing is flagged) until the next LIST: the kind answered 404, which is also what a restarting
   * API server answers for a kind it has not loaded yet, so it is no proof that none exists.
   */
  reset(): void {
    this.byNamespace.clear();
    this.listed = false;
  }

  /** An object seen added or modified. */
  add(o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    // A deletion mark is never cleared: an object without one (an older event replayed after a resume) says
    // nothing against one seen deleting, which leaves only when it is gone.
    if (this.deletingOnly && !o.metadata.deletionTimestamp) return;
    const ns = o.metadata.namespace ?? '';
    const set = this.byNamespace.get(ns) ?? new Set<string>();
    set.add(uid);
    this.byNamespace.set(ns, set);
  }

  remove(o: KubeObject): void {
    const ns = o.metadata.namespace ?? '';
    const set = this.byNamespace.get(ns);
    if (!set || !o.metadata.uid) return;
    set.delete(o.metadata.uid);
    if (!set.size) this.byNamespace.delete(ns);
  }

  get complete(): boolean {
    return this.listed;
  }

  /**
   * True only when known: no object in `namespace` (a cluster-scoped one counts everywhere), or none at all for a
   * cluster-scoped event (`namespace` undefined).
   */
  none(namespace: string | undefined): boolean {
    if (!this.listed) return false;
    if (!namespace) return this.byNamespace.size === 0;
    return !this.byNamespace.get(namespace)?.size && !this.byNamespace.get('')?.size;
  }
}
