// The apiextensions controllers: name acceptance + Established (immediately, single server), storedVersions,
// serving the CRD's resources, and instance cleanup when a CRD is deleted.
import type { ApiContext } from '../context.ts';
import { crdNames, defFromCrd } from '../crd/definition.ts';
import { CRD_CLEANUP, deleteObject } from '../rest/delete.ts';
import type { Change } from '../storage/store.ts';
import { asArray, asObject, asString, type JsonObject, nowRfc3339 } from '../util.ts';
import { Debounced, internalUpdate } from './internal-write.ts';

export const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export class CrdController {
  private readonly ctx: ApiContext;
  private readonly pending = new Set<string>();
  private readonly cleanup: Debounced;
  private readonly cleaning = new Set<string>();

  constructor(ctx: ApiContext) {
    this.ctx = ctx;
    this.cleanup = new Debounced(
      () => this.runCleanup(),
      (e) => ctx.log(`crd controller: ${String(e)}`),
    );
    for (const crd of ctx.store.list(CRD_KEY)) this.reconcile(String(asObject(crd.metadata).name));
    ctx.store.onCommit((c) => this.onChange(c));
  }

  stop(): void {
    this.cleanup.stopped = true;
  }

  private onChange(c: Change): void {
    if (c.key === CRD_KEY) {
      // Run right after the write that triggered it, before its response is sent: a created CRD is served and
      // Established by the time the client hears back (a single server needs no settling time).
      if (!this.pending.has(c.name)) {
        this.pending.add(c.name);
        queueMicrotask(() => {
          this.pending.delete(c.name);
          this.reconcile(c.name);
        });
      }
      return;
    }
    for (const name of this.cleaning) {
      const def = this.ctx.registry.byStorageKey(c.key)[0];
      if (def?.crd?.name === name && c.type === 'DELETED') this.cleanup.kick();
    }
  }

  reconcile(name: string): void {
    const crd = this.ctx.store.get(CRD_KEY, '', name);
    if (!crd) {
      this.unserve(name);
      return;
    }
    const m = asObject(crd.metadata);
    const accepted = this.namesAccepted(crd);
    const names = crdNames(crd);
    const storage = asArray(asObject(crd.spec).versions)
      .map(asObject)
      .find((v) => v.storage === true);
    const now = nowRfc3339();
    const updated = internalUpdate(this.ctx, CRD_KEY, '', name, (o) => {
      const st = asObject(o.status);
      const prev = asArray(st.conditions).map(asObject);
      const cond = (type: string, status: string, reason: string, message: string): JsonObject => {
        const p = prev.find((c) => c.type === type);
        return {
          type,
          status,
          lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now,
          reason,
          message,
        };
      };
      const conds: JsonObject[] = [
        accepted === true
          ? cond('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found')
          : cond('NamesAccepted', 'False', 'NameConflict', accepted),
        accepted === true
          ? cond('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted')
          : cond('Established', 'False', 'NotAccepted', 'not all names are accepted'),
      ];
      const terminating = prev.find((c) => c.type === 'Terminating');
      if (terminating) conds.push(terminating);
      st.conditions = conds;
      if (accepted === true) {
        st.acceptedNames = {
          plural: names.plural,
          singular: names.singular,
          ...(names.shortNames.length ? { shortNames: names.shortNames } : {}),
          kind: names.kind,
          listKind: names.listKind,
          ...(names.categories.length ? { categories: names.categories } : {}),
        };
      } else st.acceptedNames ??= { plural: '', kind: '' };
      const stored = asArray(st.storedVersions).filter((v): v is string => typeof v === 'string');
      const sv = asString(storage?.name);
      if (sv && !stored.includes(sv)) stored.push(sv);
      st.storedVersions = stored;
      o.status = st;
    });
    if (!updated) {
      this.unserve(name);
      return;
    }
    if (accepted === true) {
      const def = defFromCrd(updated);
      const before = this.ctx.registry.byGroupResource(def.group, def.resource);
      if (before?.crd && before.crd.uid !== def.crd?.uid) this.closeWatches(before.crd.name);
      this.ctx.registry.add(def);
    }
    if (m.deletionTimestamp) {
      this.cleaning.add(name);
      this.cleanup.kick();
    }
    this.ctx.onCrdChanged(name);
  }

  private namesAccepted(crd: JsonObject): true | string {
    const spec = asObject(crd.spec);
    const group = asString(spec.group) ?? '';
    const names = crdNames(crd);
    const myName = asString(asObject(crd.metadata).name);
    for (const other of this.ctx.registry.all()) {
      if (other.group !== group || other.crd?.name === myName) continue;
      if (other.resource === names.plural) return `"${names.plural}" is already in use`;
      if (other.kind === names.kind) return `"${names.kind}" is already in use`;
      for (const s of names.shortNames) if (other.shortNames.includes(s)) return `"${s}" is already in use`;
    }
    return true;
  }

  private unserve(name: string): void {
    const def = this.ctx.registry.all().find((d) => d.crd?.name === name);
    if (def) {
      this.ctx.registry.remove(def.group, def.resource);
      this.closeWatches(name);
    }
    this.cleaning.delete(name);
    this.ctx.onCrdChanged(name);
  }

  private closeWatches(crdName: string): void {
    for (const w of [...this.ctx.watches]) if (w.def.crd?.name === crdName) w.close();
  }

  private async runCleanup(): Promise<void> {
    for (const name of [...this.cleaning]) {
      const crd = this.ctx.store.get(CRD_KEY, '', name);
      if (!crd) {
        this.cleaning.delete(name);
        continue;
      }
      const def = this.ctx.registry.all().find((d) => d.crd?.name === name);
      const key = def?.storageKey ?? `${asString(asObject(crd.spec).group)}/${crdNames(crd).plural}`;
      const items = this.ctx.store.list(key);
      if (def) {
        const version = def.versions.find((v) => v.name === def.storageVersion) ?? def.versions[0]!;
        for (const o of items) {
          const m = asObject(o.metadata);
          if (m.deletionTimestamp) continue;
          try {
            await deleteObject(
              {
                ctx: this.ctx,
                def,
                version,
                namespace: asString(m.namespace) ?? '',
                name: String(m.name),
                subresource: '',
              },
              {},
              {
                dryRun: false,
                fieldValidation: 'Ignore',
                fieldManager: 'apiextensions-controller',
                warnings: [],
                options: {},
              },
              false,
            );
          } catch (e) {
            this.ctx.log(`crd cleanup ${name}: ${String(e)}`);
          }
        }
      }
      if (this.ctx.store.list(key).length === 0) {
        this.cleaning.delete(name);
        internalUpdate(this.ctx, CRD_KEY, '', name, (o) => {
          const om = asObject(o.metadata);
          om.finalizers = asArray(om.finalizers).filter((f) => f !== CRD_CLEANUP);
        });
      }
    }
  }
}
