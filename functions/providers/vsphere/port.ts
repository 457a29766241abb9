// The kit's port over vCenter. Identity: the VM's instance UUID is the Machine UID (set in the clone spec), found
// with SearchIndex.FindByUuid before any clone; the VM's name is the VSphereMachine's; the recorded BIOS UUID
// (providerID) finds it afterwards. A clone still running is the task recorded in the status (`taskRef`), read
// back through TaskInfo on later invocations, so no function waits for minutes and no second clone starts.
import type { VSphereMachine } from '../../../shared/api/providers/vsphere.ts';
import { parseIntent } from '../kit/intent.ts';
import type { CloudInstance, CloudPort, MachineIdentity } from '../kit/port.ts';
import type { TaskInfo, VimEvent, VSphereApi } from './client.ts';
import { CloneFailed, isTerminalCloneFault } from './errors.ts';
import { inventoryPath, isUuid } from './names.ts';
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

/** A clone in flight, standing for the VM it will make (its task, when known). */
function cloning(
  task: MoRef | undefined,
  identity: Pick<MachineIdentity, 'machineUid' | 'clusterName' | 'name'>,
): CloudInstance {
  const what = task?.value ?? identity.name;
  return {
    id: `clone:${what}`,
    providerID: '',
    state: 'pending',
    nativeState: `cloning (${what})`,
    transitioning: true,
    addresses: [],
    owner: { machineUid: identity.machineUid, cluster: identity.clusterName },
    hostname: identity.name,
    raw: task ? { task } : { cloning: identity.name },
  };
}

/** The failed clone of this machine, standing for the VM it never made: `failed`, for the kit to end the machine. */
function cloneFailed(
  task: MoRef,
  identity: Pick<MachineIdentity, 'machineUid' | 'clusterName' | 'name'>,
  fault: VimFault,
): CloudInstance {
  return {
    id: `clone:${task.value}`,
    providerID: '',
    state: 'failed',
    nativeState: 'clone failed',
    addresses: [],
    owner: { machineUid: identity.machineUid, cluster: identity.clusterName },
    hostname: identity.name,
    failureReason: 'CreateError',
    failureMessage:
      `clone task ${task.value} failed: ${fault.fault}: ${fault.message}; vCenter will not make this VM from this ` +
      'spec: fix the VSphereMachine template and delete the Machine (a MachineHealthCheck replaces it)',
    raw: { failedTask: task },
  };
}

/** A clone event older than this is not taken for one still running (its completion may be an event we miss). */
export const CLONE_EVENT_HORIZON_MS = 60 * 60_000;
export const CLONE_EVENTS = ['VmBeingClonedEvent', 'VmClonedEvent', 'VmCloneFailedEvent'];

/**
 * Whether vCenter is cloning a VM named `name` from the template: a VmBeingClonedEvent for that destination name
 * without a later VmClonedEvent or VmCloneFailedEvent (pure, over the template's clone events, oldest first).
 */
export function cloneInFlight(events: VimEvent[], name: string, now: Date): boolean {
  let inFlight = false;
  for (const e of events) {
    const recent = !e.createdTime || now.getTime() - Date.parse(e.createdTime) < CLONE_EVENT_HORIZON_MS;
    if (e.type === 'VmBeingClonedEvent' && e.destName === name) inFlight = recent;
    else if (
      (e.type === 'VmClonedEvent' && e.vmName === name) ||
      (e.type === 'VmCloneFailedEvent' && e.destName === name)
    )
      inFlight = false;
  }
  return inFlight;
}

/**
 * When a create may have started (the intent's lease start) and neither its task nor its VM was recorded: the
 * window between CloneVM_Task and the writes after it that a crash can fall into. (vCenter files VmClonedEvent
 * under the new VM, not the template, so a recorded VM must never be looked for this way.)
 */
function unrecordedCreateSince(im: VSphereMachine | undefined): Date | undefined {
  const intent = parseIntent(im?.metadata.annotations);
  if (!im || !intent?.startedAt || im.status?.taskRef || im.spec.providerID) return undefined;
  const t = Date.parse(intent.startedAt);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

/** The template a machine clones from, as prepare finds it (undefined when it cannot be found). */
async function templateOf(api: VSphereApi, im: VSphereMachine): Promise<MoRef | undefined> {
  const { template, datacenter } = im.spec;
  if (isUuid(template)) return api.findByUuid(template, { instanceUuid: true });
  return datacenter ? api.findByInventoryPath(inventoryPath(datacenter, 'vm', template)) : undefined;
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
      // A create that may have started but whose task was never recorded (a crash right after CloneVM_Task): on a
      // real vCenter the VM appears only when the clone ends, so the template's clone events tell.
      const since = unrecordedCreateSince(o.im);
      if (since && o.im) {
        const template = await templateOf(api, o.im);
        if (template) {
          const events = await api.queryEvents({
            entity: template,
            since: new Date(since.getTime() - 5 * 60_000),
            types: CLONE_EVENTS,
          });
          if (cloneInFlight(events, identity.name, new Date())) return [cloning(undefined, identity)];
        }
        return [];
      }
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
      // A clone that failed for good after its create handed it on: the machine fails (a deletion has nothing to
      // wait for). Any other failure made no VM, and the next create clones again.
      if (
        info.state === 'error' &&
        info.error &&
        isTerminalCloneFault(info.error.fault) &&
        !o.im?.metadata.deletionTimestamp
      )
        return [cloneFailed(task, identity, info.error)];
      return [];
    },
    async get(biosUuid) {
      const vm = await byUuid(biosUuid, false);
      return vm ? toCloudInstance(vm) : undefined;
    },
    async create(req, _key, identity) {
      const task = await api.cloneVM(req.template, req.folder, req.name, req.spec);
      const info = await follow(api, task, o.cloneWaitMs ?? CLONE_WAIT_MS);
      if (info.state === 'error')
        throw new CloneFailed(task.value, info.error ?? new VimFault('SystemError', `clone task ${task.value} failed`));
      if (info.state === 'success' && info.result) {
        const vm = await readVm(api, info.result);
        if (vm) return { ...toCloudInstance(vm), raw: { ...vm, cloneMode: req.cloneMode } };
      }
      return cloning(task, identity);
    },
    async delete(inst) {
      const vm = inst.raw as VmView | { task: MoRef } | { cloning: string } | { failedTask: MoRef } | undefined;
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
