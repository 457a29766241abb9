// What VMware Tools does on a real VM and vcsim 0.24 does not: report the guest's IP address. vcsim turns an
// extraConfig key `SET.guest.ipAddress` into that property, so this stand-in "DHCP server" gives every powered-on
// capi-fn VM without an address one derived from its BIOS UUID. Only for vcsim (`capi-fn up --simulate-nodes`
// and the tests): on a real vCenter the guest reports its own addresses and this never runs.
import { createHash } from 'node:crypto';
import type { CloudInstance } from '../kit/port.ts';
import type { VSphereApi } from './client.ts';
import { follow, vspherePort } from './port.ts';
import { xsd } from './soap.ts';
import type { VmView } from './vm.ts';

/** A stable 10.x.y.z address for a VM (never .0 or .255). */
export function simulatedAddress(biosUuid: string): string {
  const h = createHash('sha256').update(biosUuid).digest();
  return `10.${h[0]! % 250}.${h[1]! % 250}.${(h[2]! % 250) + 2}`;
}

/** Gives `vm` an address as its guest would report it (one ReconfigVM_Task with the SET. key). */
export async function assignAddress(api: VSphereApi, vm: Pick<VmView, 'ref' | 'biosUuid'>): Promise<string> {
  const ip = simulatedAddress(vm.biosUuid);
  const task = await api.reconfigVM(vm.ref, {
    xsi: 'VirtualMachineConfigSpec',
    extraConfig: [{ xsi: 'OptionValue', key: 'SET.guest.ipAddress', value: xsd('string', ip) }],
  });
  await follow(api, task, 5_000);
  return ip;
}

/**
 * The node simulator's list: capi-fn's VMs, after giving an address to each powered-on one that has none
 * (those show up as running on the next poll).
 */
export function vcsimGuestList(api: VSphereApi): () => Promise<CloudInstance[]> {
  const port = vspherePort(api);
  return async () => {
    const owned = await port.listOwned({});
    for (const inst of owned) {
      const vm = inst.raw as VmView;
      if (vm.powerState === 'poweredOn' && vm.ips.length === 0) await assignAddress(api, vm);
    }
    return owned;
  };
}
