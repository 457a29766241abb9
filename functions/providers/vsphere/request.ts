// The VSphereMachine spec → CloneVM_Task's VirtualMachineCloneSpec, as CAPV's clone.go builds it (reference §2.4),
// with every inventory reference already resolved (pure: no I/O). Element order follows the vim25 WSDL.
import type { VSphereMachineSpec } from '../../../shared/api/providers/vsphere.ts';
import type { BootstrapData } from '../kit/definition.ts';
import { CLUSTER_KEY, MACHINE_UID_KEY } from './names.ts';
import { arr, type MoRef, type Node, num, type Typed, text, xsd, xsiType } from './soap-values.ts';

/** CAPV's defaults: at least 2 vCPUs, cores per socket = vCPUs, 2048 MiB. */
export const DEFAULT_CPUS = 2;
export const DEFAULT_MEMORY_MIB = 2048;

export interface Hardware {
  numCPUs: number;
  numCoresPerSocket: number;
  memoryMiB: number;
}

export function hardwareOf(spec: Pick<VSphereMachineSpec, 'numCPUs' | 'numCoresPerSocket' | 'memoryMiB'>): Hardware {
  const numCPUs = Math.max(spec.numCPUs ?? DEFAULT_CPUS, DEFAULT_CPUS);
  return {
    numCPUs,
    numCoresPerSocket: spec.numCoresPerSocket || numCPUs,
    memoryMiB: spec.memoryMiB || DEFAULT_MEMORY_MIB,
  };
}

/** A network a device attaches to: a standard port group, or a distributed one (needs its switch's UUID). */
export interface ResolvedNetwork {
  name: string;
  ref: MoRef;
  distributed?: { switchUuid: string; portgroupKey: string } | undefined;
}

export interface ResolvedPlacement {
  folder: MoRef;
  pool?: MoRef | undefined;
  datastore?: MoRef | undefined;
  /** The snapshot a linked clone hangs off; absent means a full clone. */
  snapshot?: MoRef | undefined;
  /** The storage policy's PBM profile ID (spec.storagePolicyName), set on the VM's home and disks. */
  storageProfileId?: string | undefined;
  /** The template's devices (`config.hardware.device`): NICs to replace, the first disk to grow. */
  templateDevices: Node[];
  networks: ResolvedNetwork[];
}

export interface CloneRequest {
  template: MoRef;
  folder: MoRef;
  name: string;
  spec: Typed;
  hardware: Hardware;
  cloneMode: 'linkedClone' | 'fullClone';
}

const ETHERNET = new Set([
  'VirtualE1000',
  'VirtualE1000e',
  'VirtualPCNet32',
  'VirtualVmxnet',
  'VirtualVmxnet2',
  'VirtualVmxnet3',
  'VirtualVmxnet3Vrdma',
  'VirtualSriovEthernetCard',
]);

export function isEthernet(d: Node): boolean {
  return ETHERNET.has(xsiType(d) ?? '');
}

export function isDisk(d: Node): boolean {
  return xsiType(d) === 'VirtualDisk';
}

/**
 * Bootstrap data as CAPV writes it: the value base64-decoded for as long as it decodes, then encoded once;
 * Ignition under guestinfo.ignition.config.data, cloud-config under guestinfo.userdata.
 */
export function bootstrapKeys(b: Pick<BootstrapData, 'value' | 'format'>): Array<[string, string]> {
  let raw = b.value;
  for (let i = 0; i < 8; i++) {
    const s = raw.toString('utf8').trim();
    if (!s || !/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) break;
    const decoded = Buffer.from(s, 'base64');
    if (decoded.toString('base64') !== s) break;
    raw = decoded;
  }
  const data = raw.toString('base64');
  return b.format === 'ignition' || b.format === ''
    ? [
        ['guestinfo.ignition.config.data', data],
        ['guestinfo.ignition.config.data.encoding', 'base64'],
      ]
    : [
        ['guestinfo.userdata', data],
        ['guestinfo.userdata.encoding', 'base64'],
      ];
}

function prefixToMask(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/**
 * Static addresses for RHCOS (OpenShift's vSphere static IP support): afterburn's initrd network arguments
 * (`ip=<ip>::<gateway>:<netmask>:::none nameserver=<dns>`), one `ip=` per IPv4 address of every device.
 */
export function staticNetworkKargs(spec: Pick<VSphereMachineSpec, 'network'>): string | undefined {
  const parts: string[] = [];
  for (const d of spec.network?.devices ?? []) {
    for (const cidr of d.ipAddrs ?? []) {
      const [ip, prefix] = cidr.split('/');
      if (!ip || ip.includes(':')) continue;
      parts.push(`ip=${ip}::${d.gateway4 ?? ''}:${prefixToMask(Number(prefix ?? 32))}:::none`);
    }
    for (const ns of d.nameservers ?? []) parts.push(`nameserver=${ns}`);
  }
  return parts.length ? [...new Set(parts)].join(' ') : undefined;
}

const q = (v: string) => JSON.stringify(v);

/**
 * The cloud-init metadata CAPV writes to `guestinfo.metadata` (its metadataFormat): the VM's name as instance and
 * host name, and one netplan ethernet per `network.devices[]`, matched by the MAC vCenter gave the NIC (so it is
 * written after the clone, before power-on). RHCOS reads Ignition and afterburn's kargs instead; other images read
 * this (pure).
 */
export function metadataOf(name: string, spec: Pick<VSphereMachineSpec, 'network'>, macs: string[]): string {
  const devices = spec.network?.devices ?? [];
  const v4 = devices.some((d) => d.dhcp4 || d.ipAddrs?.some((a) => !a.includes(':')));
  const v6 = devices.some((d) => d.dhcp6 || d.ipAddrs?.some((a) => a.includes(':')));
  const lines = [
    `instance-id: ${q(name)}`,
    `local-hostname: ${q(name)}`,
    'wait-on-network:',
    `  ipv4: ${v4}`,
    `  ipv6: ${v6}`,
    'network:',
    '  version: 2',
    '  ethernets:',
  ];
  devices.forEach((d, i) => {
    lines.push(`    id${i}:`, '      match:', `        macaddress: ${q(d.macAddr || macs[i] || '')}`);
    lines.push(`      set-name: ${q(d.deviceName || `eth${i}`)}`, '      wakeonlan: true');
    if (d.dhcp4 || d.dhcp6) lines.push(`      dhcp4: ${Boolean(d.dhcp4)}`, `      dhcp6: ${Boolean(d.dhcp6)}`);
    if (d.ipAddrs?.length) lines.push('      addresses:', ...d.ipAddrs.map((a) => `      - ${q(a)}`));
    if (d.gateway4) lines.push(`      gateway4: ${q(d.gateway4)}`);
    if (d.gateway6) lines.push(`      gateway6: ${q(d.gateway6)}`);
    if (d.mtu) lines.push(`      mtu: ${d.mtu}`);
    if (d.nameservers?.length || d.searchDomains?.length) {
      lines.push('      nameservers:');
      if (d.nameservers?.length) lines.push('        addresses:', ...d.nameservers.map((n) => `        - ${q(n)}`));
      if (d.searchDomains?.length) lines.push('        search:', ...d.searchDomains.map((n) => `        - ${q(n)}`));
    }
  });
  return `${lines.join('\n')}\n`;
}

export const METADATA_KEY = 'guestinfo.metadata';

/** The reconfigure that writes the metadata when the VM does not carry it yet (base64, as CAPV). */
export function metadataReconfig(have: string | undefined, metadata: string): Typed | undefined {
  const data = Buffer.from(metadata).toString('base64');
  if (have === data) return undefined;
  return {
    xsi: 'VirtualMachineConfigSpec',
    extraConfig: [option(METADATA_KEY, data), option(`${METADATA_KEY}.encoding`, 'base64')],
  };
}

function option(key: string, value: string): Typed {
  return { xsi: 'OptionValue', key, value: xsd('string', value) };
}

function nicBacking(n: ResolvedNetwork): Typed {
  if (n.distributed) {
    return {
      xsi: 'VirtualEthernetCardDistributedVirtualPortBackingInfo',
      port: { switchUuid: n.distributed.switchUuid, portgroupKey: n.distributed.portgroupKey },
    };
  }
  return { xsi: 'VirtualEthernetCardNetworkBackingInfo', deviceName: n.name, useAutoDetect: false, network: n.ref };
}

/** The device changes of a clone: template NICs out, one vmxnet3 per device in, the first disk grown, PCI devices. */
export function deviceChanges(spec: VSphereMachineSpec, p: ResolvedPlacement, linked: boolean): Typed[] {
  const out: Typed[] = [];
  for (const d of p.templateDevices.filter(isEthernet)) {
    out.push({ xsi: 'VirtualDeviceConfigSpec', operation: 'remove', device: d });
  }
  (spec.network?.devices ?? []).forEach((dev, i) => {
    const mac = dev.macAddr;
    out.push({
      xsi: 'VirtualDeviceConfigSpec',
      operation: 'add',
      device: {
        xsi: 'VirtualVmxnet3',
        key: -100 - i,
        backing: nicBacking(p.networks[i]!),
        connectable: { startConnected: true, allowGuestControl: true, connected: true },
        addressType: mac ? 'manual' : 'generated',
        ...(mac ? { macAddress: mac } : {}),
      },
    });
  });
  // A linked clone shares the snapshot's disk: it cannot be resized (the condition says so).
  const disk = p.templateDevices.find(isDisk);
  if (!linked && disk && spec.diskGiB) {
    const kb = spec.diskGiB * 1024 * 1024;
    const edited: Node = {};
    for (const [k, v] of Object.entries(disk)) {
      if (k === 'capacityInKB') edited[k] = String(kb);
      else if (k === 'capacityInBytes') edited[k] = String(kb * 1024);
      else edited[k] = v;
    }
    if (!('capacityInKB' in edited)) edited.capacityInKB = String(kb);
    out.push({ xsi: 'VirtualDeviceConfigSpec', operation: 'edit', device: edited });
  }
  (spec.pciDevices ?? []).forEach((pci, i) => {
    const backing: Typed = pci.vGPUProfile
      ? { xsi: 'VirtualPCIPassthroughVmiopBackingInfo', vgpu: pci.vGPUProfile }
      : {
          xsi: 'VirtualPCIPassthroughDynamicBackingInfo',
          deviceName: '',
          useAutoDetect: false,
          allowedDevice: [{ vendorId: pci.vendorId, deviceId: pci.deviceId }],
          ...(pci.customLabel ? { customLabel: pci.customLabel } : {}),
        };
    out.push({
      xsi: 'VirtualDeviceConfigSpec',
      operation: 'add',
      device: { xsi: 'VirtualPCIPassthrough', key: -200 - i, backing },
    });
  });
  return out;
}

/** The capacity of the template's first disk, in GiB (a clone cannot shrink it). */
export function templateDiskGiB(devices: Node[]): number | undefined {
  const disk = devices.find(isDisk);
  const kb = num(disk?.capacityInKB);
  return kb === undefined ? undefined : kb / 1024 / 1024;
}

/** The extraConfig a clone carries: bootstrap data, static network, capi-fn's markers, then customVMXKeys as given. */
export function extraConfigOf(o: {
  spec: VSphereMachineSpec;
  bootstrap: Pick<BootstrapData, 'value' | 'format'>;
  machineUid: string;
  clusterName: string;
}): Array<[string, string]> {
  const keys: Array<[string, string]> = [...bootstrapKeys(o.bootstrap)];
  const kargs = staticNetworkKargs(o.spec);
  if (kargs) keys.push(['guestinfo.afterburn.initrd.network-kargs', kargs]);
  keys.push([MACHINE_UID_KEY, o.machineUid], [CLUSTER_KEY, o.clusterName]);
  for (const [k, v] of Object.entries(o.spec.customVMXKeys ?? {})) keys.push([k, v]);
  return keys;
}

export function buildCloneRequest(o: {
  name: string;
  template: MoRef;
  spec: VSphereMachineSpec;
  placement: ResolvedPlacement;
  bootstrap: Pick<BootstrapData, 'value' | 'format'>;
  machineUid: string;
  clusterName: string;
}): CloneRequest {
  const { spec, placement: p } = o;
  const linked = Boolean(p.snapshot);
  const hw = hardwareOf(spec);
  const changes = deviceChanges(spec, p, linked);
  const extra = extraConfigOf(o);
  const location: Typed = {
    xsi: 'VirtualMachineRelocateSpec',
    folder: p.folder,
    datastore: p.datastore,
    diskMoveType: linked ? 'createNewChildDiskBacking' : 'moveAllDiskBackingsAndConsolidate',
    pool: p.pool,
    // As CAPV: the policy on the relocate spec (after pool, host, disk, deviceChange in the WSDL's order).
    ...(p.storageProfileId
      ? { profile: [{ xsi: 'VirtualMachineDefinedProfileSpec', profileId: p.storageProfileId }] }
      : {}),
  };
  const config: Typed = {
    xsi: 'VirtualMachineConfigSpec',
    // capi-fn's identity: the Machine UID as instance UUID, found by SearchIndex.FindByUuid before any clone.
    instanceUuid: o.machineUid,
    flags: { diskUuidEnabled: true },
    numCPUs: hw.numCPUs,
    numCoresPerSocket: hw.numCoresPerSocket,
    memoryMB: hw.memoryMiB,
    deviceChange: changes,
    extraConfig: extra.map(([k, v]) => option(k, v)),
    vAppConfigRemoved: true,
  };
  return {
    template: o.template,
    folder: p.folder,
    name: o.name,
    hardware: hw,
    cloneMode: linked ? 'linkedClone' : 'fullClone',
    spec: {
      xsi: 'VirtualMachineCloneSpec',
      location,
      template: false,
      config,
      powerOn: false,
      ...(p.snapshot ? { snapshot: p.snapshot } : {}),
    },
  };
}

/**
 * The datastore a storage policy places the VM on (pure): the spec's own when the policy accepts it, else one of
 * the compatible ones, picked by the Machine UID so that a MachineSet spreads over them and a retry picks the same
 * one (CAPV picks at random). Undefined when none is compatible.
 */
export function datastoreForPolicy(
  compatible: MoRef[],
  o: { named?: MoRef | undefined; machineUid: string },
): MoRef | undefined {
  if (o.named) return compatible.some((d) => d.value === o.named!.value) ? o.named : undefined;
  if (!compatible.length) return undefined;
  const sorted = [...compatible].sort((a, b) => a.value.localeCompare(b.value));
  let h = 0;
  for (const c of o.machineUid) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return sorted[h % sorted.length];
}

/** The reconfigure a clone needs when its hardware differs from the spec (vcsim's clone ignores CPU and memory). */
export function hardwareReconfig(have: Partial<Hardware>, want: Hardware): Typed | undefined {
  if (
    have.numCPUs === want.numCPUs &&
    have.memoryMiB === want.memoryMiB &&
    (have.numCoresPerSocket === undefined ||
      have.numCoresPerSocket === 0 ||
      have.numCoresPerSocket === want.numCoresPerSocket)
  )
    return undefined;
  return {
    xsi: 'VirtualMachineConfigSpec',
    numCPUs: want.numCPUs,
    numCoresPerSocket: want.numCoresPerSocket,
    memoryMB: want.memoryMiB,
  };
}

/** One extraConfig value from `config.extraConfig` as read back. */
export function extraConfigValue(extraConfig: unknown, key: string): string | undefined {
  const opts = arr((extraConfig as Node | undefined)?.OptionValue);
  const o = opts.find((x) => text(x.key) === key);
  return o ? text(o.value) : undefined;
}

export interface SpecProblem {
  field: string;
  rule: string;
  fix: string;
}

/**
 * What capi-fn cannot honour or vCenter would refuse, naming the field (the webhook refuses it; the reconcile
 * reports it). Fields CAPV has but capi-fn does not implement are refused rather than silently ignored.
 */
export function specProblems(spec: Partial<VSphereMachineSpec>, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  const p = (field: string, rule: string, fix: string) => out.push({ field: `${at}.${field}`, rule, fix });
  if (!spec.template)
    p('template', 'the VM template to clone is required', 'name the RHCOS template (name, path or instance UUID)');
  if (spec.numCPUs !== undefined && spec.numCPUs < 1) p('numCPUs', 'must be at least 1', 'set numCPUs to 2 or more');
  if (spec.numCoresPerSocket !== undefined && spec.numCoresPerSocket > 0) {
    const cpus = hardwareOf(spec).numCPUs;
    if (cpus % spec.numCoresPerSocket !== 0)
      p('numCoresPerSocket', `must divide numCPUs (${cpus})`, 'use a divisor of numCPUs');
  }
  if (spec.memoryMiB !== undefined && (spec.memoryMiB < 4 || spec.memoryMiB % 4 !== 0))
    p('memoryMiB', 'must be a positive multiple of 4 MiB', 'for example 16384');
  if (spec.diskGiB !== undefined && spec.diskGiB < 1) p('diskGiB', 'must be at least 1', 'for example 120');
  (spec.network?.devices ?? []).forEach((d, i) => {
    const f = `network.devices[${i}]`;
    if (!d.networkName) p(`${f}.networkName`, 'a port group name is required', 'name the VM network');
    if (!d.dhcp4 && !d.dhcp6 && !d.ipAddrs?.length && !d.skipIPAllocation && !d.addressesFromPools?.length)
      p(
        f,
        'the device has no address mode (dhcp4, dhcp6, ipAddrs or skipIPAllocation); CAPV would wait forever',
        'set dhcp4: true, or ipAddrs with gateway4',
      );
    for (const cidr of d.ipAddrs ?? [])
      if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr))
        p(`${f}.ipAddrs`, `"${cidr}" is not an address in CIDR form`, 'write it as 192.168.4.21/24');
    if (d.ipAddrs?.length && !d.gateway4 && d.ipAddrs.some((c) => !c.includes(':')))
      p(`${f}.gateway4`, 'static IPv4 addresses need a gateway', 'set gateway4');
    if (d.addressesFromPools?.length)
      p(
        `${f}.addressesFromPools`,
        'IP address pools (IPAM claims) are not supported by capi-fn',
        'use dhcp4 or ipAddrs',
      );
    if (d.macAddr && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(d.macAddr))
      p(`${f}.macAddr`, `"${d.macAddr}" is not a MAC address`, 'write it as 00:50:56:aa:bb:cc');
  });
  (spec.pciDevices ?? []).forEach((d, i) => {
    if (!d.vGPUProfile && (d.deviceId === undefined || d.vendorId === undefined))
      p(
        `pciDevices[${i}]`,
        'a PCI device needs deviceId and vendorId, or a vGPUProfile',
        'set both IDs or vGPUProfile',
      );
  });
  const unsupported: Array<[keyof VSphereMachineSpec, string]> = [
    ['additionalDisksGiB', 'remove it; add the disks to the template instead'],
    ['dataDisks', 'remove it; add the disks to the template instead'],
    ['tagIDs', 'remove it; vSphere tags need the Automation API, which capi-fn does not call'],
    ['resources', 'remove it; set reservations and shares on the resource pool instead'],
    ['hardwareVersion', 'remove it; upgrade the template instead'],
    ['thumbprint', 'remove it; trust vCenter through a CA bundle (VSPHERE_CA_FILE) or VSPHERE_INSECURE'],
  ];
  for (const [k, fix] of unsupported) {
    const v = spec[k];
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    p(k, `${k} is not supported by capi-fn`, fix);
  }
  if (spec.os === 'Windows') p('os', 'Windows guests are not supported by capi-fn', 'remove os or set Linux');
  if (spec.powerOffMode && spec.powerOffMode !== 'hard')
    p(
      'powerOffMode',
      `${spec.powerOffMode} power-off is not supported by capi-fn (only hard)`,
      'remove powerOffMode or set hard',
    );
  if (spec.namingStrategy?.template)
    p(
      'namingStrategy.template',
      'the VM is named after the VSphereMachine; naming templates are not supported',
      'remove it',
    );
  if (spec.network?.routes?.length || spec.network?.devices?.some((d) => d.routes?.length))
    p('network.routes', 'static routes are not supported by capi-fn', 'remove them; use the gateway');
  return out;
}
