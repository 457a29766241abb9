// Namespace deletion: once a namespace is terminating, delete everything in it, report what remains in
// conditions, and finalize (drop spec.finalizer "kubernetes") when it is empty.
import type { ApiContext } from '../context.ts';
import { deleteObject } from '../rest/delete.ts';
import type { Change } from '../storage/store.ts';
import { asArray, asObject, deepEqual, type JsonObject, nowRfc3339 } from '../util.ts';
import { Debounced, internalUpdate } from './internal-write.ts';

export class NamespaceController {
  private readonly ctx: ApiContext;
  private readonly terminating = new Set<string>();
  private readonly loop: Debounced;

  constructor(ctx: ApiContext) {
    this.ctx = ctx;
    this.loop = new Debounced(
      () => this.sync(),
      (e) => ctx.log(`namespace controller: ${String(e)}`),
    );
    for (const ns of ctx.store.list('namespaces')) {
      if (asObject(ns.metadata).deletionTimestamp) this.terminating.add(String(asObject(ns.metadata).name));
    }
    ctx.store.onCommit((c) => this.onChange(c));
    if (this.terminating.size > 0) this.loop.kick();
  }

  stop(): void {
    this.loop.stopped = true;
  }

  private onChange(c: Change): void {
    if (c.key === 'namespaces') {
      if (c.type !== 'DELETED' && asObject(c.object.metadata).deletionTimestamp) this.terminating.add(c.name);
      if (c.type === 'DELETED') this.terminating.delete(c.name);
    }
    if (this.terminating.has(c.namespace) || (c.key === 'namespaces' && this.terminating.has(c.name))) this.loop.kick();
  }

  private async sync(): Promise<void> {
    for (const name of [...this.terminating]) await this.drain(name);
  }

  private async drain(name: string): Promise<void> {
    const ns = this.ctx.store.get('namespaces', '', name);
    if (!ns) {
      this.terminating.delete(name);
      return;
    }
    const remaining: Record<string, number> = {};
    const withFinalizers: Record<string, number> = {};
    let total = 0;
    for (const def of this.ctx.registry.all()) {
      if (!def.namespaced || this.ctx.registry.byStorageKey(def.storageKey)[0] !== def) continue;
      const objs = this.ctx.store.list(def.storageKey, name);
      if (objs.length === 0) continue;
      remaining[`${def.resource}${def.group ? `.${def.group}` : ''}`] = objs.length;
      total += objs.length;
      const version = def.versions.find((v) => v.name === def.storageVersion) ?? def.versions[0]!;
      for (const o of objs) {
        const m = asObject(o.metadata);
        for (const f of asArray(m.finalizers)) withFinalizers[String(f)] = (withFinalizers[String(f)] ?? 0) + 1;
        if (m.deletionTimestamp) continue;
        try {
          await deleteObject(
            { ctx: this.ctx, def, version, namespace: name, name: String(m.name), subresource: '' },
            { propagationPolicy: 'Background' },
            {
              dryRun: false,
              fieldValidation: 'Ignore',
              fieldManager: 'namespace-controller',
              warnings: [],
              options: {},
            },
            false,
          );
        } catch (e) {
          this.ctx.log(`namespace controller: deleting ${def.resource} ${name}/${String(m.name)}: ${String(e)}`);
        }
      }
    }
    const now = nowRfc3339();
    internalUpdate(this.ctx, 'namespaces', '', name, (o) => {
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
      const contentMsg = Object.entries(remaining)
        .map(([r, n]) => `${r} has ${n} resource instances`)
        .join(', ');
      const finMsg = Object.entries(withFinalizers)
        .map(([f, n]) => `${f} in ${n} resource instances`)
        .join(', ');
      const conditions = [
        cond(
          'NamespaceDeletionDiscoveryFailure',
          'False',
          'ResourcesDiscovered',
          'All resources successfully discovered',
        ),
        cond(
          'NamespaceDeletionGroupVersionParsingFailure',
          'False',
          'ParsedGroupVersions',
          'All legacy kube types successfully parsed',
        ),
        cond(
          'NamespaceDeletionContentFailure',
          'False',
          'ContentDeleted',
          'All content successfully deleted, may be waiting on finalization',
        ),
        total > 0
          ? cond(
              'NamespaceContentRemaining',
              'True',
              'SomeResourcesRemain',
              `Some resources are remaining: ${contentMsg}`,
            )
          : cond('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
        Object.keys(withFinalizers).length > 0
          ? cond(
              'NamespaceFinalizersRemaining',
              'True',
              'SomeFinalizersRemain',
              `Some content in the namespace has finalizers remaining: ${finMsg}`,
            )
          : cond(
              'NamespaceFinalizersRemaining',
              'False',
              'ContentHasNoFinalizers',
              'All content-preserving finalizers finished',
            ),
      ];
      if (!deepEqual(prev, conditions)) st.conditions = conditions;
      st.phase = 'Terminating';
      o.status = st;
      if (total === 0) {
        const spec = asObject(o.spec);
        spec.finalizers = asArray(spec.finalizers).filter((f) => f !== 'kubernetes');
        o.spec = spec;
      }
    });
  }
}
