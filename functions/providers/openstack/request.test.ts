import { describe, expect, it } from 'vitest';
import type { OpenStackMachineSpec } from '../../../shared/api/providers/openstack.ts';
import { blockDevices, buildServerRequest, portBody, specProblems, USER_DATA_MAX } from './request.ts';

const UID = '0b9c1a4e-7d2f-4c35-9a61-2f4e8d7c6b5a';
const spec = (over: Partial<OpenStackMachineSpec> = {}): OpenStackMachineSpec => ({
  flavor: 'm1.xlarge',
  image: { filter: { name: 'rhcos' } },
  ...over,
});
const resolved = {
  imageID: 'img-1',
  flavorID: '6',
  ports: [
    { name: 'w-0', description: 'd', networkID: 'net-1', fixedIPs: [{ subnet: 'sub-1' }], securityGroups: ['sg-1'] },
  ],
};
const build = (over: Partial<OpenStackMachineSpec> = {}, userData = Buffer.from('{"ignition":{}}')) =>
  buildServerRequest({
    name: 'w',
    spec: spec(over),
    resolved,
    machineUid: UID,
    clusterName: 'ocp',
    availabilityZone: 'az-1',
    clusterTags: ['openshiftClusterID=ocp', 'dup'],
    userData,
  });

describe('the create request', () => {
  it('server: name, flavor, image, zone, base64 user data, metadata with the Machine UID and cluster, tags deduplicated', () => {
    const r = build({
      tags: ['dup', 'team=a'],
      serverMetadata: [{ key: 'role', value: 'worker' }],
      sshKeyName: 'k',
      configDrive: true,
    });
    expect(r.ok && r.request.server).toEqual({
      name: 'w',
      flavorRef: '6',
      imageRef: 'img-1',
      availability_zone: 'az-1',
      user_data: Buffer.from('{"ignition":{}}').toString('base64'),
      metadata: { role: 'worker', 'capi-fn-machine-uid': UID, 'capi-fn-cluster': 'ocp' },
      tags: ['dup', 'team=a', 'openshiftClusterID=ocp'],
      config_drive: true,
      key_name: 'k',
    });
    // Ports carry the server's tags and the Machine UID tag.
    expect(r.ok && r.request.ports[0]!.tags).toEqual([
      'dup',
      'team=a',
      'openshiftClusterID=ocp',
      `capi-fn-machine-uid=${UID}`,
    ]);
  });

  it('boot from volume: no imageRef, a root volume from the image in the machine’s zone, extra devices tagged', () => {
    const r = build({
      rootVolume: { sizeGiB: 120, type: 'ssd' },
      additionalBlockDevices: [
        {
          name: 'etcd',
          sizeGiB: 10,
          storage: { type: 'Volume', volume: { type: 'fast', availabilityZone: { from: 'Name', name: 'cinder-az' } } },
        },
        { name: 'scratch', sizeGiB: 5, storage: { type: 'Local' } },
      ],
    });
    if (!r.ok) throw new Error(r.problems.join());
    expect(r.request.server.imageRef).toBeUndefined();
    expect(r.request.rootVolume).toEqual({
      name: 'w-root',
      sizeGiB: 120,
      type: 'ssd',
      availabilityZone: 'az-1',
      imageID: 'img-1',
    });
    expect(r.request.volumes).toEqual([
      { name: 'w-etcd', sizeGiB: 10, type: 'fast', availabilityZone: 'cinder-az', tag: 'etcd' },
    ]);
    expect(blockDevices(r.request, { 'w-root': 'v-root', 'w-etcd': 'v-etcd' })).toEqual([
      { source_type: 'volume', destination_type: 'volume', uuid: 'v-root', boot_index: 0, delete_on_termination: true },
      {
        source_type: 'volume',
        destination_type: 'volume',
        uuid: 'v-etcd',
        boot_index: -1,
        delete_on_termination: true,
        tag: 'etcd',
      },
      {
        source_type: 'blank',
        destination_type: 'local',
        volume_size: 5,
        boot_index: -1,
        delete_on_termination: true,
        tag: 'scratch',
      },
    ]);
    expect(blockDevices({ ...r.request, rootVolume: undefined, volumes: [], localDevices: [] }, {})).toBeUndefined();
  });

  it('server group and scheduler hints', () => {
    const r = buildServerRequest({
      name: 'w',
      spec: spec({
        schedulerHintAdditionalProperties: [{ name: 'same_host', value: { type: 'String', string: 'x' } }],
      }),
      resolved: { ...resolved, serverGroupID: 'sg' },
      machineUid: UID,
      clusterName: 'ocp',
      clusterTags: [],
      userData: Buffer.from(''),
    });
    expect(r.ok && r.request.hints).toEqual({ group: 'sg', same_host: 'x' });
  });

  it('user data over Nova’s 65535 bytes is a problem, not a create', () => {
    const r = build({}, Buffer.alloc(USER_DATA_MAX));
    expect(r).toEqual({ ok: false, problems: [expect.stringContaining('Nova allows 65535')] });
  });

  it('a port body: fixed IPs, security groups, address pairs, binding, value specs; no groups without port security', () => {
    expect(
      portBody({
        name: 'w-0',
        description: 'd',
        networkID: 'n',
        tags: ['t'],
        fixedIPs: [{ subnet: 's', ipAddress: '10.0.0.9' }],
        securityGroups: ['g'],
        allowedAddressPairs: [{ ipAddress: '10.0.0.5' }],
        vnicType: 'direct',
        profile: { ovsHWOffload: true, trusted: true },
        valueSpecs: [{ name: 'x', key: 'dns_name', value: 'w' }],
      }),
    ).toEqual({
      name: 'w-0',
      network_id: 'n',
      description: 'd',
      tags: ['t'],
      fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.9' }],
      security_groups: ['g'],
      allowed_address_pairs: [{ ip_address: '10.0.0.5' }],
      'binding:vnic_type': 'direct',
      'binding:profile': { capabilities: ['switchdev'], trusted: true },
      dns_name: 'w',
    });
    expect(
      portBody({ name: 'p', description: '', networkID: 'n', securityGroups: ['g'], disablePortSecurity: true }),
    ).toMatchObject({
      port_security_enabled: false,
    });
  });
});

describe('spec problems, naming the field', () => {
  it.each([
    [{ flavor: undefined }, 'spec.flavor'],
    [{ flavorID: '6' }, 'spec.flavorID'],
    [{ tags: ['a,b'] }, 'spec.tags[0]'],
    [{ serverMetadata: [{ key: 'capi-fn-machine-uid', value: 'x' }] }, 'spec.serverMetadata[0].key'],
    [{ ports: [{ nameSuffix: 'a' }, { nameSuffix: 'a' }] }, 'spec.ports[1].nameSuffix'],
    [{ ports: [{ nameSuffix: '1' }] }, 'spec.ports[0].nameSuffix'],
    [
      { ports: [{ disablePortSecurity: true, securityGroups: [{ id: '11111111-1111-1111-1111-111111111111' }] }] },
      'spec.ports[0].securityGroups',
    ],
    [
      { additionalBlockDevices: [{ name: 'root', sizeGiB: 1, storage: { type: 'Local' as const } }] },
      'spec.additionalBlockDevices[0].name',
    ],
  ])('%j → %s', (over, field) => {
    expect(specProblems(spec(over as Partial<OpenStackMachineSpec>), 'spec').map((p) => p.field)).toEqual([field]);
  });
  it('the docs’ template has none', () => {
    expect(specProblems(spec(), 'spec.template.spec')).toEqual([]);
  });
});
