// The kit's port over Azure Resource Manager: identity is the VM name (the AzureMachine's) in the cluster's
// resource group plus the `capi-fn-machine-uid` tag; the ownership marker is CAPZ's
// `sigs.k8s.io_cluster-api-provider-azure_cluster_<cluster>: owned`; ARM's PUT is idempotent by name. A create
// begins the NIC PUT and the VM PUT and returns at once (the operations ride on `raw` for the status); the state
// comes from `provisioningState` and the instance view's power state. One port per subscription/resource group.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { CloudInstance, CloudPort, InstanceState } from '../kit/port.ts';
import type { ArmApi, RecordedOperation, VirtualMachine } from './client.ts';
import { isArmNotFound } from './errors.ts';
import { CLUSTER_TAG_PREFIX, formatProviderID, IDENTITY_TAG, parseLocation, parseProviderID } from './names.ts';
import type { CreateRequest } from './request.ts';

/** What a CloudInstance carries for the Azure `observe` hook. */
export interface AzureRaw {
  vm: VirtualMachine;
  /** Operations this reconcile began and did not see finish. */
  operations?: RecordedOperation[];
}

function powerStateOf(vm: VirtualMachine): string | undefined {
  const s = vm.instanceView?.statuses?.find((x) => x.code?.startsWith('PowerState/'));
  return s?.code?.slice('PowerState/'.length);
}

/** `ProvisioningState/failed/<code>` of the instance view, with its message. */
function provisioningFailure(vm: VirtualMachine): { code: string; message: string } | undefined {
  const s = vm.instanceView?.statuses?.find((x) => x.code?.startsWith('ProvisioningState/failed'));
  if (!s) return undefined;
  return {
    code: s.code!.split('/')[2] ?? 'ProvisioningFailed',
    message: s.message ?? s.displayStatus ?? 'provisioning failed',
  };
}

/** CAPZ's provisioningState, refined by the power state: running only when Succeeded and powered on. */
export function stateOf(vm: VirtualMachine): { state: InstanceState; transitioning: boolean } {
  const prov = vm.provisioningState ?? 'Creating';
  const power = powerStateOf(vm);
  switch (prov) {
    case 'Creating':
    case 'Migrating':
      return { state: 'pending', transitioning: true };
    case 'Deleting':
      return { state: 'terminating', transitioning: true };
    case 'Failed':
    case 'Canceled':
      return { state: 'failed', transitioning: false };
    default: {
      // Succeeded or Updating.
      if (power === undefined || power === 'running') return { state: 'running', transitioning: prov === 'Updating' };
      if (power === 'starting') return { state: 'pending', transitioning: true };
      return { state: 'stopped', transitioning: power === 'stopping' || power === 'deallocating' };
    }
  }
}

export function toCloudInstance(
  vm: VirtualMachine,
  sub: string,
  rg: string,
  operations?: RecordedOperation[],
): CloudInstance {
  const name = vm.name!;
  const tags = vm.tags ?? {};
  const cluster = Object.keys(tags).find((k) => k.startsWith(CLUSTER_TAG_PREFIX) && tags[k] === 'owned');
  const { state, transitioning } = stateOf(vm);
  const failure = provisioningFailure(vm);
  const addresses: MachineAddress[] = [{ type: 'InternalDNS', address: name }];
  return {
    id: name,
    providerID: formatProviderID(sub, rg, name),
    state,
    nativeState: vm.provisioningState ?? 'Creating',
    ...(transitioning ? { transitioning: true } : {}),
    addresses,
    ...(vm.zones?.[0] ? { failureDomain: vm.zones[0] } : {}),
    owner: { cluster: cluster?.slice(CLUSTER_TAG_PREFIX.length), machineUid: tags[IDENTITY_TAG] },
    ...(vm.timeCreated ? { createdAt: new Date(vm.timeCreated).toISOString() } : {}),
    hostname: name,
    ...(vm.hardwareProfile?.vmSize ? { instanceType: vm.hardwareProfile.vmSize } : {}),
    ...(state === 'failed'
      ? {
          failureReason: 'CreateError',
          failureMessage: failure
            ? `Azure VM ${name} failed to provision: ${failure.code}: ${failure.message}`
            : `Azure VM ${name} is in provisioning state ${vm.provisioningState}`,
        }
      : {}),
    raw: { vm, ...(operations?.length ? { operations } : {}) } satisfies AzureRaw,
  };
}

async function getOrUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isArmNotFound(e)) return undefined;
    throw e;
  }
}

export function azurePort(api: ArmApi, location: string | undefined): CloudPort<CreateRequest> {
  const { sub, rg } = parseLocation(location);
  const where = () => {
    if (!sub || !rg)
      throw new Error(`no Azure subscription/resource group for this machine (location ${location ?? 'unset'})`);
    return { sub, rg };
  };
  return {
    async find(identity) {
      if (!sub || !rg) return [];
      const vm = await getOrUndefined(() => api.getVirtualMachine(sub, rg, identity.name));
      return vm ? [toCloudInstance(vm, sub, rg)] : [];
    },
    async get(name) {
      const w = where();
      const vm = await getOrUndefined(() => api.getVirtualMachine(w.sub, w.rg, name));
      return vm ? toCloudInstance(vm, w.sub, w.rg) : undefined;
    },
    async create(req) {
      // ARM PUT is idempotent by name: a repeat after a crash updates what the first one made.
      if (req.availabilitySet)
        await api.createAvailabilitySet(req.sub, req.rg, req.availabilitySet.name, req.availabilitySet.body);
      const operations: RecordedOperation[] = [];
      for (const nic of req.nics) {
        const op = await api.beginCreateNetworkInterface(req.sub, req.rg, nic.name, nic.body);
        if (op.status === 'running')
          operations.push({
            type: 'PUT',
            serviceName: 'networkinterface',
            resourceGroup: req.rg,
            name: nic.name,
            data: op.data,
          });
      }
      const op = await api.beginCreateVirtualMachine(req.sub, req.rg, req.vmName, req.vm);
      if (op.status === 'running')
        operations.push({
          type: 'PUT',
          serviceName: 'virtualmachine',
          resourceGroup: req.rg,
          name: req.vmName,
          data: op.data,
        });
      const vm: VirtualMachine = {
        ...req.vm,
        name: req.vmName,
        provisioningState: op.status === 'succeeded' ? 'Succeeded' : 'Creating',
      };
      return toCloudInstance(vm, req.sub, req.rg, operations);
    },
    async delete(inst) {
      // The instance says where it is (the orphan scan's port may be bound elsewhere).
      const at = parseProviderID(inst.providerID) ?? { ...where(), name: inst.id };
      const vm = (inst.raw as AzureRaw | undefined)?.vm;
      const vmRg = vm?.id ? (/\/resourceGroups\/([^/]+)\//i.exec(vm.id)?.[1] ?? at.rg) : at.rg;
      try {
        await api.beginDeleteVirtualMachine(at.sub, vmRg, at.name);
      } catch (e) {
        if (isArmNotFound(e)) return;
        throw e;
      }
    },
    async listOwned(scope) {
      if (!sub || !rg) return [];
      const all = await api.listVirtualMachines(sub, rg);
      return all
        .filter(
          (vm) =>
            vm.tags?.[IDENTITY_TAG] &&
            (!scope.clusterName || vm.tags?.[`${CLUSTER_TAG_PREFIX}${scope.clusterName}`] === 'owned'),
        )
        .map((vm) => toCloudInstance(vm, sub, rg));
    },
  };
}
