// VSphereMachine on the kit (reference §2): the template, folder, pool, datastore and port groups resolved by
// inventory path before the clone; CloneVM_Task with the Machine UID as instance UUID; then, one step per pass as
// CAPV does (each task ends the pass, its reference kept in status.taskRef and read back through TaskInfo on the
// next invocation): reconfigure CPU and memory when they differ from the spec, power on, wait for an IP address.
// Intent, lease, lookup, ownership, finalizer, conditions and deletion (power off, Destroy_Task, gone) are the kit's.

import { VSphereMachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { VSphereCluster, VSphereMachine } from '../../../shared/api/providers/vsphere.ts';
import { deleteCondition, falseCondition, setCondition } from '../../../shared/conditions/conditions.ts';
import type { Logger } from '../../../shared/runtime/logger.ts';
import type { ConditionValue, InfraMachineDefinition, InfraMachineStatus, Prepared } from '../kit/definition.ts';
import type { CloudInstance } from '../kit/port.ts';
import type { VSphereApi } from './client.ts';
import { connectVSphere } from './credentials.ts';
import { classifyVSphereError } from './errors.ts';
import { inventoryPath, isUuid, parseProviderID, resourcePoolPath } from './names.ts';
import { taskRefOf, vspherePort } from './port.ts';
import {
  buildCloneRequest,
  type CloneRequest,
  datastoreForPolicy,
  type Hardware,
  hardwareOf,
  hardwareReconfig,
  metadataOf,
  metadataReconfig,
  type ResolvedNetwork,
  specProblems,
  templateDiskGiB,
} from './request.ts';
import { arr, type MoRef, type Node, num, ref, type Typed, text, VimFault } from './soap.ts';
import type { VmView } from './vm.ts';
import { ensureVSphereVM, syncVSphereVM, vsphereVMFor, vsphereVMStatus } from './vspherevm.ts';
import { placementOf } from './zones.ts';

export const VSPHERE_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereMachine' };
export const VSPHERE_FIELD_MANAGER = 'capi-fn-vsphere-provider';
/** Says that a linked clone ignored `diskGiB` (not summarised into Ready: the machine works, with the template's disk). */
export const DISK_RESIZED = 'DiskResized';
/** The last vCenter task of this machine failed (CAPV's TaskFailure); cleared when a later one succeeds. */
export const TASK_SUCCEEDED = 'TaskSucceeded';
/** CAPV retries a failed task's step after a minute. */
export const TASK_RETRY_MS = 60_000;

/** The snapshot a linked clone uses: the named one, else the template's current snapshot. */
export function snapshotOf(snapshot: unknown, name: string | undefined): MoRef | undefined {
  const info = snapshot as Node | undefined;
  if (!info) return undefined;
  if (!name) return ref(info.currentSnapshot);
  const walk = (nodes: Node[]): MoRef | undefined => {
    for (const n of nodes) {
      if (text(n.name) === name) return ref(n.snapshot);
      const inner = walk(arr(n.childSnapshotList));
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(arr(info.rootSnapshotList));
}

/** The step a VM needs next, decided from what it is and what the spec wants (pure). */
export type NextStep = { kind: 'reconfigure'; spec: Typed } | { kind: 'powerOn' } | undefined;

/**
 * Before power-on, one reconfigure brings CPU, memory and `guestinfo.metadata` (which names the NICs' MACs, known
 * only once the clone exists) to the spec; then power on.
 */
export function nextStep(
  vm: Pick<VmView, 'powerState' | 'hardware' | 'template' | 'metadata'>,
  want: Hardware,
  metadata?: string,
): NextStep {
  if (vm.template || vm.powerState !== 'poweredOff') return undefined;
  const hw = hardwareReconfig(vm.hardware, want);
  const md = metadata === undefined ? undefined : metadataReconfig(vm.metadata, metadata);
  if (!hw && !md) return { kind: 'powerOn' };
  return { kind: 'reconfigure', spec: { ...hw, ...md, xsi: 'VirtualMachineConfigSpec' } };
}

type Status = InfraMachineStatus & VSphereMachine['status'];

function clearTask(status: Status): void {
  delete status.taskRef;
  delete status.taskKind;
}

/** Reads the recorded task: true while it is still running (the pass ends there). */
async function followRecorded(api: VSphereApi, status: Status, now: Date): Promise<boolean> {
  const task = taskRefOf(status.taskRef);
  if (!task) return false;
  let info: Awaited<ReturnType<VSphereApi['taskInfo']>>;
  try {
    info = await api.taskInfo(task);
  } catch (e) {
    if (e instanceof VimFault && e.fault === 'ManagedObjectNotFound') {
      clearTask(status);
      return false;
    }
    throw e;
  }
  if (info.state === 'queued' || info.state === 'running') return true;
  const kind = status.taskKind ?? 'task';
  clearTask(status);
  // "Already powered on" is the state we wanted (CAPV counts it as success).
  if (info.state === 'error' && info.error?.fault !== 'InvalidPowerState') {
    status.retryAfter = new Date(now.getTime() + TASK_RETRY_MS).toISOString();
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        TASK_SUCCEEDED,
        'TaskFailure',
        'Warning',
        `${kind} task ${task.value} failed: ${info.error?.fault ?? 'error'}: ${info.error?.message ?? ''}`,
      ),
      now,
    );
    return false;
  }
  delete status.retryAfter;
  status.conditions = deleteCondition(status.conditions, TASK_SUCCEEDED);
  return false;
}

async function find(api: VSphereApi, path: string): Promise<MoRef | undefined> {
  return api.findByInventoryPath(path);
}

/** The port groups of the spec's devices, with what a distributed one needs; the index of the first missing one. */
async function resolveNetworks(
  api: VSphereApi,
  datacenter: string,
  spec: VSphereMachine['spec'],
): Promise<ResolvedNetwork[] | { missing: number }> {
  const out: ResolvedNetwork[] = [];
  const devices = spec.network?.devices ?? [];
  for (const [i, d] of devices.entries()) {
    const r = await find(api, inventoryPath(datacenter, 'network', d.networkName));
    if (!r) return { missing: i };
    if (r.type !== 'DistributedVirtualPortgroup') {
      out.push({ name: d.networkName, ref: r });
      continue;
    }
    const [pg] = await api.retrieve([r], { DistributedVirtualPortgroup: ['key', 'config.distributedVirtualSwitch'] });
    const dvs = ref(pg?.props['config.distributedVirtualSwitch']);
    const [sw] = dvs ? await api.retrieve([dvs], { [dvs.type]: ['uuid'] }) : [];
    out.push({
      name: d.networkName,
      ref: r,
      distributed: { switchUuid: text(sw?.props.uuid) ?? '', portgroupKey: text(pg?.props.key) ?? r.value },
    });
  }
  return out;
}

type PolicyPlacement =
  | { ok: true; profileId?: string | undefined; datastore?: MoRef | undefined }
  | { ok: false; reason: string; message: string };

/**
 * spec.storagePolicyName, as CAPV resolves it: the PBM profile by name, then PbmCheckRequirements over the named
 * datastore, else over the datastores of the compute cluster behind the resource pool (or the template's).
 */
async function storagePolicy(
  api: VSphereApi,
  spec: VSphereMachine['spec'],
  o: { datastore?: MoRef | undefined; pool?: MoRef | undefined; template: MoRef; machineUid: string },
): Promise<PolicyPlacement> {
  const name = spec.storagePolicyName;
  if (!name) return { ok: true };
  const profileId = await api.storageProfileId(name);
  if (!profileId)
    return {
      ok: false,
      reason: 'StoragePolicyNotFound',
      message: `spec.storagePolicyName "${name}" is not a storage policy of vCenter ${api.server}`,
    };
  let hubs: MoRef[];
  if (o.datastore) hubs = [o.datastore];
  else {
    const pool =
      o.pool ?? ref((await api.retrieve([o.template], { VirtualMachine: ['resourcePool'] }))[0]?.props.resourcePool);
    const owner = pool ? ref((await api.retrieve([pool], { ResourcePool: ['owner'] }))[0]?.props.owner) : undefined;
    const [c] = owner ? await api.retrieve([owner], { [owner.type]: ['datastore'] }) : [];
    hubs = arr((c?.props.datastore as Node | undefined)?.ManagedObjectReference)
      .map(ref)
      .filter((r): r is MoRef => Boolean(r));
  }
  const compatible = await api.compatibleDatastores(profileId, hubs);
  const datastore = datastoreForPolicy(compatible, { named: o.datastore, machineUid: o.machineUid });
  if (!datastore)
    return {
      ok: false,
      reason: 'NoCompatibleDatastore',
      message: o.datastore
        ? `spec.datastore "${spec.datastore}" does not meet storage policy "${name}"; name a compatible datastore or remove spec.datastore`
        : `no datastore of the compute cluster meets storage policy "${name}" (${hubs.length} checked); change spec.storagePolicyName`,
    };
  return { ok: true, profileId, datastore };
}

const notOk = (
  reason: string,
  message: string,
  extra: { conditions?: Record<string, ConditionValue> } = {},
): Prepared<CloneRequest> => ({ ok: false, reason, message, ...extra });

export const vsphereMachineDefinition: InfraMachineDefinition<
  VSphereApi,
  CloneRequest,
  VSphereMachine,
  VSphereCluster
> = {
  name: 'vsphere',
  machine: VSPHERE_MACHINE,
  clusterKind: 'VSphereCluster',
  finalizer: VSphereMachineFinalizer,
  fieldManager: VSPHERE_FIELD_MANAGER,
  cloudName: 'vCenter',
  instanceNoun: 'vSphere VM',
  recordedIdField: 'spec.providerID',
  // VSphereMachine has no instanceState; the power state is status.vmstate (as on CAPV's VSphereVM).
  reportsInstanceState: false,
  deletingState: 'poweringOff',
  // A clone runs for minutes on a real vCenter; its task is recorded right after the call, and until then the
  // lease keeps a second invocation from cloning again.
  timings: { launchLeaseMs: 120_000 },
  // vCenter's own credentials: the identity Secret and the installer's vsphere-creds, in the cluster.
  reads: [
    { group: '', kinds: ['Secret'], namespaces: ['kube-system'], names: ['vsphere-creds'], verbs: ['get'] },
    // A Machine's failure domain names a VSphereDeploymentZone, which names a VSphereFailureDomain.
    {
      group: 'infrastructure.cluster.x-k8s.io',
      kinds: ['VSphereDeploymentZone', 'VSphereFailureDomain', 'VSphereVM'],
      verbs: ['get'],
    },
  ],
  // The VSphereVM record of each VSphereMachine (vspherevm.ts).
  writes: [
    { group: 'infrastructure.cluster.x-k8s.io', kinds: ['VSphereVM'], verbs: ['create', 'update'] },
    { group: 'infrastructure.cluster.x-k8s.io', kinds: ['VSphereVM'], subresource: 'status', verbs: ['update'] },
  ],
  port: (api, _location, im) => vspherePort(api, { im }),
  classify: classifyVSphereError,
  locate: ({ im, intent }) => im.spec.datacenter || intent?.location,
  recordedId: (vm) => parseProviderID(vm.spec.providerID),
  recordIdentity(spec, inst) {
    // A clone still running has no BIOS UUID yet: the task in the status stands for it until then.
    if (inst.providerID) spec.providerID = inst.providerID;
  },
  connect: (api, s) =>
    connectVSphere(api, s.kube, {
      server: s.im.spec.server,
      cluster: s.infraCluster,
      namespace: s.im.metadata.namespace!,
    }),

  async prepare(s): Promise<Prepared<CloneRequest>> {
    const { im, client: api } = s;
    let spec = im.spec;
    // A failure domain (a VSphereDeploymentZone) says where the VM goes, over the template's placement (CAPV).
    const zone = s.machine.spec.failureDomain;
    if (zone) {
      const p = await placementOf(s.kube, zone);
      if (!p.ok) return notOk('FailureDomainNotFound', p.message);
      spec = {
        ...spec,
        datacenter: p.datacenter,
        resourcePool: p.resourcePool ?? spec.resourcePool,
        folder: p.folder ?? spec.folder,
        datastore: p.datastore ?? spec.datastore,
        ...(spec.network
          ? {
              network: {
                ...spec.network,
                devices: spec.network.devices.map((d, i) => ({ ...d, networkName: p.networks[i] ?? d.networkName })),
              },
            }
          : {}),
      };
    }
    const problems = specProblems(spec, 'spec');
    if (problems.length)
      return notOk('InvalidSpec', problems.map((p) => `${p.field}: ${p.rule} (${p.fix})`).join('; '));
    const dc = spec.datacenter;
    if (!dc) return notOk('DatacenterNotFound', 'spec.datacenter is not set; name the vSphere datacenter');
    const template = isUuid(spec.template)
      ? await api.findByUuid(spec.template, { instanceUuid: true })
      : await find(api, inventoryPath(dc, 'vm', spec.template));
    // The datacenter is looked up only to say which of the two is missing.
    if (!template && !(await find(api, dc)))
      return notOk('DatacenterNotFound', `spec.datacenter "${dc}" is not a datacenter of vCenter ${api.server}`);
    if (!template)
      return notOk('TemplateNotFound', `spec.template "${spec.template}" is not a VM or template in datacenter ${dc}`);
    const folder = await find(api, inventoryPath(dc, 'vm', spec.folder));
    if (!folder) return notOk('FolderNotFound', `spec.folder "${spec.folder}" is not a VM folder in datacenter ${dc}`);
    const pool = spec.resourcePool ? await find(api, resourcePoolPath(dc, spec.resourcePool)) : undefined;
    if (spec.resourcePool && !pool)
      return notOk(
        'ResourcePoolNotFound',
        `spec.resourcePool "${spec.resourcePool}" is not a resource pool in datacenter ${dc}`,
      );
    const datastore = spec.datastore ? await find(api, inventoryPath(dc, 'datastore', spec.datastore)) : undefined;
    if (spec.datastore && !datastore)
      return notOk('DatastoreNotFound', `spec.datastore "${spec.datastore}" is not a datastore in datacenter ${dc}`);
    const policy = await storagePolicy(api, spec, { datastore, pool, template, machineUid: s.machineUid });
    if (!policy.ok) return notOk(policy.reason, policy.message);
    const networks = await resolveNetworks(api, dc, spec);
    if ('missing' in networks) {
      const i = networks.missing;
      return notOk(
        'NetworkNotFound',
        `spec.network.devices[${i}].networkName "${spec.network!.devices[i]!.networkName}" is not a network in datacenter ${dc}`,
      );
    }
    const objs = pool ? [template, pool] : [template];
    const props = await api.retrieve(objs, {
      VirtualMachine: ['config.hardware.device', 'snapshot', 'resourcePool'],
      ResourcePool: ['owner'],
    });
    const t = props.find((p) => p.obj.value === template.value)?.props ?? {};
    const placePool = pool ?? ref(t.resourcePool);
    if (!placePool)
      return notOk(
        'ResourcePoolNotFound',
        `spec.resourcePool is not set and template ${spec.template} is a template without a resource pool; set spec.resourcePool`,
      );
    // What the pool's hosts can give one VM (vCenter would refuse to power on a larger one).
    const owner = ref(props.find((p) => p.obj.value === placePool.value)?.props.owner);
    const hw = hardwareOf(spec);
    if (owner) {
      const [c] = await api.retrieve([owner], { [owner.type]: ['summary'] });
      const summary = c?.props.summary as Node | undefined;
      // Lenient on purpose (the summary sums every host; a VM runs on one): memory may be overcommitted.
      const threads = num(summary?.numCpuThreads);
      if (threads && hw.numCPUs > threads)
        return notOk(
          'InsufficientHostCapacity',
          `spec.numCPUs ${hw.numCPUs} is more than the ${threads} logical CPUs of ${owner.value} behind the resource pool`,
        );
    }
    const devices = arr((t['config.hardware.device'] as Node | undefined)?.VirtualDevice);
    const wantsLinked = spec.cloneMode !== 'fullClone';
    const snapshot = wantsLinked ? snapshotOf(t.snapshot, spec.snapshot) : undefined;
    if (spec.cloneMode === 'linkedClone' && spec.snapshot && !snapshot)
      return notOk('SnapshotNotFound', `spec.snapshot "${spec.snapshot}" is not a snapshot of ${spec.template}`);
    const conditions: Record<string, ConditionValue> = {};
    if (snapshot && spec.diskGiB) {
      conditions[DISK_RESIZED] = {
        status: 'False',
        reason: 'LinkedCloneIgnoresDiskGiB',
        severity: 'Warning',
        message: `spec.diskGiB ${spec.diskGiB} is ignored: a linked clone keeps the disk size of the template's snapshot; set cloneMode: fullClone to grow the disk`,
      };
    }
    const have = templateDiskGiB(devices);
    if (!snapshot && spec.diskGiB && have !== undefined && spec.diskGiB < have)
      return notOk('InvalidSpec', `spec.diskGiB ${spec.diskGiB} is smaller than the template's ${have} GiB disk`);
    const request = buildCloneRequest({
      name: im.metadata.name!,
      template,
      spec,
      placement: {
        folder,
        pool: placePool,
        datastore: policy.datastore ?? datastore,
        snapshot,
        templateDevices: devices,
        networks,
        storageProfileId: policy.profileId,
      },
      bootstrap: s.bootstrap,
      machineUid: s.machineUid,
      clusterName: s.clusterName ?? s.machine.spec.clusterName,
    });
    // The VSphereVM record before the clone, as CAPV creates its VSphereVM before the VM.
    await ensureVSphereVM(
      s.kube,
      vsphereVMFor(im, { spec, machine: s.machine, clusterName: s.clusterName }),
      VSPHERE_FIELD_MANAGER,
    );
    return { ok: true, request, conditions };
  },

  async observe(inst, s, status: Status) {
    await advance(inst, s, status);
    // The VSphereVM record follows: the VM's BIOS UUID in its spec, the VM in its status.
    const raw = inst.raw as VmView | undefined;
    const vm = raw && 'ref' in raw ? raw : undefined;
    await syncVSphereVM(
      s.kube,
      vsphereVMFor(s.im, {
        spec: s.im.spec,
        machine: s.machine,
        clusterName: s.clusterName,
        ...(vm?.biosUuid ? { biosUUID: vm.biosUuid } : {}),
      }),
      vsphereVMStatus(status, vm),
      VSPHERE_FIELD_MANAGER,
    );
  },
};

/**
 * One step of a VM after its clone (CAPV's per-pass steps, each task ending the pass): the clone task's end, the
 * recorded task's outcome, then reconfigure or power on; the status says what is in flight.
 */
async function advance(
  inst: CloudInstance,
  s: { client: VSphereApi; im: VSphereMachine; log: Logger; now: Date },
  status: Status,
): Promise<void> {
  const raw = inst.raw as
    | (VmView & { cloneMode?: string })
    | { task: MoRef }
    | { cloning: string }
    | { failedTask: MoRef }
    | undefined;
  if (!raw) return;
  if ('failedTask' in raw) {
    // The clone failed for good (port.ts): nothing more to follow.
    status.vmstate = 'error';
    clearTask(status);
    return;
  }
  if ('cloning' in raw) {
    // A clone found by its events, not its task: wait for the VM it makes.
    status.vmstate = 'cloning';
    return;
  }
  if ('task' in raw) {
    status.vmstate = 'cloning';
    status.taskRef = raw.task.value;
    status.taskKind = 'clone';
    return;
  }
  status.vmstate = raw.powerState;
  status.vmRef = raw.ref.value;
  status.network = raw.network.map((n) => ({
    macAddr: n.macAddr,
    ...(n.networkName ? { networkName: n.networkName } : {}),
    ...(n.connected !== undefined ? { connected: n.connected } : {}),
    ...(n.ipAddrs.length ? { ipAddrs: n.ipAddrs } : {}),
  }));
  if (raw.cloneMode === 'linkedClone' || raw.cloneMode === 'fullClone') status.cloneMode = raw.cloneMode;
  // The clone task ended with this VM: it stands for itself from now on.
  if (status.taskKind === 'clone') clearTask(status);
  if (await followRecorded(s.client, status, s.now)) return;
  if (status.retryAfter && Date.parse(status.retryAfter) > s.now.getTime()) return;
  const step = nextStep(
    raw,
    hardwareOf(s.im.spec),
    metadataOf(
      raw.name,
      s.im.spec,
      raw.network.map((n) => n.macAddr),
    ),
  );
  if (!step) return;
  // vcsim's clone ignores CPU and memory; a real vCenter's may differ too: reconfigure before powering on.
  const task =
    step.kind === 'reconfigure' ? await s.client.reconfigVM(raw.ref, step.spec) : await s.client.powerOnVM(raw.ref);
  s.log.info({ vm: raw.name, task: task.value, step: step.kind }, 'vCenter task started');
  status.taskRef = task.value;
  status.taskKind = step.kind;
}
