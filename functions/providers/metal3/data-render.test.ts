// The Metal3DataTemplate renderer, as CAPM3's Metal3Data controller renders: table cases over one host.
import { describe, expect, it } from 'vitest';
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import type { Metal3DataTemplateSpec } from '../../../shared/api/providers/metal3-data.ts';
import { indexesOf, lowestFreeIndex } from './data.ts';
import { RenderError, renderData, renderMetaData, renderNetworkData } from './data-render.ts';

const host = {
  apiVersion: 'metal3.io/v1alpha1',
  kind: 'BareMetalHost',
  metadata: { name: 'worker-3', namespace: 'ns', labels: { 'example.com/rack': 'r12' }, annotations: { a: 'host-a' } },
  spec: { online: true, bootMACAddress: '3c:fd:fe:9e:1a:48' },
  status: { hardware: { hostname: 'worker-3', nics: [{ name: 'enp1s0', mac: '3c:fd:fe:9e:1a:49', ip: '10.0.0.3' }] } },
} as unknown as BareMetalHost;
const m3m = {
  metadata: { name: 'ocp-worker-0-abcde', labels: { tier: 'gold' }, annotations: { mac: '02:00:00:00:00:01' } },
};
const machine = { metadata: { name: 'ocp-worker-0-xyz', labels: {}, annotations: { 'example.com/owner': 'team-a' } } };
const inputs = (template: Metal3DataTemplateSpec, index = 2) => ({
  template,
  index,
  namespace: 'ns',
  m3m,
  machine,
  host,
});

describe('Metal3DataTemplate rendering', () => {
  it('renders every metaData source, strings last, and the providerid', () => {
    const md = renderMetaData(
      inputs({
        metaData: {
          strings: [
            { key: 'role', value: 'worker' },
            { key: 'name', value: 'overridden-by-string' },
          ],
          objectNames: [
            { key: 'name', object: 'machine' },
            { key: 'host', object: 'BareMetalHost' },
            { key: 'm3m', object: 'metal3machine' },
          ],
          indexes: [{ key: 'plain' }, { key: 'fancy', offset: 10, step: 3, prefix: 'w-', suffix: '.lab' }],
          namespaces: [{ key: 'namespace' }],
          fromHostInterfaces: [
            { key: 'boot', fromBootMAC: true },
            { key: 'nic', interface: 'enp1s0' },
          ],
          fromLabels: [
            { key: 'rack', object: 'baremetalhost', label: 'example.com/rack' },
            { key: 'missing', object: 'machine', label: 'nope' },
          ],
          fromAnnotations: [{ key: 'owner', object: 'machine', annotation: 'example.com/owner' }],
        },
      }),
    );
    expect(md).toEqual({
      role: 'worker',
      name: 'overridden-by-string',
      host: 'worker-3',
      m3m: 'ocp-worker-0-abcde',
      plain: '2',
      fancy: 'w-16.lab',
      namespace: 'ns',
      boot: '3c:fd:fe:9e:1a:48',
      nic: '3c:fd:fe:9e:1a:49',
      rack: 'r12',
      missing: '',
      owner: 'team-a',
      providerid: 'ns/worker-3/ocp-worker-0-abcde',
    });
  });

  it('renders network_data.json links, DHCP networks and DNS services', () => {
    const nd = renderNetworkData(
      inputs({
        networkData: {
          links: {
            ethernets: [
              { type: 'phy', id: 'enp1s0', mtu: 9000, macAddress: { fromHostInterface: 'enp1s0' } },
              {
                type: 'phy',
                id: 'eth1',
                name: 'data0',
                macAddress: { fromAnnotation: { object: 'metal3machine', annotation: 'mac' } },
              },
            ],
            bonds: [{ id: 'bond0', bondMode: '802.3ad', bondLinks: ['enp1s0', 'eth1'], parameters: { miimon: 100 } }],
            vlans: [{ id: 'vlan20', vlanID: 20, vlanLink: 'bond0', macAddress: { string: '02:00:00:00:00:20' } }],
          },
          networks: { ipv4DHCP: [{ id: 'prov', link: 'enp1s0' }], ipv6SLAAC: [{ id: 'v6', link: 'bond0' }] },
          services: { dns: ['8.8.8.8', '2001:4860:4860::8888'] },
        },
      }),
    );
    expect(nd).toEqual({
      links: [
        {
          type: 'bond',
          id: 'bond0',
          mtu: 0,
          bond_mode: '802.3ad',
          bond_xmit_hash_policy: '',
          bond_links: ['enp1s0', 'eth1'],
          bond_miimon: 100,
        },
        { type: 'phy', id: 'enp1s0', mtu: 9000, ethernet_mac_address: '3c:fd:fe:9e:1a:49' },
        { type: 'phy', id: 'eth1', mtu: 0, name: 'data0', ethernet_mac_address: '02:00:00:00:00:01' },
        { type: 'vlan', id: 'vlan20', mtu: 0, vlan_link: 'bond0', vlan_id: 20, vlan_mac_address: '02:00:00:00:00:20' },
      ],
      networks: [
        { type: 'ipv4_dhcp', id: 'prov', link: 'enp1s0', routes: [] },
        { type: 'ipv6_slaac', id: 'v6', link: 'bond0', routes: [] },
      ],
      services: [
        { type: 'dns', address: '8.8.8.8' },
        { type: 'dns', address: '2001:4860:4860::8888' },
      ],
    });
    expect(renderData(inputs({}))).toEqual({});
  });

  it.each([
    [
      'a NIC the host does not have',
      { metaData: { fromHostInterfaces: [{ key: 'mac', interface: 'eth9' }] } },
      'spec.metaData.fromHostInterfaces[0].interface: BareMetalHost worker-3 has no NIC "eth9" (it has enp1s0)',
    ],
    [
      'an unknown object',
      { metaData: { objectNames: [{ key: 'n', object: 'Node' }] } },
      'spec.metaData.objectNames[0].object: unknown object "Node"',
    ],
    [
      'a MAC annotation that is not a MAC',
      {
        networkData: {
          links: {
            ethernets: [
              {
                type: 'phy',
                id: 'x',
                macAddress: { fromAnnotation: { object: 'machine', annotation: 'example.com/owner' } },
              },
            ],
          },
        },
      },
      'spec.networkData.links.ethernets[0].macAddress: bad MAC address "team-a"',
    ],
    [
      'a bond parameter that overrides a field',
      { networkData: { links: { bonds: [{ id: 'b', bondMode: 'active-backup', parameters: { mode: 'x' } }] } } },
      'spec.networkData.links.bonds[0].parameters.mode: bond_mode is set by the bond',
    ],
  ])('names the field of %s', (_what, template, message) => {
    expect(() => renderData(inputs(template as Metal3DataTemplateSpec))).toThrow(RenderError);
    expect(() => renderData(inputs(template as Metal3DataTemplateSpec))).toThrow(message);
  });

  it('allocates the lowest free index and reports claim → index per template', () => {
    expect(lowestFreeIndex([])).toBe(0);
    expect(lowestFreeIndex([0, 1, 3])).toBe(2);
    expect(lowestFreeIndex([1, 2])).toBe(0);
    const d = (name: string, claim: string, index: number, template = 't') =>
      ({ metadata: { name }, spec: { index, claim: { name: claim }, template: { name: template } } }) as never;
    expect(indexesOf([d('t-0', 'a', 0), d('t-1', 'b', 1), d('u-0', 'c', 0, 'u')], 't')).toEqual({ a: 0, b: 1 });
  });
});
