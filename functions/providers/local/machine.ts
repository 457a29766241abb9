import { CAPI_API_VERSION } from '../../../shared/api/capi/constants.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import { LOCAL_FAIL_PROVISIONING_ANNOTATION, type LocalMachine } from '../../../shared/api/providers/local.ts';
import { falseCondition, setCondition, trueCondition } from '../../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { clusterNameOf, findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { parseDuration } from '../../../shared/reconcile/duration.ts';
import { controllerOf } from '../../../shared/reconcile/owner-refs.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import {
  clone,
  hasFinalizer,
  isDeleting,
  updateIfChanged,
  updateStatusIfChanged,
  withFinalizer,
  withoutFinalizer,
} from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type { LocalCloudApi, LocalInstance } from './cloud.ts';

export const LOCAL_MACHINE_FINALIZER = 'localmachine.infrastructure.cluster.x-k8s.io';
/** The create intent (DESIGN.md rule 3): the identity key the instance is created with. */
export const CREATE_INTENT_ANNOTATION = 'infrastructure.capi-fn.io/create-intent';
const FIELD_MANAGER = 'capi-local-provider';
const INSTANCE_READY = 'InstanceReady';
const TERMINATION_POLL_MS = 500;

type Status = NonNullable<LocalMachine['status']>;

export async function reconcileLocalMachine(
  ref: ObjectRef,
  ctx: HandlerContext<LocalCloudApi>,
): Promise<ReconcileResult | undefined> {
  const { kube, cloud, clock, log } = ctx;
  let lm = await kube.find<LocalMachine>(ref);
  if (!lm) return undefined;
  const now = clock.now();
  const owner = controllerOf(lm);
  const key = owner?.kind === 'Machine' ? owner.uid : undefined;

  if (isDeleting(lm)) {
    if (!hasFinalizer(lm, LOCAL_MACHINE_FINALIZER)) return undefined;
    // Paused means paused for deletion too (DESIGN.md rule 7): the Machine may already be gone.
    const owningCluster = await findCluster(kube, lm.metadata.namespace!, clusterNameOf(lm));
    if (pausedState(owningCluster, lm).paused) return undefined;
    const inst = key ? await cloud.describe(key) : undefined;
    if (inst && inst.state !== 'terminated') {
      if (inst.state !== 'terminating') {
        await cloud.terminate(inst.id);
        log.info({ instance: inst.id }, 'terminating instance');
      }
      await updateStatusIfChanged(
        kube,
        lm,
        { ...(lm.status ?? {}), ready: false, instanceState: 'terminating' },
        FIELD_MANAGER,
      );
      return { requeueAfter: TERMINATION_POLL_MS };
    }
    await kube.update(withoutFinalizer(lm, LOCAL_MACHINE_FINALIZER), { fieldManager: FIELD_MANAGER });
    return undefined;
  }

  // The Machine adopts its LocalMachine first; until then there is no identity to create with.
  if (!key) return undefined;
  const machine = await kube.find<Machine>({
    apiVersion: CAPI_API_VERSION,
    kind: 'Machine',
    namespace: lm.metadata.namespace!,
    name: owner!.name,
  });
  if (!machine) return undefined;
  const cluster = await findCluster(kube, lm.metadata.namespace!, machine.spec.clusterName);
  if (pausedState(cluster, lm).paused) return undefined;

  const status: Status = clone(lm.status ?? {});
  const waiting = (reason: string, message: string) => {
    status.ready = false;
    status.conditions = setCondition(status.conditions, falseCondition(INSTANCE_READY, reason, 'Info', message), now);
    status.conditions = setCondition(status.conditions, falseCondition('Ready', reason, 'Info', message), now);
  };

  let inst: LocalInstance | undefined = await cloud.describe(key);
  if (!inst) {
    if (lm.spec.providerID) {
      status.ready = false;
      status.failureReason = 'UpdateError';
      status.failureMessage = `instance ${lm.spec.providerID} no longer exists in the simulated cloud`;
      status.conditions = setCondition(
        status.conditions,
        falseCondition(INSTANCE_READY, 'InstanceNotFound', 'Error', status.failureMessage),
        now,
      );
      status.conditions = setCondition(
        status.conditions,
        falseCondition('Ready', 'InstanceNotFound', 'Error', status.failureMessage),
        now,
      );
      await updateStatusIfChanged(kube, lm, status, FIELD_MANAGER);
      return undefined;
    }
    if (!cluster?.status?.infrastructureReady) {
      waiting('WaitingForClusterInfrastructure', 'waiting for the Cluster infrastructure to be ready');
      await updateStatusIfChanged(kube, lm, status, FIELD_MANAGER);
      return undefined;
    }
    if (!machine.spec.bootstrap.dataSecretName) {
      waiting('WaitingForBootstrapData', 'waiting for spec.bootstrap.dataSecretName on the Machine');
      await updateStatusIfChanged(kube, lm, status, FIELD_MANAGER);
      return undefined;
    }
    const injected = lm.metadata.annotations?.[LOCAL_FAIL_PROVISIONING_ANNOTATION];
    if (injected !== undefined) {
      status.ready = false;
      status.failureReason = 'CreateError';
      status.failureMessage = `provisioning failed (injected by the ${LOCAL_FAIL_PROVISIONING_ANNOTATION} annotation${injected ? `: ${injected}` : ''})`;
      status.conditions = setCondition(
        status.conditions,
        falseCondition(INSTANCE_READY, 'InstanceProvisionFailed', 'Error', status.failureMessage),
        now,
      );
      status.conditions = setCondition(
        status.conditions,
        falseCondition('Ready', 'InstanceProvisionFailed', 'Error', status.failureMessage),
        now,
      );
      await updateStatusIfChanged(kube, lm, status, FIELD_MANAGER);
      return undefined;
    }
    // Finalizer and intent in one write, with the resourceVersion precondition: only the winner creates.
    if (!hasFinalizer(lm, LOCAL_MACHINE_FINALIZER) || lm.metadata.annotations?.[CREATE_INTENT_ANNOTATION] !== key) {
      const want = withFinalizer(lm, LOCAL_MACHINE_FINALIZER);
      lm = await kube.update<LocalMachine>(
        {
          ...want,
          metadata: {
            ...want.metadata,
            annotations: { ...(want.metadata.annotations ?? {}), [CREATE_INTENT_ANNOTATION]: key },
          },
        },
        { fieldManager: FIELD_MANAGER },
      );
    }
    inst = await cloud.run({
      key,
      name: lm.metadata.name!,
      ...((machine.spec.failureDomain ?? lm.spec.failureDomain)
        ? { zone: machine.spec.failureDomain ?? lm.spec.failureDomain! }
        : {}),
      ...(lm.spec.bootDelay !== undefined ? { bootDelayMs: parseDuration(lm.spec.bootDelay) ?? 0 } : {}),
      ...(lm.spec.image ? { image: lm.spec.image } : {}),
      ...(lm.spec.cpus ? { cpus: lm.spec.cpus } : {}),
      ...(lm.spec.memoryMiB ? { memoryMiB: lm.spec.memoryMiB } : {}),
    });
    log.info({ instance: inst.id }, 'created instance');
  } else if (!hasFinalizer(lm, LOCAL_MACHINE_FINALIZER)) {
    lm = await kube.update(withFinalizer(lm, LOCAL_MACHINE_FINALIZER), { fieldManager: FIELD_MANAGER });
  }

  const want = clone(lm);
  want.spec.providerID = inst.providerID;
  want.spec.failureDomain = inst.zone;
  lm = await updateIfChanged(kube, lm, want, FIELD_MANAGER);

  status.instanceState = inst.state === 'terminating' ? 'terminating' : inst.state;
  status.addresses = [
    { type: 'InternalIP', address: inst.privateIp },
    { type: 'Hostname', address: inst.hostname },
    { type: 'InternalDNS', address: inst.hostname },
  ];
  let requeueAfter: number | undefined;
  if (inst.state === 'running') {
    status.ready = true;
    status.conditions = setCondition(status.conditions, trueCondition(INSTANCE_READY), now);
    status.conditions = setCondition(status.conditions, trueCondition('Ready'), now);
  } else if (inst.state === 'pending') {
    // Never un-ready a machine that was ready: only a boot in progress is "pending".
    status.ready = false;
    waiting('InstanceProvisionStarted', `instance ${inst.id} is booting`);
    requeueAfter = Math.max(50, Date.parse(inst.bootAt) - now.getTime() + 50);
  } else {
    status.ready = false;
    status.failureReason = 'UpdateError';
    status.failureMessage = `instance ${inst.id} is ${inst.state} but the LocalMachine is not being deleted`;
    status.conditions = setCondition(
      status.conditions,
      falseCondition(INSTANCE_READY, 'InstanceTerminated', 'Error', status.failureMessage),
      now,
    );
    status.conditions = setCondition(
      status.conditions,
      falseCondition('Ready', 'InstanceTerminated', 'Error', status.failureMessage),
      now,
    );
  }
  await updateStatusIfChanged(kube, lm, status, FIELD_MANAGER);
  return requeueAfter !== undefined ? { requeueAfter } : undefined;
}
