// Deletion (every provider): delete each instance carrying the machine's identity (and the recorded one, if
// it is ours), wait until the cloud reports them gone, then release the finalizer so the Machine can
// finish. Each step is idempotent; a crash anywhere resumes here.
import type { KubeObject } from '../../../shared/api/meta.ts';
import { clone, hasFinalizer, updateStatusIfChanged, withoutFinalizer } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type {
  InfraMachine,
  InfraMachineDefinition,
  InfraMachineStatus,
  KitTimings,
  MachineScope,
} from './definition.ts';
import { describeFailure, retryDelayFor } from './errors.ts';
import { getRecorded, mayManage } from './find.ts';
import { leaseHeld, machineUidOfKey } from './intent.ts';
import type { CloudInstance, CloudPort } from './port.ts';
import { identityOf } from './scope.ts';
import { INSTANCE_READY, setMachineCondition } from './status.ts';

export async function reconcileDeletion<Client, Req, IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<Client, Req, IM, IC>,
  ctx: HandlerContext<Client>,
  port: CloudPort<Req>,
  s: MachineScope<IM, IC>,
  t: KitTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  const im = s.im;
  if (!hasFinalizer(im, def.finalizer)) return undefined;
  const now = clock.now();
  const status: InfraMachineStatus = clone(im.status ?? {});
  const summarised = def.extraConditions ?? [];
  // The Machine UID is in the key too, for an infrastructure machine that lost its owner reference.
  const uid = s.machineUid ?? (s.intent ? machineUidOfKey(s.intent.key) : undefined);

  const byId = new Map<string, CloudInstance>();
  const recorded = def.recordedId?.(im);
  let recordedMissing = false;
  try {
    if (recorded) {
      const inst = await getRecorded(def, port, recorded);
      recordedMissing = !inst;
      if (inst && mayManage(inst, im, { machineUid: uid, clusterName: s.clusterName })) byId.set(inst.id, inst);
      else if (inst) log.warn({ instance: inst.id }, 'recorded instance is not owned by this cluster; not deleting it');
    }
    if (uid) {
      for (const i of await port.find(identityOf(im, uid, s.clusterName))) {
        if (i.owner.machineUid === uid) byId.set(i.id, i);
      }
    }
  } catch (e) {
    return failed(def, ctx, im, status, 'looking up the instance', e, t);
  }

  const live = [...byId.values()].filter((i) => i.state !== 'gone');
  if (live.length) {
    const toDelete = live.filter((i) => i.state !== 'terminating');
    for (const inst of toDelete) {
      try {
        await port.delete(inst);
        log.info({ instance: inst.id }, `deleting ${def.instanceNoun}`);
      } catch (e) {
        // Not found right after a create can be eventual consistency, not absence: look again.
        if (def.classify(e).class !== 'not-found') return failed(def, ctx, im, status, 'deleting the instance', e, t);
      }
    }
    const primary = live.find((i) => i.id === recorded) ?? live[0]!;
    status.ready = false;
    if (def.reportsInstanceState !== false)
      status.instanceState = toDelete.includes(primary) ? (def.deletingState ?? 'terminating') : primary.nativeState;
    setMachineCondition(
      status,
      INSTANCE_READY,
      {
        status: 'False',
        reason: 'Deleting',
        severity: 'Info',
        message: `waiting for ${live.map((i) => i.id).join(', ')} to be deleted`,
      },
      now,
      summarised,
    );
    await updateStatusIfChanged(kube, im, status, def.fieldManager);
    return { requeueAfter: t.terminatePollMs };
  }

  // Nothing live. Two reasons to wait all the same: a recorded instance the cloud may not show yet, and a
  // create another invocation may still be making (its instance would outlive the finalizer).
  // An instance this deletion saw live and asked to delete (its condition says so) is gone for real when it is
  // missing: the grace is for one that was never seen since its create.
  const started = s.intent?.startedAt ? Date.parse(s.intent.startedAt) : Number.NaN;
  const seenDeleting = im.status?.conditions?.some((c) => c.type === INSTANCE_READY && c.reason === 'Deleting');
  if (recordedMissing && !seenDeleting && now.getTime() - started < t.notFoundGraceMs)
    return { requeueAfter: t.terminatePollMs };
  const held = recorded ? undefined : leaseHeld(s.intent, now, t.launchLeaseMs);
  if (held !== undefined) {
    log.info({ waitMs: held }, 'a create may be in flight; waiting before releasing the finalizer');
    return { requeueAfter: Math.min(held, t.terminatePollMs) };
  }
  if (def.cleanUp) {
    let remaining: string[];
    try {
      ({ remaining } = await def.cleanUp({ ...s, machineUid: uid, client: ctx.cloud, log }));
    } catch (e) {
      return failed(def, ctx, im, status, 'deleting what the instance left behind', e, t);
    }
    if (remaining.length) {
      status.ready = false;
      setMachineCondition(
        status,
        INSTANCE_READY,
        {
          status: 'False',
          reason: 'Deleting',
          severity: 'Info',
          message: `waiting for ${remaining.join(', ')} to be deleted`,
        },
        now,
        summarised,
      );
      await updateStatusIfChanged(kube, im, status, def.fieldManager);
      return { requeueAfter: t.terminatePollMs };
    }
  }
  await kube.update(withoutFinalizer(im, def.finalizer), { fieldManager: def.fieldManager });
  log.info({}, 'instances deleted; finalizer removed');
  return undefined;
}

async function failed<Client, Req, IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<Client, Req, IM, IC>,
  ctx: HandlerContext<Client>,
  im: IM,
  status: InfraMachineStatus,
  op: string,
  e: unknown,
  t: KitTimings,
): Promise<ReconcileResult> {
  const c = def.classify(e);
  // Not a cloud or network error: a bug or a dying process, for the runtime's retry to handle.
  if (c.class === 'unknown') throw e;
  const delay = retryDelayFor(c, t);
  setMachineCondition(
    status,
    INSTANCE_READY,
    {
      status: 'False',
      reason: 'DeletionFailed',
      severity: 'Warning',
      message: describeFailure(op, c, delay, { cloud: def.cloudName, kind: def.machine.kind }),
    },
    ctx.clock.now(),
    def.extraConditions ?? [],
  );
  await updateStatusIfChanged(ctx.kube, im, status, def.fieldManager);
  return { requeueAfter: delay };
}
