// AWSMachine deletion (reference §2.10): terminate every instance carrying the machine's identity,
// wait until EC2 reports them terminated, then release the finalizer so the Machine can finish.
// Each step is idempotent; a crash anywhere resumes here.
import type { Instance } from '@aws-sdk/client-ec2';
import type { AWSMachine } from '../../../shared/api/providers/aws.ts';
import { AWSMachineFinalizer } from '../../../shared/api/providers/aws-constants.ts';
import { clone, hasFinalizer, updateStatusIfChanged, withoutFinalizer } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type { Ec2Api } from './cloud.ts';
import { classifyAwsError, describeAwsFailure, retryDelayFor } from './errors.ts';
import { INSTANCE_READY } from './instance-status.ts';
import { leaseHeld } from './intent.ts';
import type { MachineContext } from './machine-context.ts';
import { type AWSMachineStatus, setMachineCondition } from './machine-status.ts';
import { type AwsProviderTimings, FIELD_MANAGER } from './options.ts';
import { identityFilters, NOT_TERMINATED_STATES } from './tags.ts';

/** The Machine UID is in the token too (`<uid>-<n>`), for an AWSMachine that lost its owner reference. */
function identityOf(mc: MachineContext): string | undefined {
  return mc.machineUid ?? mc.intent?.clientToken.replace(/-\d+$/, '');
}

export async function reconcileAwsMachineDelete(
  ctx: HandlerContext<Ec2Api>,
  am: AWSMachine,
  mc: MachineContext,
  t: AwsProviderTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, cloud, clock, log } = ctx;
  if (!hasFinalizer(am, AWSMachineFinalizer)) return undefined;
  const now = clock.now();
  const status: AWSMachineStatus = clone(am.status ?? {});

  const byId = new Map<string, Instance>();
  let recordedMissing = false;
  try {
    if (am.spec.instanceID) {
      try {
        for (const i of await cloud.describeInstances(mc.region, { instanceIds: [am.spec.instanceID] }))
          byId.set(i.InstanceId!, i);
      } catch (e) {
        if (classifyAwsError(e).class !== 'not-found') throw e;
      }
      recordedMissing = !byId.has(am.spec.instanceID);
    }
    const uid = identityOf(mc);
    if (uid) {
      for (const i of await cloud.describeInstances(mc.region, {
        filters: identityFilters(uid, NOT_TERMINATED_STATES),
      })) {
        byId.set(i.InstanceId!, i);
      }
    }
  } catch (e) {
    return failed(ctx, am, status, 'DescribeInstances', e, t);
  }

  const live = [...byId.values()].filter((i) => i.State?.Name !== 'terminated');
  if (live.length) {
    const toTerminate = live.filter((i) => i.State?.Name !== 'shutting-down').map((i) => i.InstanceId!);
    if (toTerminate.length) {
      try {
        await cloud.terminateInstances(mc.region, toTerminate);
        log.info({ instances: toTerminate }, 'terminating EC2 instances');
      } catch (e) {
        // NotFound right after a launch is eventual consistency, not absence: look again.
        if (classifyAwsError(e).class !== 'not-found') return failed(ctx, am, status, 'TerminateInstances', e, t);
      }
    }
    const primary = live.find((i) => i.InstanceId === am.spec.instanceID) ?? live[0]!;
    status.ready = false;
    status.instanceState = toTerminate.includes(primary.InstanceId!) ? 'shutting-down' : primary.State?.Name;
    setMachineCondition(
      status,
      INSTANCE_READY,
      {
        status: 'False',
        reason: 'Deleting',
        severity: 'Info',
        message: `waiting for ${live.map((i) => i.InstanceId).join(', ')} to terminate`,
      },
      now,
    );
    await updateStatusIfChanged(kube, am, status, FIELD_MANAGER);
    return { requeueAfter: t.terminatePollMs };
  }

  // Nothing live. Two reasons to wait all the same: a recorded instance EC2 may not show yet, and a
  // launch another invocation may still be making (its instance would outlive the finalizer).
  const started = mc.intent?.startedAt ? Date.parse(mc.intent.startedAt) : Number.NaN;
  if (recordedMissing && now.getTime() - started < t.notFoundGraceMs) return { requeueAfter: t.terminatePollMs };
  const held = am.spec.instanceID ? undefined : leaseHeld(mc.intent, now, t.launchLeaseMs);
  if (held !== undefined) {
    log.info({ waitMs: held }, 'a launch may be in flight; waiting before releasing the finalizer');
    return { requeueAfter: Math.min(held, t.terminatePollMs) };
  }
  await kube.update(withoutFinalizer(am, AWSMachineFinalizer), { fieldManager: FIELD_MANAGER });
  log.info({}, 'instances terminated; finalizer removed');
  return undefined;
}

async function failed(
  ctx: HandlerContext<Ec2Api>,
  am: AWSMachine,
  status: AWSMachineStatus,
  op: string,
  e: unknown,
  t: AwsProviderTimings,
): Promise<ReconcileResult> {
  const c = classifyAwsError(e);
  // Not an EC2 or network error: a bug or a dying process, for the runtime's retry to handle.
  if (c.class === 'unknown') throw e;
  const delay = retryDelayFor(c.class, t);
  setMachineCondition(
    status,
    INSTANCE_READY,
    { status: 'False', reason: 'DeletionFailed', severity: 'Warning', message: describeAwsFailure(op, c, delay) },
    ctx.clock.now(),
  );
  await updateStatusIfChanged(ctx.kube, am, status, FIELD_MANAGER);
  return { requeueAfter: delay };
}
