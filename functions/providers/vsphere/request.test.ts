// The spec → CloneVM_Task translation (pure), as CAPV's clone.go builds it.
import { describe, expect, it } from 'vitest';
import type { VSphereMachineSpec } from '../../../shared/api/providers/vsphere.ts';
import { nextStep } from './machine.ts';
import { inventoryPath, parseProviderID, resourcePoolPath } from './names.ts';
import {
  bootstrapKeys,
  buildCloneRequest,
  datastoreForPolicy,
  hardwareOf,
  hardwareReconfig,
  metadataOf,
  metadataReconfig,
  type ResolvedPlacement,
  specProblems,
  staticNetworkKargs,
} from './request.ts';
import { envelope, moRef, type Node, parseXml } from './soap.ts';

const UID = '7d0c4b9e-3f51-4c1a-9a55-0c2b7e4d9f10';
const spec: VSphereMachineSpec = {
  template: 'rhcos',
  datacenter: 'DC0',
  numCPUs: 4,
  memoryMiB: 16384,
  diskGiB: 128,
  network: { devices: [{ networkName: 'VM Network', dhcp4: true }] },
  customVMXKeys: { 'disk.EnableUUID': 'TRUE' },
};
const nic = { '@xsi:type': 'VirtualVmxnet3', key: '4000', macAddress: '00:50:56:aa:bb:cc' };
const disk = { '@xsi:type': 'VirtualDisk', key: '2000', capacityInKB: String(16 * 1024 * 1024), capacityInBytes: '1' };
const placement: ResolvedPlacement = {
  folder: moRef('Folder', 'group-v3'),
  pool: moRef('ResourcePool', 'resgroup-8'),
  datastore: moRef('Datastore', 'datastore-1'),
  templateDevices: [nic, disk],
  networks: [{ name: 'VM Network', ref: moRef('Network', 'network-7') }],
};
const build = (o: Partial<ResolvedPlacement> = {}, s: Partial<VSphereMachineSpec> = {}) =>
  buildCloneRequest({
    name: 'w-1',
    template: moRef('VirtualMachine', 'vm-10'),
    spec: { ...spec, ...s },
    placement: { ...placement, ...o },
    bootstrap: { value: Buffer.from('{"ignition":{}}'), format: 'ignition' },
    machineUid: UID,
    clusterName: 'ocp',
  });
/** The request as vCenter receives it, parsed back. */
const wire = (r: ReturnType<typeof build>) =>
  (
    (
      (
        parseXml(envelope('CloneVM_Task', r.template, { folder: r.folder, name: r.name, spec: r.spec }))
          .Envelope as Node
      ).Body as Node
    ).CloneVM_Task as Node
  ).spec as Node;

describe('the clone request', () => {
  it('a full clone: Machine UID as instance UUID, hardware, NICs replaced, first disk grown, Ignition and markers', () => {
    const r = build();
    expect(r.cloneMode).toBe('fullClone');
    const s = wire(r);
    expect(s['@xsi:type']).toBe('VirtualMachineCloneSpec');
    const loc = s.location as Node;
    expect(loc.diskMoveType).toBe('moveAllDiskBackingsAndConsolidate');
    expect((loc.pool as Node)._text).toBe('resgroup-8');
    const c = s.config as Node;
    expect([c.instanceUuid, c.numCPUs, c.numCoresPerSocket, c.memoryMB]).toEqual([UID, '4', '4', '16384']);
    expect(s.powerOn).toBe('false');
    const changes = c.deviceChange as Node[];
    expect(changes.map((d) => [d.operation, (d.device as Node)['@xsi:type']])).toEqual([
      ['remove', 'VirtualVmxnet3'],
      ['add', 'VirtualVmxnet3'],
      ['edit', 'VirtualDisk'],
    ]);
    const added = changes[1]!.device as Node;
    expect((added.backing as Node)['@xsi:type']).toBe('VirtualEthernetCardNetworkBackingInfo');
    expect((added.backing as Node).deviceName).toBe('VM Network');
    expect((changes[2]!.device as Node).capacityInKB).toBe(String(128 * 1024 * 1024));
    const extra = Object.fromEntries(
      (c.extraConfig as Node[]).map((o) => [o.key, ((o.value as Node)._text as string) ?? o.value]),
    );
    expect(extra).toEqual({
      'guestinfo.ignition.config.data': Buffer.from('{"ignition":{}}').toString('base64'),
      'guestinfo.ignition.config.data.encoding': 'base64',
      'capifn.machineuid': UID,
      'capifn.cluster': 'ocp',
      'disk.EnableUUID': 'TRUE',
    });
  });

  it('a linked clone hangs off the snapshot and leaves the disk alone', () => {
    const r = build({ snapshot: moRef('VirtualMachineSnapshot', 'snapshot-3') });
    expect(r.cloneMode).toBe('linkedClone');
    const s = wire(r);
    expect((s.location as Node).diskMoveType).toBe('createNewChildDiskBacking');
    expect((s.snapshot as Node)._text).toBe('snapshot-3');
    const ops = ((s.config as Node).deviceChange as Node[]).map((d) => d.operation);
    expect(ops).not.toContain('edit');
  });

  it('a distributed port group, a manual MAC and a PCI device', () => {
    const r = build(
      {
        networks: [
          {
            name: 'DC0_DVPG0',
            ref: moRef('DistributedVirtualPortgroup', 'dvportgroup-13'),
            distributed: { switchUuid: 'u-1', portgroupKey: 'dvportgroup-13' },
          },
        ],
      },
      {
        network: { devices: [{ networkName: 'DC0_DVPG0', dhcp4: true, macAddr: '00:50:56:01:02:03' }] },
        pciDevices: [{ vendorId: 4318, deviceId: 7864 }],
      },
    );
    const changes = (wire(r).config as Node).deviceChange as Node[];
    const nicDev = changes[1]!.device as Node;
    expect((nicDev.backing as Node)['@xsi:type']).toBe('VirtualEthernetCardDistributedVirtualPortBackingInfo');
    expect(((nicDev.backing as Node).port as Node).switchUuid).toBe('u-1');
    expect([nicDev.addressType, nicDev.macAddress]).toEqual(['manual', '00:50:56:01:02:03']);
    const pci = changes.find((d) => (d.device as Node)['@xsi:type'] === 'VirtualPCIPassthrough')!.device as Node;
    expect((pci.backing as Node).allowedDevice as Node).toEqual({ vendorId: '4318', deviceId: '7864' });
  });

  it('bootstrap data is decoded while it decodes, then encoded once; cloud-config goes to guestinfo.userdata', () => {
    const once = Buffer.from(Buffer.from('{"ignition":{}}').toString('base64'));
    expect(bootstrapKeys({ value: once, format: 'ignition' })[0]![1]).toBe(
      Buffer.from('{"ignition":{}}').toString('base64'),
    );
    expect(bootstrapKeys({ value: Buffer.from('#cloud-config\n'), format: 'cloud-config' }).map((k) => k[0])).toEqual([
      'guestinfo.userdata',
      'guestinfo.userdata.encoding',
    ]);
  });

  it('static addresses become afterburn network arguments', () => {
    expect(
      staticNetworkKargs({
        network: {
          devices: [
            { networkName: 'n', ipAddrs: ['192.168.4.21/24'], gateway4: '192.168.4.1', nameservers: ['192.168.4.2'] },
          ],
        },
      }),
    ).toBe('ip=192.168.4.21::192.168.4.1:255.255.255.0:::none nameserver=192.168.4.2');
    expect(staticNetworkKargs(spec)).toBeUndefined();
  });

  it('CAPV’s hardware defaults, and a reconfigure only when the clone differs', () => {
    expect(hardwareOf({})).toEqual({ numCPUs: 2, numCoresPerSocket: 2, memoryMiB: 2048 });
    expect(hardwareOf({ numCPUs: 1 }).numCPUs).toBe(2);
    const want = hardwareOf(spec);
    expect(hardwareReconfig({ numCPUs: 4, numCoresPerSocket: 4, memoryMiB: 16384 }, want)).toBeUndefined();
    expect(hardwareReconfig({ numCPUs: 1, numCoresPerSocket: 1, memoryMiB: 32 }, want)).toMatchObject({
      numCPUs: 4,
      memoryMB: 16384,
    });
  });

  it('guestinfo.metadata: CAPV’s cloud-init metadata, the NICs matched by the MACs vCenter gave them', () => {
    const md = metadataOf(
      'ocp-worker-x7k2p',
      {
        network: {
          devices: [
            { networkName: 'a', dhcp4: true },
            {
              networkName: 'b',
              ipAddrs: ['192.168.4.21/24', 'fd00::5/64'],
              gateway4: '192.168.4.1',
              nameservers: ['192.168.4.2'],
              searchDomains: ['example.com'],
              deviceName: 'ens224',
              mtu: 9000,
            },
          ],
        },
      },
      ['00:50:56:aa:bb:01', '00:50:56:aa:bb:02'],
    );
    expect(md).toBe(
      [
        'instance-id: "ocp-worker-x7k2p"',
        'local-hostname: "ocp-worker-x7k2p"',
        'wait-on-network:',
        '  ipv4: true',
        '  ipv6: true',
        'network:',
        '  version: 2',
        '  ethernets:',
        '    id0:',
        '      match:',
        '        macaddress: "00:50:56:aa:bb:01"',
        '      set-name: "eth0"',
        '      wakeonlan: true',
        '      dhcp4: true',
        '      dhcp6: false',
        '    id1:',
        '      match:',
        '        macaddress: "00:50:56:aa:bb:02"',
        '      set-name: "ens224"',
        '      wakeonlan: true',
        '      addresses:',
        '      - "192.168.4.21/24"',
        '      - "fd00::5/64"',
        '      gateway4: "192.168.4.1"',
        '      mtu: 9000',
        '      nameservers:',
        '        addresses:',
        '        - "192.168.4.2"',
        '        search:',
        '        - "example.com"',
        '',
      ].join('\n'),
    );
    // Written once: the VM that carries it needs no reconfigure.
    const rc = metadataReconfig(undefined, md)!;
    expect(rc.extraConfig).toMatchObject([
      { key: 'guestinfo.metadata', value: { _text: Buffer.from(md).toString('base64') } },
      { key: 'guestinfo.metadata.encoding', value: { _text: 'base64' } },
    ]);
    expect(metadataReconfig(Buffer.from(md).toString('base64'), md)).toBeUndefined();
  });

  it('a storage policy: the named datastore only if the policy accepts it, else one by Machine UID, stable', () => {
    const ds = (v: string) => moRef('Datastore', v);
    const compatible = [ds('datastore-3'), ds('datastore-1'), ds('datastore-2')];
    expect(datastoreForPolicy(compatible, { named: ds('datastore-2'), machineUid: 'u' })).toEqual(ds('datastore-2'));
    expect(datastoreForPolicy(compatible, { named: ds('datastore-9'), machineUid: 'u' })).toBeUndefined();
    expect(datastoreForPolicy([], { machineUid: 'u' })).toBeUndefined();
    const pick = datastoreForPolicy(compatible, { machineUid: 'a1' });
    expect(datastoreForPolicy([...compatible].reverse(), { machineUid: 'a1' })).toEqual(pick);
    const spread = new Set(
      Array.from({ length: 30 }, (_, i) => datastoreForPolicy(compatible, { machineUid: `uid-${i}` })?.value),
    );
    expect(spread.size).toBe(3);
  });

  it('the policy goes on the relocate spec, after the pool', () => {
    const r = build({ storageProfileId: 'aa6d5a82' });
    const location = r.spec.location as Record<string, unknown>;
    expect(Object.keys(location).slice(-2)).toEqual(['pool', 'profile']);
    expect(location.profile).toEqual([{ xsi: 'VirtualMachineDefinedProfileSpec', profileId: 'aa6d5a82' }]);
  });

  it('before power-on: one reconfigure for hardware and metadata together, then power on', () => {
    const want = hardwareOf(spec);
    const vm = { powerState: 'poweredOff', template: false, hardware: { numCPUs: 1, memoryMiB: 32 } };
    const step = nextStep(vm, want, 'instance-id: "x"\n');
    expect(step?.kind).toBe('reconfigure');
    expect(Object.keys((step as { spec: Record<string, unknown> }).spec)).toEqual([
      'xsi',
      'numCPUs',
      'numCoresPerSocket',
      'memoryMB',
      'extraConfig',
    ]);
    const done = { ...vm, hardware: { numCPUs: 4, numCoresPerSocket: 4, memoryMiB: 16384 } };
    expect(
      nextStep({ ...done, metadata: Buffer.from('instance-id: "x"\n').toString('base64') }, want, 'instance-id: "x"\n'),
    ).toEqual({
      kind: 'powerOn',
    });
    expect(nextStep({ ...done, powerState: 'poweredOn' }, want, 'x')).toBeUndefined();
  });

  it('spec problems name the field', () => {
    expect(specProblems({ ...spec, dataDisks: [{ name: 'd', sizeGiB: 1 }] }, 'spec').map((p) => p.field)).toEqual([
      'spec.dataDisks',
    ]);
  });
});

describe('names', () => {
  it('inventory paths: absolute as given, relative under the datacenter', () => {
    expect(inventoryPath('DC0', 'vm', undefined)).toBe('DC0/vm');
    expect(inventoryPath('DC0', 'vm', '/DC0/vm/ocp')).toBe('DC0/vm/ocp');
    expect(inventoryPath('DC0', 'vm', 'ocp')).toBe('DC0/vm/ocp');
    expect(inventoryPath('DC0', 'datastore', 'LocalDS_0')).toBe('DC0/datastore/LocalDS_0');
    expect(resourcePoolPath('DC0', 'DC0_C0')).toBe('DC0/host/DC0_C0/Resources');
    expect(resourcePoolPath('DC0', '/DC0/host/DC0_C0/Resources/ocp')).toBe('DC0/host/DC0_C0/Resources/ocp');
  });

  it('providerID: vsphere://<BIOS UUID>, read case-insensitively', () => {
    expect(parseProviderID('vsphere://4216B9A0-6A53-9D6E-1B1C-2F0A4C0F6F11')).toBe(
      '4216b9a0-6a53-9d6e-1b1c-2f0a4c0f6f11',
    );
    expect(parseProviderID('gce://p/z/n')).toBeUndefined();
  });
});
