// The create half of the reconcile, reached only when no instance carries the Machine's identity:
// prerequisites, the provider's request (references resolved, problems naming the field), the intent
// write with a resourceVersion precondition, the create, and at once the identity in the spec.
import { Labels } from '../../../shared/api/capi/constants.ts';
import type { ConditionSeverity } from '../../../shared/api/conditions.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { isConflict } from '../../../shared/kube/errors.ts';
import { clone, updateStatusIfChanged, withFinalizer } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext } from '../../../shared/runtime/handler.ts';
import { readBootstrapData } from './bootstrap.ts';
import type {
  ConditionValue,
  InfraMachine,
  InfraMachineDefinition,
  InfraMachineStatus,
  KitTimings,
  MachineScope,
  Prepared,
} from './definition.ts';
import { describeFailure, describeTerminal, retryDelayFor, severityOf } from './errors.ts';
import {
  CREATE_INTENT_ANNOTATION,
  decideLaunch,
  formatIntent,
  type LaunchIntent,
  parseIntent,
  releaseAfterRefusal,
} from './intent.ts';
import type { CloudInstance } from './port.ts';
import { identityOf } from './scope.ts';
import { INSTANCE_READY, keepAfterCreate, setMachineCondition } from './status.ts';

/**
 * Thrown, not returned as a requeue, on purpose: the runtime then retries this same delivery, and the retry
 * that finds the lease expired takes it over. A requeue would be a new first delivery, and a holder that
 * dies right after every claim (the crash tests' model) would then livelock the machine.
 */
export class LaunchInFlightError extends Error {
  readonly waitMs: number;
  constructor(startedAt: string | undefined, waitMs: number) {
    super(
      `a create claimed at ${startedAt} may still be in flight; waiting until its lease ends (${Math.ceil(waitMs / 1000)}s left)`,
    );
    this.name = 'LaunchInFlight';
    this.waitMs = waitMs;
  }
}

export type LaunchOutcome<IM> =
  | { kind: 'launched'; im: IM; instance: CloudInstance }
  /** Nothing created; the status says why. */
  | { kind: 'blocked'; im: IM; requeueAfter?: number };

export async function launch<Client, Req, IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<Client, Req, IM, IC>,
  ctx: HandlerContext<Client>,
  s: MachineScope<IM, IC> & { machineUid: string },
  status: InfraMachineStatus,
  t: KitTimings,
): Promise<LaunchOutcome<IM>> {
  const { kube, clock, log } = ctx;
  const now = clock.now();
  let im = s.im;
  const machine = s.machine!;
  const uid = s.machineUid;
  const summarised = def.extraConditions ?? [];
  const set = (type: string, c: ConditionValue) => setMachineCondition(status, type, c, now, summarised);
  const blocked = (
    reason: string,
    message: string,
    requeueAfter?: number,
    severity: ConditionSeverity = 'Error',
  ): LaunchOutcome<IM> => {
    status.ready = false;
    set(INSTANCE_READY, { status: 'False', reason, severity, message });
    return requeueAfter !== undefined ? { kind: 'blocked', im, requeueAfter } : { kind: 'blocked', im };
  };
  const retrying = (ms: number) => `; checking again every ${Math.round(ms / 1000)}s`;

  // Cluster infrastructure and bootstrap data first (their arrival wakes this handler, except the Secret's
  // content, which is polled).
  if (!s.cluster?.status?.infrastructureReady) {
    return blocked(
      'WaitingForClusterInfrastructure',
      'waiting for the Cluster infrastructure to be ready',
      undefined,
      'Info',
    );
  }
  const secretName = machine.spec.bootstrap.dataSecretName;
  if (!secretName) {
    return blocked(
      'WaitingForBootstrapData',
      'waiting for spec.bootstrap.dataSecretName on the Machine',
      undefined,
      'Info',
    );
  }

  // Someone else may be inside the create for this machine: do not even resolve, wait it out.
  const decision = decideLaunch(s.intent, uid, s.location, now, t.launchLeaseMs);
  if (decision.action === 'wait') throw new LaunchInFlightError(s.intent?.startedAt, decision.waitMs);

  const boot = await readBootstrapData(kube, im.metadata.namespace!, secretName);
  if (!boot.ok) {
    return blocked(
      boot.reason,
      `${boot.message}${retrying(t.badInputRetryMs)}`,
      t.badInputRetryMs,
      boot.reason === 'WaitingForBootstrapData' ? 'Info' : 'Error',
    );
  }

  const identity = identityOf(im, uid, s.clusterName);
  let prepared: Prepared<Req>;
  try {
    prepared = await def.prepare({
      ...s,
      client: ctx.cloud,
      machine,
      cluster: s.cluster,
      machineUid: uid,
      identity,
      role: machine.metadata.labels && Labels.controlPlane in machine.metadata.labels ? 'control-plane' : 'node',
      bootstrap: boot.data,
      key: decision.intent.key,
      kube,
      log,
      now,
    });
  } catch (e) {
    const c = def.classify(e);
    // Not a cloud or network error: a bug or a dying process, for the runtime's retry to handle.
    if (c.class === 'unknown') throw e;
    const delay = retryDelayFor(c, t);
    const where = { cloud: def.cloudName, kind: def.machine.kind };
    return blocked(
      'InstanceProvisionFailed',
      describeFailure('resolving the launch references', c, delay, where),
      delay,
      'Warning',
    );
  }
  for (const [type, c] of Object.entries(prepared.conditions ?? {}))
    if (!prepared.ok || c.status === 'False') set(type, c);
  if (!prepared.ok) {
    if (prepared.terminal) {
      status.failureReason = 'CreateError';
      status.failureMessage = prepared.message;
      return blocked(prepared.reason, prepared.message, undefined, 'Error');
    }
    const delay = prepared.retryAfterMs ?? t.badInputRetryMs;
    return blocked(prepared.reason, `${prepared.message}${retrying(delay)}`, delay, prepared.severity ?? 'Error');
  }

  // What the request was resolved to, recorded before anything is created (a later pass reuses it).
  if (prepared.status) {
    Object.assign(status, prepared.status);
    im = await updateStatusIfChanged(kube, im, status, def.fieldManager);
  }

  // The intent, with the finalizer, in one write carrying the resourceVersion we read: of two concurrent
  // invocations only one gets here; the other gets a 409, re-reads and finds the lease.
  im = await kube.update<IM>(withIntent(withFinalizer(im, def.finalizer), decision.intent), {
    fieldManager: def.fieldManager,
  });

  const port = def.port(ctx.cloud, s.location, im);
  let instance: CloudInstance;
  // The wall clock, as the cloud's creation times are (not the handler's clock, which tests may set).
  const createStartedAt = new Date();
  try {
    instance = await port.create(prepared.request, decision.intent.key, identity);
  } catch (e) {
    const c = def.classify(e);
    // Unknown: the create may or may not have happened; the lease stays and the retry looks first.
    if (c.class === 'unknown') throw e;
    const delay = retryDelayFor(c, t);
    if (c.definitive) {
      // The cloud refused: nothing is in flight, so release the lease and move to a fresh key.
      im = await releaseLease(kube, im, decision.intent, uid, def.fieldManager);
    }
    log.warn({ code: c.code, class: c.class, definitive: c.definitive, terminal: c.terminal }, 'create failed');
    const where = { cloud: def.cloudName, kind: def.machine.kind };
    if (c.terminal) {
      // The create ran and failed for good: the lease goes (nothing is in flight), the machine fails.
      if (!c.definitive) im = await releaseLease(kube, im, decision.intent, uid, def.fieldManager);
      const message = describeTerminal('creating the instance', c, where);
      status.failureReason = 'CreateError';
      status.failureMessage = message;
      return blocked('InstanceProvisionFailed', message, undefined, 'Error');
    }
    return blocked(
      'InstanceProvisionFailed',
      describeFailure('creating the instance', c, delay, where),
      delay,
      severityOf(c.class),
    );
  }
  log.info({ instance: instance.id, key: decision.intent.key }, `created ${def.instanceNoun}`);

  // A create whose reply was lost may have been repeated underneath (an SDK's own retry of the same call): a cloud
  // that honours the key returns the same instance, one that does not (moto's EC2, found by the cloud chaos test)
  // made a second. One Machine, one instance: any other live instance with this Machine's identity goes now, as
  // the lookup before a create would have done. Before the identity is recorded: once it is, lookups go by the
  // recorded ID and never see a second instance, so a sweep that fails here (the cloud failing the lookup or the
  // delete) is left to the retry, whose identity lookup finds both and keeps one.
  // Which one stays is the rule every lookup uses (the oldest: keepAfterCreate), not "the one this call made": two
  // sweepers with different rules, each keeping its own, deleted both (seen in CI under the lease test).
  const seen = (await port.find(identity)).filter(
    (i) => i.owner.machineUid === uid && i.state !== 'terminating' && i.state !== 'gone',
  );
  const { keep, extras } = keepAfterCreate(instance, seen, createStartedAt);
  if (extras.length) {
    log.warn({ keep: keep.id, delete: extras.map((i) => i.id) }, 'deleting duplicate instances of this machine');
    for (const extra of extras) await port.delete(extra);
  }
  instance = keep;
  // Then persist the identity at once (CAPA defers it to the end of its reconcile: upstream issues #5794, #6131).
  const want = clone(im);
  def.recordIdentity(want.spec, instance);
  im = await kube.update<IM>(want, { fieldManager: def.fieldManager });
  for (const [type, c] of Object.entries(prepared.conditions ?? {})) set(type, c);
  return { kind: 'launched', im, instance };
}

/**
 * The release after a refusal, written also when the object changed meanwhile (a user's label, another write):
 * a lost release would leave the lease held, and the next try would wait it out, then repeat the refused key.
 * Re-read and write again while the intent there is still the one this invocation holds.
 */
async function releaseLease<IM extends KubeObject>(
  kube: HandlerContext<unknown>['kube'],
  im: IM,
  held: LaunchIntent,
  uid: string,
  fieldManager: string,
): Promise<IM> {
  let cur = im;
  for (let tries = 1; ; tries++) {
    try {
      return await kube.update<IM>(withIntent(cur, releaseAfterRefusal(held, uid)), { fieldManager });
    } catch (e) {
      if (!isConflict(e) || tries >= 4) throw e;
      const fresh = await kube.find<IM>({
        apiVersion: cur.apiVersion!,
        kind: cur.kind!,
        namespace: cur.metadata.namespace,
        name: cur.metadata.name!,
      });
      if (!fresh || parseIntent(fresh.metadata.annotations)?.key !== held.key) return fresh ?? cur;
      cur = fresh;
    }
  }
}

function withIntent<T extends KubeObject>(o: T, intent: LaunchIntent): T {
  return {
    ...o,
    metadata: {
      ...o.metadata,
      annotations: { ...(o.metadata.annotations ?? {}), [CREATE_INTENT_ANNOTATION]: formatIntent(intent) },
    },
  };
}
