// The vSphere admission rules, through the webhook's review as the API server calls it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { deniedMessage, infraRequest } from '../../../test/support/admission.ts';
import { type ReviewContext, review } from '../../webhooks/review.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const VS: ReviewContext = {
  openshift: { infrastructureName: 'ocp-vs-6tz4p', platformType: 'VSphere', provider: PLATFORM_PROVIDERS.VSphere },
};
// The OpenShift docs' VSphereMachineTemplate sample.
const spec = {
  template: 'ocp-vs-6tz4p-rhcos-generated-region-generated-zone',
  server: 'vcenter.example.com',
  diskGiB: 128,
  cloneMode: 'linkedClone',
  datacenter: 'datacenter',
  datastore: '/datacenter/datastore/datastore1',
  folder: '/datacenter/vm/ocp-vs-6tz4p',
  resourcePool: '/datacenter/host/cluster1/Resources/ocp-vs-6tz4p',
  numCPUs: 4,
  memoryMiB: 16384,
  network: { devices: [{ dhcp4: true, networkName: 'ci-vlan-1240' }] },
};

const req = (kind: string, o: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' = 'CREATE', old?: unknown) =>
  infraRequest('v1beta1', kind, o, operation, old);
const template = (s: Record<string, unknown>) => req('VSphereMachineTemplate', { spec: { template: { spec: s } } });

describe('vSphere admission rules', () => {
  it('admits the docs’ sample, and static addresses with a gateway and PCI devices', () => {
    expect(review(template(spec), VS, 'validate').allowed).toBe(true);
    expect(review(req('VSphereMachine', { spec }), VS, 'validate').allowed).toBe(true);
    const statics = {
      ...spec,
      network: {
        devices: [
          {
            networkName: 'ci-vlan-1240',
            ipAddrs: ['192.168.4.21/24'],
            gateway4: '192.168.4.1',
            nameservers: ['192.168.4.2'],
          },
        ],
      },
      pciDevices: [{ deviceId: 0x1eb8, vendorId: 0x10de }],
      customVMXKeys: { 'disk.EnableUUID': 'TRUE' },
      storagePolicyName: 'vSAN Default Storage Policy',
    };
    expect(review(template(statics), VS, 'validate').allowed).toBe(true);
  });

  it('refuses what vCenter would refuse and what capi-fn does not implement, naming each field and the fix', () => {
    const r = deniedMessage(
      review(
        template({
          ...spec,
          numCPUs: 6,
          numCoresPerSocket: 4,
          memoryMiB: 1023,
          tagIDs: ['urn:vmomi:InventoryServiceTag:1'],
          powerOffMode: 'soft',
          network: { devices: [{ networkName: 'ci-vlan-1240' }, { networkName: 'b', ipAddrs: ['10.0.0.5'] }] },
          pciDevices: [{ customLabel: 'gpu' }],
        }),
        VS,
        'validate',
      ),
    );
    expect(r).toContain('spec.template.spec.numCoresPerSocket: Invalid value: must divide numCPUs (6)');
    expect(r).toContain('spec.template.spec.memoryMiB: Invalid value: must be a positive multiple of 4 MiB');
    expect(r).not.toContain('storagePolicyName');
    expect(r).toContain('spec.template.spec.tagIDs: Unsupported value');
    expect(r).toContain(
      'spec.template.spec.powerOffMode: Unsupported value: soft power-off is not supported by capi-fn (only hard)',
    );
    expect(r).toContain('spec.template.spec.network.devices[0]: Invalid value: the device has no address mode');
    expect(r).toContain(
      'spec.template.spec.network.devices[1].ipAddrs: Invalid value: "10.0.0.5" is not an address in CIDR form',
    );
    expect(r).toContain('spec.template.spec.pciDevices[0]: Invalid value: a PCI device needs deviceId and vendorId');
  });

  it('a template cannot name one VM; a recorded providerID does not change', () => {
    const uuid = '4216b9a0-6a53-9d6e-1b1c-2f0a4c0f6f11';
    expect(deniedMessage(review(template({ ...spec, providerID: `vsphere://${uuid}` }), VS, 'validate'))).toContain(
      'spec.template.spec.providerID: Forbidden',
    );
    const recorded = { spec: { ...spec, providerID: `vsphere://${uuid}` } };
    expect(review(req('VSphereMachine', recorded, 'UPDATE', { spec }), VS, 'validate').allowed).toBe(true);
    const swapped = { spec: { ...spec, providerID: 'vsphere://4216b9a0-0000-0000-0000-000000000000' } };
    expect(deniedMessage(review(req('VSphereMachine', swapped, 'UPDATE', recorded), VS, 'validate'))).toContain(
      `spec.providerID: Forbidden: the VM is recorded as vsphere://${uuid} and cannot change`,
    );
  });
});
