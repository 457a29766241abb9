// Owner-reference garbage collection (background, foreground with blockOwnerDeletion, orphan). Owner identity is
// the UID. Indexes are kept incrementally from store commits so only affected objects are looked at.
import type { ApiContext } from '../context.ts';
import { deleteObject, FOREGROUND, ORPHAN, type Propagation } from '../rest/delete.ts';
import type { Change } from '../storage/store.ts';
import { asArray, asObject, asString, type JsonObject } from '../util.ts';
import { Debounced, internalUpdate } from './internal-write.ts';

interface Loc {
  key: string;
  ns: string;
  name: string;
}

const locId = (l: Loc) => `${l.key}\u0000${l.ns}\u0000${l.name}`;
const parseLoc = (id: string): Loc => {
  const [key, ns, name] = id.split('\u0000') as [string, string, string];
  return { key, ns, name };
};

function owners(o: JsonObject | undefined): JsonObject[] {
  return asArray(asObject(o?.metadata).ownerReferences).map(asObject);
}

export class GarbageCollector {
  private readonly ctx: ApiContext;
  private readonly byUid = new Map<string, Loc>();
  /** owner uid → dependents referencing it */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly dirtyDependents = new Set<string>();
  private readonly dirtyOwners = new Set<string>();
  private readonly loop: Debounced;

  constructor(ctx: ApiContext) {
    this.ctx = ctx;
    this.loop = new Debounced(
      () => this.process(),
      (e) => ctx.log(`garbage collector: ${e instanceof Error ? e.stack : String(e)}`),
    );
    for (const key of ctx.store.keys()) {
      for (const o of ctx.store.list(key)) {
        const m = asObject(o.metadata);
        const loc = { key, ns: asString(m.namespace) ?? '', name: String(m.name) };
        this.index(loc, undefined, o);
        this.consider(loc, o);
      }
    }
    ctx.store.onCommit((c) => this.onChange(c));
    this.loop.kick();
  }

  stop(): void {
    this.loop.stopped = true;
  }

  private index(loc: Loc, prev: JsonObject | undefined, next: JsonObject | undefined): void {
    const id = locId(loc);
    for (const r of owners(prev)) this.dependents.get(String(r.uid))?.delete(id);
    const prevUid = asString(asObject(prev?.metadata).uid);
    if (prevUid && !next) this.byUid.delete(prevUid);
    if (next) {
      const uid = asString(asObject(next.metadata).uid);
      if (uid) this.byUid.set(uid, loc);
      for (const r of owners(next)) {
        const u = String(r.uid);
        let s = this.dependents.get(u);
        if (!s) {
          s = new Set();
          this.dependents.set(u, s);
        }
        s.add(id);
      }
    }
  }

  private consider(loc: Loc, o: JsonObject | undefined): void {
    const id = locId(loc);
    if (o && owners(o).length > 0) this.dirtyDependents.add(id);
    const m = asObject(o?.metadata);
    if (m.deletionTimestamp && asArray(m.finalizers).some((f) => f === FOREGROUND || f === ORPHAN))
      this.dirtyOwners.add(id);
  }

  private onChange(c: Change): void {
    const loc = { key: c.key, ns: c.namespace, name: c.name };
    const next = c.type === 'DELETED' ? undefined : c.object;
    this.index(loc, c.prev, next);
    this.consider(loc, next);
    const uid = asString(asObject(c.object.metadata).uid);
    const deletingNow = !!asObject(next?.metadata).deletionTimestamp;
    if (uid && (c.type === 'DELETED' || deletingNow)) {
      for (const d of this.dependents.get(uid) ?? []) this.dirtyDependents.add(d);
    }
    // A dependent that changes or goes may release a foreground-deleting owner.
    for (const r of [...owners(c.prev), ...owners(next)]) {
      const ol = this.byUid.get(String(r.uid));
      if (ol) this.dirtyOwners.add(locId(ol));
    }
    if (this.dirtyDependents.size > 0 || this.dirtyOwners.size > 0) this.loop.kick();
  }

  private get(id: string): JsonObject | undefined {
    const l = parseLoc(id);
    return this.ctx.store.get(l.key, l.ns, l.name);
  }

  private defFor(key: string) {
    return this.ctx.registry.byStorageKey(key)[0];
  }

  /** solid: exists and not waiting for foreground deletion; absent: gone or unreachable; waiting: foreground. */
  private ownerState(dep: Loc, ref: JsonObject): 'solid' | 'absent' | 'waiting' | 'ignore' {
    const loc = this.byUid.get(String(ref.uid));
    if (!loc) {
      // A cluster-scoped dependent never points at a namespaced owner; without knowing the owner's scope we only
      // collect when the referenced kind is known to be reachable.
      if (!dep.ns) {
        const def = this.ctx.registry
          .all()
          .find(
            (d) =>
              d.kind === ref.kind &&
              d.versions.some((v) => `${d.group ? `${d.group}/` : ''}${v.name}` === ref.apiVersion),
          );
        if (def?.namespaced) return 'ignore';
      }
      return 'absent';
    }
    if (dep.ns && loc.ns && loc.ns !== dep.ns) return 'absent';
    if (!dep.ns && loc.ns) return 'ignore';
    const owner = this.ctx.store.get(loc.key, loc.ns, loc.name);
    if (!owner) return 'absent';
    const m = asObject(owner.metadata);
    if (m.deletionTimestamp && asArray(m.finalizers).includes(FOREGROUND)) return 'waiting';
    return 'solid';
  }

  private async process(): Promise<void> {
    for (let pass = 0; pass < 100 && (this.dirtyDependents.size > 0 || this.dirtyOwners.size > 0); pass++) {
      const deps = [...this.dirtyDependents];
      this.dirtyDependents.clear();
      for (const id of deps) await this.processDependent(id);
      const ownersToCheck = [...this.dirtyOwners];
      this.dirtyOwners.clear();
      for (const id of ownersToCheck) this.processOwner(id);
    }
  }

  private async processDependent(id: string): Promise<void> {
    const dep = this.get(id);
    if (!dep) return;
    const loc = parseLoc(id);
    const refs = owners(dep);
    if (refs.length === 0) return;
    const states = refs.map((r) => this.ownerState(loc, r));
    if (states.some((s) => s === 'solid' || s === 'ignore')) {
      const dangling = new Set(
        refs.filter((_, i) => states[i] === 'absent' || states[i] === 'waiting').map((r) => String(r.uid)),
      );
      if (dangling.size === 0) return;
      internalUpdate(this.ctx, loc.key, loc.ns, loc.name, (o) => {
        const m = asObject(o.metadata);
        m.ownerReferences = owners(o).filter((r) => !dangling.has(String(r.uid)));
        if ((m.ownerReferences as unknown[]).length === 0) delete m.ownerReferences;
      });
      return;
    }
    if (asObject(dep.metadata).deletionTimestamp) return;
    const def = this.defFor(loc.key);
    if (!def) return;
    const uid = String(asObject(dep.metadata).uid);
    const hasOwnDependents = (this.dependents.get(uid)?.size ?? 0) > 0;
    const policy: Propagation = states.includes('waiting') && hasOwnDependents ? 'Foreground' : 'Background';
    const own = asArray(asObject(dep.metadata).finalizers);
    const version = def.versions.find((v) => v.name === def.storageVersion) ?? def.versions[0]!;
    try {
      await deleteObject(
        { ctx: this.ctx, def, version, namespace: loc.ns, name: loc.name, subresource: '' },
        own.includes(ORPHAN) || own.includes(FOREGROUND) ? {} : { propagationPolicy: policy },
        {
          dryRun: false,
          fieldValidation: 'Ignore',
          fieldManager: 'generic-garbage-collector',
          warnings: [],
          options: {},
        },
        false,
      );
    } catch (e) {
      this.ctx.log(`garbage collector: deleting ${loc.key} ${loc.ns}/${loc.name}: ${String(e)}`);
    }
  }

  private processOwner(id: string): void {
    const owner = this.get(id);
    if (!owner) return;
    const m = asObject(owner.metadata);
    if (!m.deletionTimestamp) return;
    const uid = String(m.uid);
    const loc = parseLoc(id);
    const fins = asArray(m.finalizers);
    const deps = [...(this.dependents.get(uid) ?? [])];
    if (fins.includes(ORPHAN)) {
      for (const d of deps) {
        const l = parseLoc(d);
        internalUpdate(this.ctx, l.key, l.ns, l.name, (o) => {
          const om = asObject(o.metadata);
          om.ownerReferences = owners(o).filter((r) => r.uid !== uid);
          if ((om.ownerReferences as unknown[]).length === 0) delete om.ownerReferences;
        });
      }
      internalUpdate(this.ctx, loc.key, loc.ns, loc.name, (o) => {
        const om = asObject(o.metadata);
        om.finalizers = asArray(om.finalizers).filter((f) => f !== ORPHAN);
      });
      return;
    }
    if (fins.includes(FOREGROUND)) {
      for (const d of deps) this.dirtyDependents.add(d);
      const blocking = deps.some((d) => {
        const o = this.get(d);
        return owners(o).some((r) => r.uid === uid && r.blockOwnerDeletion === true);
      });
      if (!blocking) {
        internalUpdate(this.ctx, loc.key, loc.ns, loc.name, (o) => {
          const om = asObject(o.metadata);
          om.finalizers = asArray(om.finalizers).filter((f) => f !== FOREGROUND);
        });
      }
    }
  }
}
