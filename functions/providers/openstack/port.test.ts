import { describe, expect, it } from 'vitest';
import { addressesOf, toCloudInstance } from './port.ts';

describe('a Nova server as the kit sees it', () => {
  it('states as CAPO maps them; ERROR carries the fault; deleting is terminating', () => {
    const s = (status: string, extra = {}) =>
      toCloudInstance({
        id: 'i',
        name: 'w',
        status,
        metadata: { 'capi-fn-machine-uid': 'u', 'capi-fn-cluster': 'c' },
        ...extra,
      });
    expect(s('BUILD')).toMatchObject({
      state: 'pending',
      transitioning: true,
      providerID: 'openstack:///i',
      owner: { machineUid: 'u', cluster: 'c' },
    });
    expect(s('ACTIVE').state).toBe('running');
    expect(s('SHUTOFF').state).toBe('stopped');
    expect(s('HARD_REBOOT').state).toBe('running');
    expect(s('DELETED').state).toBe('gone');
    expect(s('ACTIVE', { 'OS-EXT-STS:task_state': 'deleting' }).state).toBe('terminating');
    expect(s('ERROR', { fault: { message: 'No valid host was found.' } })).toMatchObject({
      state: 'failed',
      failureReason: 'UpdateError',
      failureMessage: 'server i is ERROR: No valid host was found.',
    });
    expect(toCloudInstance({ id: 'i', name: 'w', status: 'ACTIVE' }, 'R1').providerID).toBe('openstack://R1/i');
  });
  it('addresses: networks by name, IPv4 first, fixed internal, floating external, then the name', () => {
    expect(
      addressesOf({
        id: 'i',
        name: 'w',
        status: 'ACTIVE',
        addresses: {
          zeta: [{ addr: '10.0.0.2', version: 4, 'OS-EXT-IPS:type': 'fixed' }],
          alpha: [
            { addr: 'fd00::2', version: 6, 'OS-EXT-IPS:type': 'fixed' },
            { addr: '10.1.0.2', version: 4, 'OS-EXT-IPS:type': 'fixed' },
            { addr: '172.24.4.9', version: 4, 'OS-EXT-IPS:type': 'floating' },
          ],
        },
      }),
    ).toEqual([
      { type: 'InternalIP', address: '10.1.0.2' },
      { type: 'ExternalIP', address: '172.24.4.9' },
      { type: 'InternalIP', address: 'fd00::2' },
      { type: 'InternalIP', address: '10.0.0.2' },
      { type: 'InternalDNS', address: 'w' },
    ]);
  });
});
