// AWSMachine reconcile: the provider half of a Machine on EC2 (reference §2.1). Same shape as the
// local provider: wait for the cluster and bootstrap data, look the instance up by identity before
// every create, record the intent before creating (machine-launch.ts), report providerID, addresses
// and readiness, terminate on delete (machine-delete.ts).
import type { Instance } from '@aws-sdk/client-ec2';
import type { AWSMachine } from '../../../shared/api/providers/aws.ts';
import { AWSMachineFinalizer } from '../../../shared/api/providers/aws-constants.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import {
  clone,
  isDeleting,
  updateIfChanged,
  updateStatusIfChanged,
  withFinalizer,
} from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type { Ec2Api, RegionName } from './cloud.ts';
import { classifyAwsError } from './errors.ts';
import { decideState, INSTANCE_READY, instanceAddresses, pickInstance } from './instance-status.ts';
import { loadMachineContext, type MachineContext } from './machine-context.ts';
import { reconcileAwsMachineDelete } from './machine-delete.ts';
import { launch, setInstanceIdentity } from './machine-launch.ts';
import { type AWSMachineStatus, SECURITY_GROUPS_READY, setMachineCondition } from './machine-status.ts';
import { type AwsProviderTimings, FIELD_MANAGER } from './options.ts';
import { identityFilters, LIVE_STATES } from './tags.ts';

export type FindResult =
  | { kind: 'found'; instance: Instance; extras: Instance[] }
  | { kind: 'none' }
  /** spec.instanceID is set but EC2 does not know it yet (eventual consistency right after launch). */
  | { kind: 'not-visible'; waitMs: number }
  | { kind: 'gone'; instanceId: string };

/**
 * The instance standing for this machine: by spec.instanceID when recorded (never a new one then,
 * upstream PR #2957), else by the identity tag in a live state.
 */
export async function findInstance(
  cloud: Ec2Api,
  region: RegionName,
  am: AWSMachine,
  mc: MachineContext,
  now: Date,
  t: AwsProviderTimings,
): Promise<FindResult> {
  const id = am.spec.instanceID;
  if (id) {
    let list: Instance[];
    try {
      list = await cloud.describeInstances(region, { instanceIds: [id] });
    } catch (e) {
      if (classifyAwsError(e).class !== 'not-found') throw e;
      list = [];
    }
    const inst = list.find((i) => i.InstanceId === id);
    if (inst) return { kind: 'found', instance: inst, extras: [] };
    const started = mc.intent?.startedAt ? Date.parse(mc.intent.startedAt) : Number.NaN;
    const age = now.getTime() - started;
    if (Number.isFinite(age) && age >= 0 && age < t.notFoundGraceMs)
      return { kind: 'not-visible', waitMs: t.transitionPollMs };
    return { kind: 'gone', instanceId: id };
  }
  if (!mc.machineUid) return { kind: 'none' };
  const live = await cloud.describeInstances(region, { filters: identityFilters(mc.machineUid, LIVE_STATES) });
  const { keep, extras } = pickInstance(live);
  return keep ? { kind: 'found', instance: keep, extras } : { kind: 'none' };
}

export async function reconcileAwsMachine(
  ref: ObjectRef,
  ctx: HandlerContext<Ec2Api>,
  t: AwsProviderTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, cloud, clock, log } = ctx;
  let am = await kube.find<AWSMachine>(ref);
  if (!am) return undefined;
  const mc = await loadMachineContext(kube, am);
  // Paused means paused (DESIGN.md rule 7): no cloud call, no write, deletion included.
  if (pausedState(mc.cluster, am).paused) return undefined;
  if (isDeleting(am)) return reconcileAwsMachineDelete(ctx, am, mc, t);
  // Until the Machine adopts it there is no identity to launch with; the adoption wakes us.
  if (!mc.machine || !mc.machineUid) return undefined;
  // Terminal (upstream keeps failed machines as they are until they are deleted).
  if (am.status?.failureReason) return undefined;

  const now = clock.now();
  const status: AWSMachineStatus = clone(am.status ?? {});
  const found = await findInstance(cloud, mc.region, am, mc, now, t);

  let instance: Instance;
  if (found.kind === 'not-visible') return { requeueAfter: found.waitMs };
  if (found.kind === 'gone') {
    const message = `EC2 instance ${found.instanceId} (spec.instanceID) no longer exists`;
    status.ready = false;
    status.failureReason = 'UpdateError';
    status.failureMessage = message;
    setMachineCondition(
      status,
      INSTANCE_READY,
      { status: 'False', reason: 'InstanceNotFound', severity: 'Error', message },
      now,
    );
    await updateStatusIfChanged(kube, am, status, FIELD_MANAGER);
    return undefined;
  }
  if (found.kind === 'none') {
    const out = await launch(ctx, am, mc, status, t);
    am = out.am;
    if (out.kind === 'blocked') {
      await updateStatusIfChanged(kube, am, status, FIELD_MANAGER);
      return out.requeueAfter !== undefined ? { requeueAfter: out.requeueAfter } : undefined;
    }
    instance = out.instance;
  } else {
    instance = found.instance;
    if (found.extras.length) {
      // Only a lost race (moto ignoring the ClientToken, a lease that ran out under a slow call) makes
      // two instances with one Machine's identity; one Machine, one instance: the others go.
      const ids = found.extras.map((i) => i.InstanceId!);
      log.warn({ keep: instance.InstanceId, terminate: ids }, 'terminating duplicate instances of this machine');
      await cloud.terminateInstances(mc.region, ids);
    }
    // Adopt what the lookup found: finalizer and identity, in one write.
    const want = withFinalizer(clone(am), AWSMachineFinalizer);
    setInstanceIdentity(want.spec, instance);
    am = await updateIfChanged(kube, am, want, FIELD_MANAGER);
    if (!status.conditions?.some((c) => c.type === SECURITY_GROUPS_READY)) {
      setMachineCondition(status, SECURITY_GROUPS_READY, { status: 'True' }, now);
    }
  }

  const d = decideState(instance.State?.Name, instance.InstanceId!);
  status.instanceState = instance.State?.Name;
  status.ready = d.ready;
  status.interruptible = instance.InstanceLifecycle === 'spot';
  if (d.operational) {
    try {
      const domainName = instance.VpcId ? await cloud.dhcpDomainName(mc.region, instance.VpcId) : undefined;
      status.addresses = instanceAddresses(instance, { domainName, region: mc.region ?? '' });
    } catch (e) {
      const c = classifyAwsError(e);
      if (c.class === 'unknown') throw e;
      // Addresses without the DHCP domain would flip back and forth; keep the last ones this time.
      log.warn({ err: c.code }, 'could not read the VPC DHCP options; keeping the addresses');
      if (!status.addresses) status.addresses = instanceAddresses(instance);
    }
  }
  setMachineCondition(status, INSTANCE_READY, d.condition, now);
  if (d.failure) {
    status.failureReason = d.failure.reason;
    status.failureMessage = d.failure.message;
  }
  await updateStatusIfChanged(kube, am, status, FIELD_MANAGER);
  return d.transitioning ? { requeueAfter: t.transitionPollMs } : undefined;
}
