// The VSphereVM record (CAPV's object per VM): the same name as its VSphereMachine, owned by it, with the clone
// spec the VM was made from, the Machine's bootstrap data reference and, in its status, the VM as vCenter reports
// it. Written before the clone and kept in step by every pass; deleted with its VSphereMachine by the garbage
// collector. Pure builders here; machine.ts does the writes.
import { Labels } from '../../../shared/api/capi/constants.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { VSphereMachine, VSphereVM } from '../../../shared/api/providers/vsphere.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists } from '../../../shared/kube/errors.ts';
import { updateIfChanged, updateStatusIfChanged } from '../../../shared/reconcile/writes.ts';
import type { VmView } from './vm.ts';

export const VSPHERE_VM = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereVM' };

/** The VSphereVM of a VSphereMachine: its clone spec (placement already resolved), bootstrap data, BIOS UUID. */
export function vsphereVMFor(
  vm: VSphereMachine,
  o: {
    spec: VSphereMachine['spec'];
    machine?: Machine | undefined;
    clusterName?: string | undefined;
    biosUUID?: string;
  },
): VSphereVM {
  const { providerID: _p, failureDomain: _f, namingStrategy: _n, ...clone } = o.spec;
  const secret = o.machine?.spec.bootstrap.dataSecretName;
  return {
    apiVersion: VSPHERE_VM.apiVersion,
    kind: VSPHERE_VM.kind,
    metadata: {
      name: vm.metadata.name!,
      namespace: vm.metadata.namespace!,
      ...(o.clusterName ? { labels: { [Labels.clusterName]: o.clusterName } } : {}),
      ownerReferences: [
        {
          apiVersion: vm.apiVersion ?? VSPHERE_VM.apiVersion,
          kind: 'VSphereMachine',
          name: vm.metadata.name!,
          uid: vm.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...clone,
      ...(secret
        ? { bootstrapRef: { apiVersion: 'v1', kind: 'Secret', name: secret, namespace: vm.metadata.namespace! } }
        : {}),
      ...(o.biosUUID ? { biosUUID: o.biosUUID } : {}),
    },
  };
}

/** The VSphereVM's status from the VSphereMachine's view of its VM. */
export function vsphereVMStatus(status: VSphereMachine['status'], vm: VmView | undefined): VSphereVM['status'] {
  const s = status ?? {};
  return {
    ready: s.ready ?? false,
    ...(vm?.ips.length ? { addresses: vm.ips } : {}),
    ...(s.cloneMode ? { cloneMode: s.cloneMode } : {}),
    ...(s.snapshot ? { snapshot: s.snapshot } : {}),
    ...(s.retryAfter ? { retryAfter: s.retryAfter } : {}),
    ...(s.taskRef ? { taskRef: s.taskRef } : {}),
    ...(s.network?.length ? { network: s.network } : {}),
    ...(s.vmRef ? { vmRef: s.vmRef } : {}),
    ...(s.vmstate ? { vmstate: s.vmstate } : {}),
    ...(s.failureReason ? { failureReason: s.failureReason } : {}),
    ...(s.failureMessage ? { failureMessage: s.failureMessage } : {}),
  };
}

/** Creates the record when it does not exist (a repeat finds the first). */
export async function ensureVSphereVM(kube: KubeClient, want: VSphereVM, fieldManager: string): Promise<void> {
  try {
    await kube.create(want, { fieldManager });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/** Brings the record in step: created if missing, the BIOS UUID in its spec, the VM in its status. */
export async function syncVSphereVM(
  kube: KubeClient,
  want: VSphereVM,
  status: VSphereVM['status'],
  fieldManager: string,
): Promise<void> {
  let cur = await kube.find<VSphereVM>({
    ...VSPHERE_VM,
    namespace: want.metadata.namespace,
    name: want.metadata.name!,
  });
  if (!cur) {
    cur = await kube.create(want, { fieldManager });
  } else if (want.spec.biosUUID && cur.spec.biosUUID !== want.spec.biosUUID) {
    cur = await updateIfChanged(
      kube,
      cur,
      { ...cur, spec: { ...cur.spec, biosUUID: want.spec.biosUUID } },
      fieldManager,
    );
  }
  await updateStatusIfChanged(kube, cur, status, fieldManager);
}
