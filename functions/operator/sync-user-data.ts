// User-data sync step I/O: copy openshift-machine-api/worker-user-data to openshift-cluster-api when it differs.
import type { KubeClient } from '../../shared/kube/client.ts';
import { OPERATOR_FIELD_MANAGER } from './install.ts';
import { createIfAbsent } from './io.ts';
import type { StepOutcome } from './status.ts';
import { planUserData, type SecretObject, USER_DATA_SOURCE, USER_DATA_TARGET, userDataInSync } from './user-data.ts';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };

/** Replaces `current` with `desired`: in place when allowed, else delete (guarded by UID) and create. */
export async function writeSecret(
  kube: KubeClient,
  current: SecretObject | undefined,
  desired: SecretObject,
): Promise<void> {
  if (!current) {
    await createIfAbsent(kube, desired);
    return;
  }
  // `type` is immutable, and so is the whole Secret once `immutable: true`.
  if (current.immutable || (current.type ?? 'Opaque') !== (desired.type ?? 'Opaque')) {
    await kube.delete(
      { ...SECRET, namespace: current.metadata.namespace!, name: current.metadata.name! },
      { preconditions: { uid: current.metadata.uid! } },
    );
    await createIfAbsent(kube, desired);
    return;
  }
  const next: SecretObject = {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
      annotations: { ...(current.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) },
    },
    type: desired.type,
    data: desired.data,
  };
  delete next.stringData;
  if (desired.immutable !== undefined) next.immutable = desired.immutable;
  await kube.update(next, { fieldManager: OPERATOR_FIELD_MANAGER });
}

export async function syncUserData(kube: KubeClient): Promise<StepOutcome> {
  const source = await kube.find<SecretObject>({ ...SECRET, ...USER_DATA_SOURCE });
  const plan = planUserData(source);
  if (!plan.ok) return { state: 'failed', message: plan.error };
  const current = await kube.find<SecretObject>({ ...SECRET, ...USER_DATA_TARGET });
  if (!userDataInSync(current, plan.desired)) await writeSecret(kube, current, plan.desired);
  return {
    state: 'done',
    message: `${USER_DATA_TARGET.namespace}/${USER_DATA_TARGET.name} is in sync with ${USER_DATA_SOURCE.namespace}/${USER_DATA_SOURCE.name}`,
  };
}
