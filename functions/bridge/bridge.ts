// The watch bridge: lists and watches every kind some handler declares and publishes one CloudEvent per change (the
// changes of one object that wait in the same flush window folded into one). Resumes from an in-cluster checkpoint
// advanced only after the bus acknowledged the events; on 410 Gone it relists and emits `resync` (and `deleted` for
// objects that vanished).
import type { KubeObject } from '../../shared/api/meta.ts';
import { type EventBus, PublishError } from '../../shared/bus/types.ts';
import {
  apiGroupOf,
  controllersDeletingIn,
  type GroupKind,
  gateExtension,
  gateKey,
  type ResourceEvent,
  type ResourceEventType,
  unchangedExtension,
} from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isGone, isNotFound, isTransient, KubeError } from '../../shared/kube/errors.ts';
import { TransportError } from '../../shared/kube/transport.ts';
import { retryDelayMs } from '../../shared/runtime/backoff.ts';
import { type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import type { WatchedKind } from '../../shared/runtime/watched-kinds.ts';
import { Checkpoint, type CheckpointRef, checkpointKey } from './checkpoint.ts';
import { type Change, FingerprintCache, ProjectionCache } from './fingerprint.ts';
import { Presence } from './presence.ts';
import { toResourceEvent } from './to-event.ts';

export type { WatchedKind };

export interface BridgeOptions {
  kube: KubeClient;
  bus: Pick<EventBus, 'publish' | 'maxEventBytes'>;
  kinds: WatchedKind[];
  /** CloudEvents `source`: identifies the cluster. */
  source: string;
  checkpoint: CheckpointRef;
  /** Watch only this namespace (default: all). */
  namespace?: string;
  log?: Logger;
  /** Events per publish call (EventBridge takes at most 10 per PutEvents; adapters split further if needed). */
  batchSize?: number;
  /**
   * How long an event waits before it is published: for company (fuller batches), and for later modifications of
   * its object, which fold into it (`coalesce`) so a handler's burst of writes to one object reaches each
   * subscriber as one event.
   */
  flushDelayMs?: number;
  /** Events waiting beyond this many are published at once (memory bound and backpressure on the watch). */
  maxBuffered?: number;
  checkpointIntervalMs?: number;
  /** Server-side watch timeout; the bridge re-watches from its last position when it ends. */
  watchTimeoutSeconds?: number;
  /** Retry pause while a kind's CRD is not installed yet. */
  missingKindRetryMs?: number;
}

interface Pending {
  event: ResourceEvent;
  rv: string | undefined;
  /** A watch MODIFIED event: what it is made of, to fold a later one of the same object into it. */
  modified?: { obj: KubeObject; change: Change; absent: string[] };
  /** A watch ADDED event of a kind that `foldsAdded`: the flags it carries, to fold a modification into it. */
  added?: { absent: string[] };
}

export interface BridgeStats {
  published: number;
  /** Modifications folded into an earlier event of the same object (a modification, or a `foldsAdded` addition) still waiting to be published. */
  coalesced: number;
  relists: number;
  watchRestarts: number;
}

/** Serialises async work: at most one flush of a kind's buffer at a time. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => {});
    return p;
  }
}

export class Bridge {
  readonly stats: BridgeStats = { published: 0, coalesced: 0, relists: 0, watchRestarts: 0 };
  private readonly o: Required<Omit<BridgeOptions, 'namespace' | 'log'>> & { namespace?: string; log: Logger };
  private readonly checkpoint: Checkpoint;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly caches = new Map<string, FingerprintCache>();
  /** Gates (`whenExists`, by `gateKey`) whose kind this bridge watches: what of each exists, for the `capifnnone…` flags. */
  private readonly presence = new Map<string, Presence>();
  /**
   * Per controller kind some watch names with `ignoringWhileControllerDeleting` (`group/kind`): the UIDs of its objects
   * this bridge has seen being deleted, from its own watch of that kind. A deletion is never undone, so an entry is
   * only ever stale by the object being gone.
   */
  private readonly deleting = new Map<string, Set<string>>();
  private started = false;
  private crashed = false;

  constructor(opts: BridgeOptions) {
    this.o = {
      batchSize: 10,
      flushDelayMs: 50,
      maxBuffered: 500,
      checkpointIntervalMs: 1_000,
      watchTimeoutSeconds: 300,
      missingKindRetryMs: 5_000,
      ...opts,
      log: (opts.log ?? silentLogger).child({ component: 'bridge' }),
    };
    this.checkpoint = new Checkpoint(opts.kube, opts.checkpoint);
    // Only a gate kind watched as a whole (cluster-wide, or in the one namespace this bridge watches) can say that
    // none exists; one watched per namespace never flags.
    const watched = new Set(
      opts.kinds.filter((k) => opts.namespace || !k.namespaces).map((k) => `${k.group}/${k.kind}`),
    );
    for (const k of opts.kinds) {
      for (const paths of [...(k.ignoring ?? []), ...(k.addedOnceControlledBy ?? []).map((a) => a.ignoring)])
        for (const c of controllersDeletingIn(paths)) this.deleting.set(`${c.group}/${c.kind}`, new Set());
      for (const g of k.gates ?? []) {
        const key = gateKey(g);
        if (watched.has(`${g.group}/${g.kind}`) && !this.presence.has(key))
          this.presence.set(key, new Presence({ deleting: g.deleting === true }));
      }
    }
  }

  /** Whether this bridge has seen the object with this UID, of this kind, being deleted. */
  private readonly knownDeleting = (c: GroupKind, uid: string): boolean =>
    this.deleting.get(`${c.group}/${c.kind}`)?.has(uid) ?? false;

  /** The `capifnnone…` flags for an object of kind `k`: its gates known to be closed where it lives. */
  private absentFor(k: WatchedKind, obj: KubeObject): string[] {
    if (!k.gates) return [];
    return k.gates.filter((g) => this.presence.get(gateKey(g))?.none(obj.metadata.namespace)).map(gateExtension);
  }

  /** The gates whose kind is `k` (an exists gate and a deleting gate may both be): each one's presence. */
  private presenceOf(k: WatchedKind): PresenceGroup | undefined {
    const keys = [gateKey(k), gateKey({ ...k, deleting: true })];
    const own = [...this.presence].filter(([key]) => keys.includes(key));
    return own.length ? new PresenceGroup(own.map(([, p]) => p)) : undefined;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('bridge already started');
    this.started = true;
    // An API server that is restarting or overloaded at this moment is not a reason to fail the start: read the
    // resume point again until it answers (a refusal such as 403 still fails, with its reason).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.checkpoint.load();
        break;
      } catch (e) {
        const serverSide = e instanceof KubeError && e.code >= 500;
        if (!(isTransient(e) || serverSide || e instanceof TransportError) || this.abort.signal.aborted) throw e;
        this.o.log.warn({ err: String(e), attempt }, 'reading the checkpoint failed; retrying');
        await this.sleep(retryDelayMs(attempt, { baseMs: 200, maxMs: 5_000 }));
        if (this.stopped) throw e;
      }
    }
    // A kind watched in given namespaces gets one watch per namespace, each with its own resume point.
    this.loops = this.o.kinds.flatMap((k) =>
      k.namespaces && !this.o.namespace ? k.namespaces.map((ns) => this.runKind(k, ns)) : [this.runKind(k)],
    );
    this.checkpointTimer = setInterval(() => {
      this.checkpoint
        .save()
        .catch((e: unknown) => this.o.log.warn({ err: String(e) }, 'checkpoint save failed; will retry'));
    }, this.o.checkpointIntervalMs);
  }

  /**
   * Stops watching, publishes nothing more, and saves the acknowledged positions — once, and a failure to save
   * is only logged: a stopping bridge cannot wait for an API server that is away, and an older resume point means
   * events published again (the handlers are idempotent), never events lost.
   */
  async stop(o: { waitMs?: number } = {}): Promise<void> {
    this.abort.abort();
    clearInterval(this.checkpointTimer);
    const settled = Promise.allSettled(this.loops).then(() => true);
    if (o.waitMs === undefined) await settled;
    else {
      // A bounded run (the scheduled function) must return before its deadline: the watches still flushing to a
      // slow bus are left to finish on their own, and the positions acknowledged so far are saved (an event after
      // them is published again by the next run, never lost).
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        settled,
        new Promise<false>((r) => {
          timer = setTimeout(() => r(false), Math.max(0, o.waitMs!));
        }),
      ]);
      clearTimeout(timer);
      if (!done)
        this.o.log.warn({ waitMs: o.waitMs }, 'watches still flushing at the deadline; saving what was acknowledged');
    }
    await this.checkpoint
      .save()
      .catch((e: unknown) =>
        this.o.log.warn({ err: String(e) }, 'saving the checkpoint at stop failed; the next start resumes earlier'),
      );
  }

  /**
   * Simulates a crash for tests: stops every loop without saving the checkpoint, so the next
   * instance resumes from whatever was last persisted.
   */
  async crash(): Promise<void> {
    // What a crashed process held in memory is gone: nothing buffered is published after this.
    this.crashed = true;
    this.abort.abort();
    clearInterval(this.checkpointTimer);
    await Promise.allSettled(this.loops);
  }

  /** Saves the checkpoint now (the bounded scheduled function calls this before it returns). */
  saveCheckpoint(): Promise<void> {
    return this.checkpoint.save();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }

  private async runKind(k: WatchedKind, inNamespace?: string): Promise<void> {
    const key = checkpointKey(k.group, k.kind, inNamespace);
    const namespace = inNamespace ?? this.o.namespace;
    const type = { apiVersion: k.group ? `${k.group}/${k.version}` : k.version, kind: k.kind };
    const log = this.o.log.child({ watch: `${k.kind}.${k.group || 'core'}${inNamespace ? ` in ${inNamespace}` : ''}` });
    const cache = new FingerprintCache();
    this.caches.set(key, cache);
    // What each watch that ignores some paths looks at, to flag the modifications that changed none of it; and for a
    // watch that waits for a controller, the additions of objects that have none yet.
    const projections: Array<{ flag: string; cache: ProjectionCache; controller?: GroupKind }> = [
      ...(k.ignoring ?? []).map((paths) => ({
        flag: unchangedExtension(k.group, k.kind, paths),
        cache: new ProjectionCache(paths, this.knownDeleting),
      })),
      ...(k.addedOnceControlledBy ?? []).map((a) => ({
        flag: unchangedExtension(k.group, k.kind, a.ignoring, a.controller),
        cache: new ProjectionCache(a.ignoring, this.knownDeleting),
        controller: a.controller,
      })),
    ];
    const project = (obj: KubeObject) => projections.filter((p) => p.cache.observe(obj)).map((p) => p.flag);
    const uncontrolled = (obj: KubeObject) =>
      projections.filter((p) => p.controller && !controlledBy(obj, p.controller)).map((p) => p.flag);
    const presence = this.presenceOf(k);
    const deleting = this.deleting.get(`${k.group}/${k.kind}`);
    const seen = (obj: KubeObject) => {
      if (deleting && obj.metadata.uid && obj.metadata.deletionTimestamp) deleting.add(obj.metadata.uid);
    };
    const lane = new Lane();
    const buffer: Pending[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    let failures = 0;
    let missingSince: number | undefined;
    const served = () => {
      if (missingSince === undefined) return;
      log.info({ waitedMs: Date.now() - missingSince }, 'kind is served now');
      missingSince = undefined;
    };

    // Publishes the buffer, acknowledging each batch's last resourceVersion once that batch is published. A batch
    // leaves the buffer before it is published, so what is folded into the buffer meanwhile is never an event
    // already on its way.
    const flush = () =>
      lane.run(async () => {
        clearTimeout(flushTimer);
        flushTimer = undefined;
        while (buffer.length && !this.crashed) {
          const batch = buffer.splice(0, this.o.batchSize);
          for (let attempt = 1; ; attempt++) {
            try {
              await this.o.bus.publish(batch.map((p) => p.event));
              break;
            } catch (e) {
              // The bus is down: hold the stream (backpressure) and keep trying; nothing is acked. A stopping
              // bridge keeps the batch in front of the buffer, so nothing after it is acknowledged either.
              if (this.stopped) {
                if (!this.crashed) buffer.unshift(...batch);
                return;
              }
              log.warn({ err: String(e), ...publishFailureReasons(e), attempt }, 'publish failed; retrying');
              await this.sleep(retryDelayMs(attempt, { baseMs: 200, maxMs: 30_000 }));
            }
          }
          this.stats.published += batch.length;
          // Every batch moves the resume point: the buffer is in resourceVersion order, so all that came before the
          // batch's last position is published (a folded entry left for a newer one still waiting, which comes
          // after it). Acknowledging only an emptied buffer never moved it under a steady stream.
          const last = [...batch].reverse().find((p) => p.rv);
          if (last?.rv) this.checkpoint.ack(key, last.rv);
        }
      });

    const enqueue = async (p: Pending) => {
      const i = p.modified ? foldTarget(buffer, p) : -1;
      if (i >= 0) {
        // The buffer stays in resourceVersion order, so the last event published is the resume point.
        const [earlier] = buffer.splice(i, 1);
        buffer.push(
          earlier!.added
            ? foldIntoAdded(earlier!.added, p, (obj, absent) =>
                emit('io.capifn.resource.added', obj, undefined, absent),
              )
            : coalesce(earlier!, p, (obj, change, absent) => emit('io.capifn.resource.modified', obj, change, absent)),
        );
        this.stats.coalesced++;
      } else buffer.push(p);
      if (buffer.length >= this.o.maxBuffered) await flush();
      else flushTimer ??= setTimeout(() => void flush(), this.o.flushDelayMs);
    };

    const emit = (type: ResourceEventType, obj: KubeObject, change?: Change, absent?: string[]) =>
      toResourceEvent(type, obj, {
        source: this.o.source,
        maxEventBytes: this.o.bus.maxEventBytes,
        ...(change ? { change } : {}),
        absent: absent ?? this.absentFor(k, obj),
      });

    let rv = this.checkpoint.get(key);
    while (!this.stopped) {
      try {
        if (rv && presence && !presence.complete) {
          // Resuming from the checkpoint: what exists of a gate kind is known only from a full LIST.
          presence.replace((await this.o.kube.listAll(type, namespace ? { namespace } : {})).items);
        }
        if (!rv) {
          rv = await this.relist(type, namespace, cache, projections, emit, enqueue, log, presence, {
            seen,
            gone: (uid) => deleting?.delete(uid),
          });
          served();
          await flush();
          if (this.stopped) break;
          this.checkpoint.ack(key, rv);
          // A fresh resume point is saved at once, not at the next interval: until it is, a crash means
          // another full relist, which folds every change made meanwhile into one resync per object.
          this.checkpoint
            .save()
            .catch((e: unknown) => log.warn({ err: String(e) }, 'checkpoint save failed; will retry'));
        }
        for await (const ev of this.o.kube.watch(type, {
          ...(namespace ? { namespace } : {}),
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: this.o.watchTimeoutSeconds,
          signal: this.abort.signal,
        })) {
          failures = 0;
          served();
          const objRv = ev.object.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') {
            // Nothing to publish up to here: safe to move the resume point once the buffer is out (a stopping
            // bridge may leave it unpublished, and then keeps its resume point where it was).
            await flush();
            if (objRv && !buffer.length && !this.stopped) {
              rv = objRv;
              this.checkpoint.ack(key, objRv);
            }
            continue;
          }
          let event: ResourceEvent;
          if (ev.type === 'ADDED') {
            seen(ev.object);
            cache.observe(ev.object);
            project(ev.object);
            presence?.add(ev.object);
            const absent = [...this.absentFor(k, ev.object), ...uncontrolled(ev.object)];
            event = emit('io.capifn.resource.added', ev.object, undefined, absent);
            if (k.foldsAdded) {
              await enqueue({ event, rv: objRv, added: { absent } });
              if (objRv) rv = objRv;
              continue;
            }
          } else if (ev.type === 'MODIFIED') {
            seen(ev.object);
            presence?.add(ev.object);
            const change = cache.observe(ev.object);
            const absent = [...this.absentFor(k, ev.object), ...project(ev.object)];
            await enqueue({
              event: emit('io.capifn.resource.modified', ev.object, change, absent),
              rv: objRv,
              modified: { obj: ev.object, change, absent },
            });
            if (objRv) rv = objRv;
            continue;
          } else {
            cache.forget(ev.object.metadata.uid);
            for (const p of projections) p.cache.forget(ev.object.metadata.uid);
            if (ev.object.metadata.uid) deleting?.delete(ev.object.metadata.uid);
            presence?.remove(ev.object);
            event = emit('io.capifn.resource.deleted', ev.object);
          }
          await enqueue({ event, rv: objRv });
          if (objRv) rv = objRv;
        }
        await flush();
        this.stats.watchRestarts++;
      } catch (e) {
        await flush().catch(() => {});
        if (this.stopped) break;
        if (isGone(e)) {
          log.info({ rv }, 'resource version expired (410): relisting');
          this.checkpoint.reset(key);
          rv = undefined;
          continue;
        }
        if (isNotFound(e)) {
          // Not proof that none exists (a restarting API server answers so too): unknown until listed again.
          presence?.reset();
          // Said once: a provider's kinds are never installed on another platform's cluster, and a
          // long-lived bridge would otherwise repeat this for each of them every few seconds.
          if (missingSince === undefined) log.info({}, 'kind not served yet (CRD missing?); waiting');
          else log.debug({}, 'kind still not served');
          missingSince ??= Date.now();
          await this.sleep(this.o.missingKindRetryMs);
          continue;
        }
        failures++;
        log.warn({ err: String(e), failures }, 'watch failed; re-watching');
        await this.sleep(retryDelayMs(failures, { baseMs: 200, maxMs: 30_000 }));
      }
    }
    clearTimeout(flushTimer);
  }

  /** Lists the kind; everything listed is a `resync`, everything remembered but gone is `deleted`. */
  private async relist(
    type: { apiVersion: string; kind: string },
    namespace: string | undefined,
    cache: FingerprintCache,
    projections: Array<{ cache: ProjectionCache }>,
    emit: (t: ResourceEventType, o: KubeObject, c?: Change) => ResourceEvent,
    enqueue: (p: Pending) => Promise<void>,
    log: Logger,
    presence: PresenceGroup | undefined,
    deletions: { seen: (obj: KubeObject) => void; gone: (uid: string) => void },
  ): Promise<string> {
    this.stats.relists++;
    const list = await this.o.kube.listAll(type, namespace ? { namespace } : {});
    presence?.replace(list.items);
    const before = cache.uids();
    for (const obj of list.items) {
      before.delete(obj.metadata.uid ?? '');
      deletions.seen(obj);
      cache.observe(obj);
      for (const p of projections) p.cache.observe(obj);
      await enqueue({ event: emit('io.capifn.resource.resync', obj), rv: undefined });
    }
    for (const uid of before) {
      const stub = cache.stub(uid);
      deletions.gone(uid);
      cache.forget(uid);
      for (const p of projections) p.cache.forget(uid);
      if (!stub) continue;
      log.info({ uid, name: stub.metadata.name }, 'object vanished while the watch was broken');
      await enqueue({ event: emit('io.capifn.resource.deleted', stub), rv: undefined });
    }
    const rv = list.metadata.resourceVersion;
    if (!rv) throw new Error(`list of ${type.kind} returned no resourceVersion`);
    return rv;
  }
}

/** Every presence kept of one kind, told the same things. */
class PresenceGroup {
  private readonly all: Presence[];
  constructor(all: Presence[]) {
    this.all = all;
  }
  get complete(): boolean {
    return this.all.every((p) => p.complete);
  }
  replace(items: KubeObject[]): void {
    for (const p of this.all) p.replace(items);
  }
  reset(): void {
    for (const p of this.all) p.reset();
  }
  add(o: KubeObject): void {
    for (const p of this.all) p.add(o);
  }
  remove(o: KubeObject): void {
    for (const p of this.all) p.remove(o);
  }
}

/** Where in `buffer` a waiting modification of the same object is that `p` (a modification) may fold into. */
function foldTarget(buffer: Pending[], p: Pending): number {
  const uid = p.modified!.obj.metadata.uid;
  if (!uid) return -1;
  for (let i = buffer.length - 1; i >= 0; i--) {
    const b = buffer[i]!;
    if (b.event.data.ref.uid !== uid) continue;
    // A modification folds into a modification, and into an addition of a kind whose watches all take both or
    // neither (`foldsAdded`). Otherwise an added or resync event keeps its type for the watches that take only some
    // types (a provider's of Machines, the Machine's of infrastructure machines), and nothing follows a deletion.
    return b.modified || b.added ? i : -1;
  }
  return -1;
}

/**
 * One modification standing for two of the same object: the later body (level-triggered handlers need only the
 * newest state), flagged status-only or metadata-only only when both were, and flagging only the gate kinds
 * absent at both, so every watch that one of them would have woken is woken by it.
 */
function coalesce(
  earlier: Pending,
  later: Pending,
  emit: (obj: KubeObject, change: Change, absent: string[]) => ResourceEvent,
): Pending {
  const a = earlier.modified!;
  const b = later.modified!;
  const change: Change = {
    statusOnly: a.change.statusOnly && b.change.statusOnly,
    metaOnly: a.change.metaOnly && b.change.metaOnly,
  };
  const absent = b.absent.filter((x) => a.absent.includes(x));
  return { event: emit(b.obj, change, absent), rv: later.rv, modified: { obj: b.obj, change, absent } };
}

/**
 * An addition standing for itself and a later modification: the newer body as an `added` event (every watch of the
 * kind takes both, and an addition is delivered whatever changed, so it carries no change flags), flagging only the
 * gate kinds absent at both. Later modifications fold into it again.
 */
function foldIntoAdded(
  added: { absent: string[] },
  later: Pending,
  emit: (obj: KubeObject, absent: string[]) => ResourceEvent,
): Pending {
  const b = later.modified!;
  const absent = b.absent.filter((x) => added.absent.includes(x));
  return { event: emit(b.obj, absent), rv: later.rv, added: { absent } };
}

/** Whether the object has a controller of this kind, or is being deleted (which a watch of it always hears). */
function controlledBy(obj: KubeObject, c: GroupKind): boolean {
  if (obj.metadata.deletionTimestamp) return true;
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref !== undefined && ref.kind === c.kind && apiGroupOf(ref.apiVersion) === c.group;
}

/** The bus's own words for the entries it refused (the first few), which name the real cause. */
function publishFailureReasons(e: unknown): { reasons?: string[] } {
  if (!(e instanceof PublishError) || !e.failed.length) return {};
  return { reasons: [...new Set(e.failed.map((f) => f.error))].slice(0, 3) };
}
