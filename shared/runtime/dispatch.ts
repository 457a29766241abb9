// One delivery of one event to one handler: validate, map to the objects to reconcile, run the
// reconcile step for each, and tell the bus what to do (ack, retry later, dead-letter).
import type { DeliveryInfo, DeliveryResult } from '../bus/types.ts';
import {
  absentExtensionsOf,
  apiGroupOf,
  EVENT_TYPE_PREFIX,
  gateExtension,
  META_ONLY_EXTENSION,
  newResourceEvent,
  type ObjectRef,
  parseResourceEvent,
  type ResourceEvent,
  refKey,
  STATUS_ONLY_EXTENSION,
  TARGET_HANDLER_EXTENSION,
} from '../events/resource-event.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import { retryDelayMs } from './backoff.ts';
import { RequeueError, TerminalError } from './errors.ts';
import { type Clock, type HandlerContext, type HandlerDefinition, skipFlagOf, systemClock } from './handler.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface RuntimeDeps<C = unknown> {
  kube: KubeClient;
  clock?: Clock;
  log?: Logger;
  /** The handler's cloud client; built with `def.cloud()` when absent. */
  cloud?: C;
  /** Schedules a delayed, targeted event (the bus's publishDelayed). Without it requeues become bus retries. */
  requeue?: (event: ResourceEvent, delayMs: number) => Promise<void>;
  /** Deliveries of one event before it is dead-lettered (default 8). */
  maxAttempts?: number;
  /** CloudEvents `source` for requeue events. */
  source?: string;
  /**
   * What became of the objects reconciled for earlier events of this batch (an SQS batch: all its records were
   * queued before the invocation began). An object reconciled without error has answered the batch's other events
   * for it: that run read state at least as new as theirs. One whose run failed is not run again for them; they
   * come back with its retry. The caller keeps one map per batch.
   */
  batch?: Map<string, DeliveryResult>;
}

const cloudCache = new WeakMap<HandlerDefinition<unknown>, Promise<unknown>>();

async function cloudFor<C>(def: HandlerDefinition<C>, deps: RuntimeDeps<C>): Promise<C> {
  if (deps.cloud !== undefined) return deps.cloud;
  if (!def.cloud) return undefined as C;
  const d = def as HandlerDefinition<unknown>;
  let p = cloudCache.get(d);
  if (!p) {
    p = Promise.resolve(def.cloud());
    cloudCache.set(d, p);
    p.catch(() => cloudCache.delete(d));
  }
  return (await p) as C;
}

function describeError(e: unknown): string {
  if (e instanceof KubeError) return `${e.reason} (${e.code}) on ${e.method} ${e.path}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Which objects `def` must reconcile for `event`; empty when the event is not for it. */
export async function targetsFor<C>(
  def: HandlerDefinition<C>,
  event: ResourceEvent,
  kube: KubeClient,
  log: Logger,
): Promise<ObjectRef[]> {
  const target = event[TARGET_HANDLER_EXTENSION];
  if (target) return target === def.name ? [event.data.ref] : [];
  const group = apiGroupOf(event.data.ref.apiVersion);
  const watch = def.watches.find((w) => w.group === group && w.kind === event.data.ref.kind);
  if (!watch) return [];
  // A bus whose filter had to be widened still delivers what the watch does not ask for: dropped here too.
  if (watch.events && !watch.events.some((e) => event.type === `${EVENT_TYPE_PREFIX}${e}`)) return [];
  if (
    event.type === 'io.capifn.resource.modified' &&
    event[STATUS_ONLY_EXTENSION] === 'true' &&
    watch.statusChanges === false
  ) {
    return [];
  }
  if (
    event.type === 'io.capifn.resource.modified' &&
    event[META_ONLY_EXTENSION] === 'true' &&
    watch.metadataChanges === false
  )
    return [];
  if (watch.whenExists && absentExtensionsOf(event).has(gateExtension(watch.whenExists))) return [];
  const skip = skipFlagOf(watch);
  if (skip && absentExtensionsOf(event).has(skip)) return [];
  if (!watch.map) return [event.data.ref];
  const refs = await watch.map(event, { kube, log });
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = refKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Runs `def` for one delivery. Never throws: every failure becomes a DeliveryResult, so a bad event
 * can never crash the host or be retried forever.
 */
export async function dispatch<C>(
  def: HandlerDefinition<C>,
  raw: unknown,
  info: DeliveryInfo,
  deps: RuntimeDeps<C>,
): Promise<DeliveryResult> {
  const baseLog = (deps.log ?? silentLogger).child({ handler: def.name });
  const parsed = parseResourceEvent(raw);
  if (!parsed.ok) {
    baseLog.error({ attempt: info.attempt, reason: parsed.reason }, 'dead-lettering malformed event');
    return { status: 'dead-letter', reason: parsed.reason };
  }
  const event = parsed.event;
  const log = baseLog.child({
    eventId: event.id,
    eventType: event.type,
    subject: event.subject,
    attempt: info.attempt,
  });
  const maxAttempts = deps.maxAttempts ?? 8;
  const clock = deps.clock ?? systemClock;

  let refs: ObjectRef[];
  try {
    refs = await targetsFor(def, event, deps.kube, log);
  } catch (e) {
    return failure(e, info, maxAttempts, log, 'mapping the event to objects');
  }
  if (refs.length === 0) return { status: 'done' };

  let cloud: C;
  try {
    cloud = await cloudFor(def, deps);
  } catch (e) {
    return failure(e, info, maxAttempts, log, 'building the cloud client');
  }

  let earliestRetry: DeliveryResult | undefined;
  for (const ref of refs) {
    const key = refKey(ref);
    const before = deps.batch?.get(key);
    if (before?.status === 'done') continue;
    if (before?.status === 'retry') {
      earliestRetry = earlier(earliestRetry, before);
      continue;
    }
    const objLog = log.child({ object: `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}` });
    const ctx: HandlerContext<C> = { kube: deps.kube, cloud, clock, log: objLog, event, handler: def.name };
    let requeueAfter: number | undefined;
    try {
      const result = await def.reconcile(ref, ctx);
      requeueAfter = result?.requeueAfter;
      deps.batch?.set(key, { status: 'done' });
    } catch (e) {
      if (e instanceof RequeueError) {
        objLog.info({ delayMs: e.delayMs }, e.message);
        requeueAfter = e.delayMs;
      } else {
        const r = failure(e, info, maxAttempts, objLog, 'reconciling');
        if (r.status === 'dead-letter') return r;
        if (r.status === 'retry') {
          deps.batch?.set(key, r);
          earliestRetry = earlier(earliestRetry, r);
        }
        continue;
      }
    }
    if (requeueAfter !== undefined && requeueAfter >= 0) {
      if (deps.requeue) {
        const ev = newResourceEvent({
          type: 'io.capifn.resource.resync',
          source: deps.source ?? `capi-fn/${def.name}`,
          ref,
          targetHandler: def.name,
          notBefore: new Date(clock.now().getTime() + requeueAfter),
        });
        try {
          await deps.requeue(ev, requeueAfter);
        } catch (e) {
          const r = failure(e, info, maxAttempts, objLog, 'scheduling the requeue');
          if (r.status !== 'done') earliestRetry ??= r;
        }
      } else if (!earliestRetry) {
        earliestRetry = { status: 'retry', error: 'requeue requested', delayMs: requeueAfter };
      }
    }
  }
  return earliestRetry ?? { status: 'done' };
}

/** The retry due first. */
function earlier(a: DeliveryResult | undefined, b: DeliveryResult): DeliveryResult {
  if (!a) return b;
  return ((b as { delayMs?: number }).delayMs ?? 0) < ((a as { delayMs?: number }).delayMs ?? 0) ? b : a;
}

function failure(e: unknown, info: DeliveryInfo, maxAttempts: number, log: Logger, doing: string): DeliveryResult {
  const msg = describeError(e);
  if (e instanceof TerminalError) {
    log.error({ err: msg }, `terminal error while ${doing}; dead-lettering`);
    return { status: 'dead-letter', reason: `terminal error while ${doing}: ${msg}` };
  }
  if (info.attempt >= maxAttempts) {
    log.error({ err: msg }, `giving up after ${info.attempt} attempts while ${doing}; dead-lettering`);
    return { status: 'dead-letter', reason: `gave up after ${info.attempt} attempts while ${doing}: ${msg}` };
  }
  // A conflict means "re-read and recompute": retry soon, not with a long backoff.
  const conflict = e instanceof KubeError && e.reason === 'Conflict';
  const throttled = e instanceof KubeError && e.retryAfterSeconds !== undefined;
  const delayMs = conflict
    ? retryDelayMs(info.attempt, { baseMs: 100, maxMs: 2_000 })
    : throttled
      ? (e as KubeError).retryAfterSeconds! * 1000
      : retryDelayMs(info.attempt);
  // Conflicts are optimistic concurrency doing its job (two deliveries raced on one object): not worth a warning.
  if (conflict) log.debug({ err: msg, delayMs }, `conflict while ${doing}; will re-read and retry`);
  else log.warn({ err: msg, delayMs }, `error while ${doing}; will retry`);
  return { status: 'retry', error: msg, delayMs };
}
