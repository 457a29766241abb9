// The launch half of an AWSMachine reconcile, reached only when no instance carries the Machine's
// identity: prerequisites, references, the intent write (resourceVersion precondition), then
// RunInstances and, at once, spec.instanceID/providerID.
import type { Instance } from '@aws-sdk/client-ec2';
import { Labels } from '../../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { AWSMachine, AWSMachineSpec } from '../../../shared/api/providers/aws.ts';
import { AWSMachineFinalizer } from '../../../shared/api/providers/aws-constants.ts';
import { clone, withFinalizer } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext } from '../../../shared/runtime/handler.ts';
import type { Ec2Api } from './cloud.ts';
import { classifyAwsError, describeAwsFailure, retryDelayFor } from './errors.ts';
import {
  CREATE_INTENT_ANNOTATION,
  decideLaunch,
  formatIntent,
  type LaunchIntent,
  releaseAfterRefusal,
} from './intent.ts';
import type { MachineContext } from './machine-context.ts';
import { type AWSMachineStatus, notLaunched, SECURITY_GROUPS_READY, setMachineCondition } from './machine-status.ts';
import { type AwsProviderTimings, FIELD_MANAGER } from './options.ts';
import { formatProviderID } from './provider-id.ts';
import { resolveImage, resolveSecurityGroups, resolveSubnet, rootSnapshotSizeGiB } from './resolve.ts';
import { buildRunInstancesInput } from './run-input.ts';
import { machineTags } from './tags.ts';
import { buildUserData } from './user-data.ts';

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/**
 * Thrown, not returned as a requeue, on purpose: the runtime then retries this same delivery, and the
 * retry that finds the lease expired takes it over. A requeue would be a new first delivery, and a
 * holder that dies right after every claim (the crash tests' model) would then livelock the machine.
 */
export class LaunchInFlightError extends Error {
  readonly waitMs: number;
  constructor(startedAt: string | undefined, waitMs: number) {
    super(
      `a launch claimed at ${startedAt} may still be in flight; waiting until its lease ends (${Math.ceil(waitMs / 1000)}s left)`,
    );
    this.name = 'LaunchInFlight';
    this.waitMs = waitMs;
  }
}

export type LaunchOutcome =
  | { kind: 'launched'; am: AWSMachine; instance: Instance }
  /** Nothing launched; `status` says why. */
  | { kind: 'blocked'; am: AWSMachine; requeueAfter?: number };

export async function launch(
  ctx: HandlerContext<Ec2Api>,
  am0: AWSMachine,
  mc: MachineContext,
  status: AWSMachineStatus,
  t: AwsProviderTimings,
): Promise<LaunchOutcome> {
  const { kube, cloud, clock, log } = ctx;
  const now = clock.now();
  let am = am0;
  const machine = mc.machine!;
  const uid = mc.machineUid!;
  const blocked = (
    reason: string,
    message: string,
    requeueAfter?: number,
    severity: 'Info' | 'Warning' | 'Error' = 'Error',
  ) => {
    notLaunched(status, reason, severity, message, now);
    return requeueAfter !== undefined
      ? { kind: 'blocked' as const, am, requeueAfter }
      : { kind: 'blocked' as const, am };
  };
  const retrying = `; checking again every ${Math.round(t.badInputRetryMs / 1000)}s`;

  // Cluster infrastructure and bootstrap data first (their arrival wakes this handler, except the
  // Secret, which is polled).
  if (!mc.cluster?.status?.infrastructureReady) {
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

  // Someone else may be inside RunInstances for this machine: do not even resolve, wait it out.
  const decision = decideLaunch(mc.intent, uid, mc.region, now, t.launchLeaseMs);
  if (decision.action === 'wait') throw new LaunchInFlightError(mc.intent?.startedAt, decision.waitMs);

  const secret = await kube.find<SecretLike>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: am.metadata.namespace!,
    name: secretName,
  });
  if (!secret) {
    return blocked(
      'WaitingForBootstrapData',
      `bootstrap data secret ${secretName} not found${retrying}`,
      t.badInputRetryMs,
      'Info',
    );
  }
  const ud = buildUserData(secretName, secret.data, am.spec);
  if (!ud.ok) return blocked(ud.reason, `${ud.message}${retrying}`, t.badInputRetryMs);

  const role = machine.metadata.labels && Labels.controlPlane in machine.metadata.labels ? 'control-plane' : 'node';
  const tags = machineTags({
    clusterName: machine.spec.clusterName,
    awsMachineName: am.metadata.name!,
    namespace: am.metadata.namespace!,
    machineName: machine.metadata.name!,
    machineUid: uid,
    role,
    clusterAdditionalTags: mc.awsCluster?.spec?.additionalTags,
    machineAdditionalTags: am.spec.additionalTags,
  });
  if (tags.problems.length) return blocked('InvalidTags', `${tags.problems.join('; ')}${retrying}`, t.badInputRetryMs);

  let input: ReturnType<typeof buildRunInstancesInput>;
  try {
    const image = await resolveImage(cloud, mc.region, am.spec);
    if (!image.ok) return blocked(image.reason, `${image.message}${retrying}`, t.badInputRetryMs);
    let subnet:
      | { SubnetId?: string | undefined; VpcId?: string | undefined; Ipv6Native?: boolean | undefined }
      | undefined;
    if (!am.spec.networkInterfaces?.length) {
      const r = await resolveSubnet(cloud, mc.region, {
        spec: am.spec,
        failureDomain: machine.spec.failureDomain,
        awsCluster: mc.awsCluster,
      });
      if (!r.ok) return blocked(r.reason, `${r.message}${retrying}`, t.badInputRetryMs);
      subnet = r.value;
    }
    const groups = await resolveSecurityGroups(cloud, mc.region, am.spec, subnet?.VpcId);
    if (!groups.ok) {
      setMachineCondition(
        status,
        SECURITY_GROUPS_READY,
        { status: 'False', reason: groups.reason, severity: 'Error', message: groups.message },
        now,
      );
      return blocked(groups.reason, `${groups.message}${retrying}`, t.badInputRetryMs);
    }
    input = buildRunInstancesInput({
      spec: am.spec,
      imageId: image.value.ImageId!,
      image: { rootDeviceName: image.value.RootDeviceName, rootSnapshotSizeGiB: rootSnapshotSizeGiB(image.value) },
      subnetId: subnet?.SubnetId,
      subnetIpv6: subnet?.Ipv6Native,
      securityGroupIds: groups.value,
      userData: ud.userData,
      tags: tags.tags,
      clientToken: decision.intent.clientToken,
      clusterSshKeyName: mc.awsCluster?.spec?.sshKeyName,
    });
  } catch (e) {
    const c = classifyAwsError(e);
    // Not an EC2 or network error: a bug or a dying process, for the runtime's retry to handle.
    if (c.class === 'unknown') throw e;
    const delay = retryDelayFor(c.class, t);
    return blocked(
      'InstanceProvisionFailed',
      describeAwsFailure('resolving the launch references', c, delay),
      delay,
      'Warning',
    );
  }
  if (!input.ok) return blocked('InvalidSpec', `${input.problems.join('; ')}${retrying}`, t.badInputRetryMs);

  // The intent, with the finalizer, in one write carrying the resourceVersion we read: of two
  // concurrent invocations only one gets here; the other gets a 409, re-reads and finds the lease.
  am = await kube.update<AWSMachine>(withIntent(withFinalizer(am, AWSMachineFinalizer), decision.intent), {
    fieldManager: FIELD_MANAGER,
  });

  let instance: Instance;
  try {
    instance = await cloud.runInstances(mc.region, input.input);
  } catch (e) {
    const c = classifyAwsError(e);
    // Unknown: the launch may or may not have happened; the lease stays and the retry looks first.
    if (c.class === 'unknown') throw e;
    const delay = retryDelayFor(c.class, t);
    if (c.definitive) {
      // EC2 refused: nothing is in flight, so release the lease and move to a fresh token.
      am = await kube.update<AWSMachine>(withIntent(am, releaseAfterRefusal(decision.intent, uid)), {
        fieldManager: FIELD_MANAGER,
      });
    }
    log.warn({ code: c.code, class: c.class, definitive: c.definitive }, 'RunInstances failed');
    const severity = c.class === 'throttling' || c.class === 'transient' ? 'Warning' : 'Error';
    return blocked('InstanceProvisionFailed', describeAwsFailure('RunInstances', c, delay), delay, severity);
  }
  log.info({ instance: instance.InstanceId, clientToken: decision.intent.clientToken }, 'launched EC2 instance');

  // Persist the identity at once (upstream defers it to the end of the reconcile: issues #5794, #6131).
  const want = clone(am);
  setInstanceIdentity(want.spec, instance);
  am = await kube.update<AWSMachine>(want, { fieldManager: FIELD_MANAGER });
  setMachineCondition(status, SECURITY_GROUPS_READY, { status: 'True' }, now);
  return { kind: 'launched', am, instance };
}

function withIntent(am: AWSMachine, intent: LaunchIntent): AWSMachine {
  return {
    ...am,
    metadata: {
      ...am.metadata,
      annotations: { ...(am.metadata.annotations ?? {}), [CREATE_INTENT_ANNOTATION]: formatIntent(intent) },
    },
  };
}

export function setInstanceIdentity(spec: AWSMachineSpec, instance: Instance): void {
  spec.instanceID = instance.InstanceId!;
  spec.providerID = formatProviderID(instance.Placement?.AvailabilityZone ?? '', instance.InstanceId!);
}
