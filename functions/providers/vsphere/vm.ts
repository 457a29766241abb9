// A VM as the provider reads it (one RetrievePropertiesEx), and its provider-neutral state: CAPV's readiness is
// powered on with a BIOS UUID and at least one IP address that VMware Tools reports.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { CloudInstance, InstanceState } from '../kit/port.ts';
import type { ObjectProps } from './client.ts';
import { CLUSTER_KEY, formatProviderID, MACHINE_UID_KEY } from './names.ts';
import { extraConfigValue, type Hardware, isEthernet, METADATA_KEY } from './request.ts';
import { arr, bool, type MoRef, type Node, num, ref, text } from './soap.ts';

export const VM_PROPS = [
  'name',
  'parent',
  'config.uuid',
  'config.instanceUuid',
  'config.template',
  'config.createDate',
  'config.hardware.numCPU',
  'config.hardware.numCoresPerSocket',
  'config.hardware.memoryMB',
  'config.hardware.device',
  'config.extraConfig',
  'runtime.powerState',
  'guest.net',
  'guest.ipAddress',
];

export interface VmNic {
  macAddr: string;
  networkName?: string | undefined;
  connected?: boolean | undefined;
  ipAddrs: string[];
}

export interface VmView {
  ref: MoRef;
  name: string;
  folder?: MoRef | undefined;
  biosUuid: string;
  instanceUuid: string;
  template: boolean;
  powerState: string;
  hardware: Partial<Hardware>;
  machineUid?: string | undefined;
  cluster?: string | undefined;
  /** `guestinfo.metadata` as written (base64), when it is. */
  metadata?: string | undefined;
  createdAt?: string | undefined;
  network: VmNic[];
  /** Every IP the guest reports, NIC-matched first (CAPV matches `guest.net` to the VM's NICs by MAC). */
  ips: string[];
}

export function vmView(o: ObjectProps): VmView {
  const p = o.props;
  const devices = arr((p['config.hardware.device'] as Node | undefined)?.VirtualDevice);
  const guestNet = arr((p['guest.net'] as Node | undefined)?.GuestNicInfo);
  const network: VmNic[] = devices.filter(isEthernet).map((d) => {
    const mac = (text(d.macAddress) ?? '').toLowerCase();
    const g = guestNet.find((n) => (text(n.macAddress) ?? '').toLowerCase() === mac && mac !== '');
    return {
      macAddr: mac,
      networkName: text(g?.network) ?? text((d.backing as Node | undefined)?.deviceName),
      connected: bool(g?.connected) ?? bool((d.connectable as Node | undefined)?.connected),
      ipAddrs: arr(g?.ipAddress)
        .map((x) => text(x) ?? '')
        .filter(Boolean),
    };
  });
  const ips = network.flatMap((n) => n.ipAddrs);
  // vcsim 0.24 keeps the guest.net entry of the template's NIC, so no MAC matches; its guest.ipAddress is all there is.
  const primary = text(p['guest.ipAddress']);
  if (!ips.length && primary) ips.push(primary);
  const created = text(p['config.createDate']);
  return {
    ref: o.obj,
    name: text(p.name) ?? o.obj.value,
    folder: ref(p.parent),
    biosUuid: (text(p['config.uuid']) ?? '').toLowerCase(),
    instanceUuid: (text(p['config.instanceUuid']) ?? '').toLowerCase(),
    template: bool(p['config.template']) ?? false,
    powerState: text(p['runtime.powerState']) ?? 'unknown',
    hardware: {
      numCPUs: num(p['config.hardware.numCPU']),
      numCoresPerSocket: num(p['config.hardware.numCoresPerSocket']),
      memoryMiB: num(p['config.hardware.memoryMB']),
    },
    machineUid: extraConfigValue(p['config.extraConfig'], MACHINE_UID_KEY),
    cluster: extraConfigValue(p['config.extraConfig'], CLUSTER_KEY),
    metadata: extraConfigValue(p['config.extraConfig'], METADATA_KEY),
    createdAt: created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : undefined,
    network,
    ips: [...new Set(ips)],
  };
}

/** CAPV: every VM IP as ExternalIP, plus the VM name as InternalDNS. */
export function addressesOf(vm: Pick<VmView, 'ips' | 'name'>): MachineAddress[] {
  return [
    ...vm.ips.map((address) => ({ type: 'ExternalIP' as const, address })),
    { type: 'InternalDNS', address: vm.name },
  ];
}

/**
 * The neutral state: powered on with an address is running; powered off (a fresh clone, or one someone stopped)
 * is pending, because CAPV powers a powered-off VM on at every pass; suspended is stopped; a template is failed.
 */
export function stateOf(vm: VmView): { state: InstanceState; native: string; failure?: string } {
  if (vm.template)
    return { state: 'failed', native: 'template', failure: `VM ${vm.name} is a template, not a virtual machine` };
  switch (vm.powerState) {
    case 'poweredOn':
      return vm.ips.length
        ? { state: 'running', native: 'poweredOn' }
        : { state: 'pending', native: 'poweredOn, waiting for an IP address from VMware Tools' };
    case 'poweredOff':
      return { state: 'pending', native: 'poweredOff' };
    case 'suspended':
      return { state: 'stopped', native: 'suspended' };
    default:
      return { state: 'pending', native: vm.powerState };
  }
}

export function toCloudInstance(vm: VmView): CloudInstance {
  const s = stateOf(vm);
  return {
    id: vm.biosUuid,
    providerID: formatProviderID(vm.biosUuid),
    state: s.state,
    nativeState: s.native,
    ...(s.state === 'pending' ? { transitioning: true } : {}),
    addresses: addressesOf(vm),
    owner: { cluster: vm.cluster, machineUid: vm.machineUid },
    ...(vm.createdAt ? { createdAt: vm.createdAt } : {}),
    hostname: vm.name,
    ...(vm.hardware.numCPUs ? { instanceType: `${vm.hardware.numCPUs}cpu-${vm.hardware.memoryMiB ?? 0}mib` } : {}),
    ...(s.failure ? { failureMessage: s.failure } : {}),
    raw: vm,
  };
}
