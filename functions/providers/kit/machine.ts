// The infrastructure-machine reconcile every provider runs (the v1beta1 contract): paused means paused,
// deletion until the instance is gone, wait for the Machine's adoption, look the instance up before any
// create, adopt what the lookup finds (finalizer and identity in one write), and report providerID,
// addresses, readiness and conditions — or a terminal failure when the instance went away behind our back.
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { controllerOf } from '../../../shared/reconcile/owner-refs.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import {
  clone,
  isDeleting,
  updateIfChanged,
  updateStatusIfChanged,
  withFinalizer,
} from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import {
  DEFAULT_TIMINGS,
  type InfraMachine,
  type InfraMachineDefinition,
  type InfraMachineStatus,
  type KitTimings,
} from './definition.ts';
import { reconcileDeletion } from './delete.ts';
import { findInstance } from './find.ts';
import { launch } from './launch.ts';
import { ADOPT_ANNOTATION, type CloudInstance } from './port.ts';
import { loadScope } from './scope.ts';
import { decideState, INSTANCE_READY, setMachineCondition } from './status.ts';

export function timingsOf(def: { timings?: Partial<KitTimings> | undefined }, over?: Partial<KitTimings>): KitTimings {
  return { ...DEFAULT_TIMINGS, ...(def.timings ?? {}), ...(over ?? {}) };
}

export async function reconcileInfraMachine<Client, Req, IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<Client, Req, IM, IC>,
  ref: ObjectRef,
  ctx: HandlerContext<Client>,
  t: KitTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  let im = await kube.find<IM>(ref);
  if (!im) return undefined;
  // Until a Machine adopts it there is no identity to create with, and nothing to undo unless it is being deleted:
  // the adoption is an event of this object and wakes us. Decided before reading the Cluster, the infrastructure
  // cluster and the credentials, which a MachineSet's fresh clone would otherwise cost on its creation event.
  if (!isDeleting(im) && controllerOf(im)?.kind !== 'Machine') return undefined;
  const s = await loadScope(def as InfraMachineDefinition<unknown, unknown, IM, IC>, kube, im);
  // Paused means paused (DESIGN.md rule 7): no cloud call, no write, deletion included.
  if (pausedState(s.cluster, im).paused) return undefined;
  // Credentials the cluster holds (a Secret) bind the client for this reconcile; the process's otherwise.
  const client = def.connect ? await def.connect(ctx.cloud, { kube, im, infraCluster: s.infraCluster }) : ctx.cloud;
  const cctx: HandlerContext<Client> = client === ctx.cloud ? ctx : { ...ctx, cloud: client };
  const port = def.port(client, s.location, im);
  if (isDeleting(im)) return reconcileDeletion(def, cctx, port, s, t);
  // Its Machine is gone, or was replaced under the same name (another UID): nothing to create for.
  if (!s.machine || !s.machineUid) return undefined;
  // Terminal (upstream keeps failed machines as they are until they are deleted).
  if (im.status?.failureReason) return undefined;

  const now = clock.now();
  const status: InfraMachineStatus = clone(im.status ?? {});
  const summarised = def.extraConditions ?? [];
  const scope = { ...s, machineUid: s.machineUid };
  const found = await findInstance(def, port, scope, now, t);

  let instance: CloudInstance;
  switch (found.kind) {
    case 'not-visible':
      return { requeueAfter: found.waitMs };
    case 'missing': {
      const message = `${def.instanceNoun} ${found.id}${def.recordedIdField ? ` (${def.recordedIdField})` : ''} no longer exists`;
      status.ready = false;
      status.failureReason = 'UpdateError';
      status.failureMessage = message;
      setMachineCondition(
        status,
        INSTANCE_READY,
        { status: 'False', reason: 'InstanceNotFound', severity: 'Error', message },
        now,
        summarised,
      );
      await updateStatusIfChanged(kube, im, status, def.fieldManager);
      return undefined;
    }
    case 'foreign': {
      // Named in the spec but not ours: never adopted, never deleted. A user who means it says so explicitly.
      const message =
        `${def.instanceNoun} ${found.instance.id}${def.recordedIdField ? ` (${def.recordedIdField})` : ''} does not carry capi-fn's ` +
        `ownership marker for this Machine or cluster ${s.clusterName ?? ''}; capi-fn neither adopts nor deletes it. ` +
        `Clear the field, or annotate the ${im.kind} with ${ADOPT_ANNOTATION}=${found.instance.id} to adopt it`;
      status.ready = false;
      setMachineCondition(
        status,
        INSTANCE_READY,
        { status: 'False', reason: 'InstanceNotOwned', severity: 'Error', message },
        now,
        summarised,
      );
      log.warn({ instance: found.instance.id }, 'recorded instance is not owned by this cluster; leaving it alone');
      await updateStatusIfChanged(kube, im, status, def.fieldManager);
      // The user's fix (clearing the field) is an edit of the identity, which this handler's watch ignores.
      return { requeueAfter: t.badInputRetryMs };
    }
    case 'none': {
      const out = await launch(def, cctx, scope, status, t);
      im = out.im;
      if (out.kind === 'blocked') {
        await updateStatusIfChanged(kube, im, status, def.fieldManager);
        return out.requeueAfter !== undefined ? { requeueAfter: out.requeueAfter } : undefined;
      }
      instance = out.instance;
      break;
    }
    case 'found': {
      instance = found.instance;
      if (found.extras.length) {
        // Only a lost race (a cloud ignoring the key, a lease that ran out under a slow call) makes two
        // instances with one Machine's identity; one Machine, one instance: the others go.
        log.warn(
          { keep: instance.id, delete: found.extras.map((i) => i.id) },
          'deleting duplicate instances of this machine',
        );
        for (const extra of found.extras) await port.delete(extra);
      }
      // Adopt what the lookup found: finalizer and identity, in one write.
      const want = withFinalizer(clone(im), def.finalizer);
      def.recordIdentity(want.spec, instance);
      im = await updateIfChanged(kube, im, want, def.fieldManager);
    }
  }

  const d = decideState(instance, {
    noun: def.instanceNoun,
    kind: im.kind ?? def.machine.kind,
    transitionPollMs: t.transitionPollMs,
  });
  if (def.reportsInstanceState !== false) status.instanceState = instance.nativeState;
  status.ready = d.ready;
  if (d.operational) status.addresses = instance.addresses;
  // The failure first: the provider's observe mirrors the status (vSphere's VSphereVM) and must see it.
  if (d.failure) {
    status.failureReason = d.failure.reason;
    status.failureMessage = d.failure.message;
  }
  await def.observe?.(instance, { ...s, im, client, log, now, kube }, status);
  setMachineCondition(status, INSTANCE_READY, d.condition, now, summarised);
  await updateStatusIfChanged(kube, im, status, def.fieldManager);
  return d.pollAfterMs !== undefined ? { requeueAfter: d.pollAfterMs } : undefined;
}
