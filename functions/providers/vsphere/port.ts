// The kit's port over vCenter. Identity: the VM's instance UUID is the Machine UID (set in the clone spec), found
// with SearchIndex.FindByUuid before any clone; the VM's name is the VSphereMachine's; the recorded BIOS UUID
// (providerID) finds it afterwards. A clone still running is the task recorded in the status (`taskRef`), read
// back through TaskInfo on later invocations, so no function waits for minutes and no second clone starts.
import type { VSphereMachine } from '../../../shared/api/providers/vsphere.ts';
import type { CloudInstance, CloudPort, MachineIdentity } from '../kit/port.ts';
import type { TaskInfo, VSphereApi } from './client.ts';
import type { CloneRequest } from './request.ts';
import { type MoRef, VimFault } from './soap.ts';
import { toCloudInstance, VM_PROPS, type VmView, vmView } from './vm.ts';

/** How long a create follows its clone task before handing it to the next invocation (vcsim: instant). */
export const CLONE_WAIT_MS = 20_000;
/** How long a delete follows its power-off before the next invocation looks again. */
export const POWER_OFF_WAIT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function taskRefOf(s: string | undefined): MoRef | undefined {
  return s ? { type: 'Task', value: s } : undefined;
}

/** Follows a task for at most `ms` (polling TaskInfo); returns its last info. */
export async function follow(api: VSphereApi, task: MoRef, ms: number): Promise<TaskInfo> {
  const deadline = Date.now() + ms;
  let delay = 50;
  for (;;) {
    const info = await api.taskInfo(task);
    if (info.state === 'success' || info.state === 'error' || Date.now() >= deadline) return info;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 1_000);
  }
}

export async function readVm(api: VSphereApi, ref: MoRef): Promise<VmView | undefined> {
  try {
    const [o] = await api.retrieve([ref], { VirtualMachine: VM_PROPS });
    return o ? vmView(o) : undefined;
  } catch (e) {
    if (e instanceof VimFault && e.fault === 'ManagedObjectNotFound') return undefined;
    throw e;
  }
}

/** A clone in flight, standing for the VM it will make. */
function cloning(task: MoRef, identity: Pick<MachineIdentity, 'machineUid' | 'clusterName' | 'name'>): CloudInstance {
  return {
    id: `clone:${task.value}`,
    providerID: '',
    state: 'pending',
    nativeState: `cloning (${task.value})`,
    transitioning: true,
    addresses: [],
    owner: { machineUid: identity.machineUid, cluster: identity.clusterName },
    hostname: identity.name,
    raw: { task },
  };
}

export function vspherePort(
  api: VSphereApi,
  o: { im?: VSphereMachine | undefined; cloneWaitMs?: number; powerOffWaitMs?: number } = {},
): CloudPort<CloneRequest> {
  const byUuid = async (uuid: string, instanceUuid: boolean) => {
    const ref = await api.findByUuid(uuid, { instanceUuid });
    return ref ? readVm(api, ref) : undefined;
  };
  return {
    async find(identity) {
      const vm = await byUuid(identity.machineUid, true);
      if (vm) return [toCloudInstance(vm)];
      // A clone this machine recorded and that vCenter still runs: the VM does not exist yet.
      const task = taskRefOf(o.im?.status?.taskRef);
      if (!task || o.im?.status?.taskKind !== 'clone') return [];
      let info: TaskInfo;
      try {
        info = await api.taskInfo(task);
      } catch (e) {
        // A task vCenter forgot (CAPV clears it): nothing in flight.
        if (e instanceof VimFault && e.fault === 'ManagedObjectNotFound') return [];
        throw e;
      }
      if (info.state === 'queued' || info.state === 'running') return [cloning(task, identity)];
      if (info.state === 'success' && info.result) {
        const made = await readVm(api, info.result);
        return made ? [toCloudInstance(made)] : [];
      }
      return [];
    },
    async get(biosUuid) {
      const vm = await byUuid(biosUuid, false);
      return vm ? toCloudInstance(vm) : undefined;
    },
    async create(req, _key, identity) {
      const task = await api.cloneVM(req.template, req.folder, req.name, req.spec);
      const info = await follow(api, task, o.cloneWaitMs ?? CLONE_WAIT_MS);
      if (info.state === 'error') throw info.error ?? new VimFault('SystemError', `clone task ${task.value} failed`);
      if (info.state === 'success' && info.result) {
        const vm = await readVm(api, info.result);
        if (vm) return { ...toCloudInstance(vm), raw: { ...vm, cloneMode: req.cloneMode } };
      }
      return cloning(task, identity);
    },
    async delete(inst) {
      const vm = inst.raw as VmView | { task: MoRef } | undefined;
      // A clone in flight cannot be destroyed yet; the next pass finds the VM it made.
      if (!vm || !('ref' in vm)) return;
      try {
        if (vm.powerState === 'poweredOn' || vm.powerState === 'suspended') {
          const off = await follow(api, await api.powerOffVM(vm.ref), o.powerOffWaitMs ?? POWER_OFF_WAIT_MS);
          // "Already powered off" is what we wanted (CAPV counts the invalid-power-state error as success).
          if (off.state === 'error' && off.error?.fault !== 'InvalidPowerState') throw off.error;
          if (off.state !== 'success' && off.state !== 'error') return;
        }
        const gone = await follow(api, await api.destroy(vm.ref), o.powerOffWaitMs ?? POWER_OFF_WAIT_MS);
        if (gone.state === 'error' && gone.error?.fault !== 'ManagedObjectNotFound') throw gone.error;
      } catch (e) {
        if (e instanceof VimFault && e.fault === 'ManagedObjectNotFound') return;
        throw e;
      }
    },
    async listOwned(scope) {
      const all = await api.listVirtualMachines(VM_PROPS);
      return all
        .map(vmView)
        .filter((vm) => vm.machineUid && vm.cluster && (!scope.clusterName || vm.cluster === scope.clusterName))
        .map(toCloudInstance);
    },
  };
}
