import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { AWSMachineSpec } from '../../../shared/api/providers/aws.ts';
import { buildRunInstancesInput, type LaunchPlan } from './run-input.ts';

// The docs' base sample (openshift-capi.md §3), as cloned into an AWSMachine.
const base: AWSMachineSpec = {
  iamInstanceProfile: 'ocp-aws-7xk2p-worker-profile',
  instanceType: 'm5.large',
  ignition: { storageType: 'UnencryptedUserData', version: '3.4' },
  ami: { id: 'ami-0d8a2f6c7f7a5e3b1' },
  subnet: { filters: [{ name: 'tag:Name', values: ['ocp-aws-7xk2p-subnet-private-us-east-1a'] }] },
  additionalSecurityGroups: [{ filters: [{ name: 'tag:Name', values: ['ocp-aws-7xk2p-node'] }] }],
};

function plan(spec: Partial<AWSMachineSpec> = {}, extra: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    spec: { ...base, ...spec },
    imageId: 'ami-0d8a2f6c7f7a5e3b1',
    image: { rootDeviceName: '/dev/xvda', rootSnapshotSizeGiB: 16 },
    subnetId: 'subnet-0a',
    securityGroupIds: ['sg-node', 'sg-lb'],
    userData: 'eyJpZ25pdGlvbiI6e319',
    tags: { Name: 'm1', 'capi-fn.io/machine-uid': 'uid-1' },
    clientToken: 'uid-1-1',
    ...extra,
  };
}

function input(spec: Partial<AWSMachineSpec> = {}, extra: Partial<LaunchPlan> = {}): RunInstancesCommandInput {
  const r = buildRunInstancesInput(plan(spec, extra));
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.input;
}

describe('buildRunInstancesInput', () => {
  it('builds the base sample request', () => {
    const tagList = [
      { Key: 'Name', Value: 'm1' },
      { Key: 'capi-fn.io/machine-uid', Value: 'uid-1' },
    ];
    expect(input()).toEqual({
      ImageId: 'ami-0d8a2f6c7f7a5e3b1',
      InstanceType: 'm5.large',
      MinCount: 1,
      MaxCount: 1,
      ClientToken: 'uid-1-1',
      UserData: 'eyJpZ25pdGlvbiI6e319',
      IamInstanceProfile: { Name: 'ocp-aws-7xk2p-worker-profile' },
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0a', Groups: ['sg-node', 'sg-lb'] }],
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tagList },
        { ResourceType: 'volume', Tags: tagList },
        { ResourceType: 'network-interface', Tags: tagList },
      ],
    });
  });

  it('EFA and a partition placement group', () => {
    const i = input({
      instanceType: 'c5n.18xlarge',
      networkInterfaceType: 'efa',
      placementGroupName: 'pg1',
      placementGroupPartition: 3,
    });
    expect(i.NetworkInterfaces?.[0]?.InterfaceType).toBe('efa');
    expect(i.Placement).toEqual({ GroupName: 'pg1', PartitionNumber: 3 });
  });

  it('IMDS options, unset ones from the CRD defaults', () => {
    expect(
      input({ instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 } }).MetadataOptions,
    ).toEqual({
      HttpEndpoint: 'enabled',
      HttpProtocolIpv6: 'disabled',
      HttpPutResponseHopLimit: 2,
      HttpTokens: 'required',
      InstanceMetadataTags: 'disabled',
    });
    expect(input().MetadataOptions).toBeUndefined();
  });

  it('dedicated tenancy and a specific dedicated host', () => {
    expect(input({ tenancy: 'dedicated' }).Placement).toEqual({ Tenancy: 'dedicated' });
    expect(input({ tenancy: 'host', hostAffinity: 'host', hostID: 'h-09dcf61cb388b0149' }).Placement).toEqual({
      Tenancy: 'host',
      HostId: 'h-09dcf61cb388b0149',
      Affinity: 'host',
    });
    expect(input({ hostID: 'h-1' }).Placement).toEqual({ Tenancy: 'host', HostId: 'h-1', Affinity: 'default' });
  });

  it('spot, with and without a max price', () => {
    expect(input({ spotMarketOptions: {} }).InstanceMarketOptions).toEqual({
      MarketType: 'spot',
      SpotOptions: { InstanceInterruptionBehavior: 'terminate', SpotInstanceType: 'one-time' },
    });
    expect(
      input({ marketType: 'Spot', spotMarketOptions: { maxPrice: '0.08' } }).InstanceMarketOptions?.SpotOptions
        ?.MaxPrice,
    ).toBe('0.08');
  });

  it('root and non-root gp3 volumes with throughput', () => {
    const i = input({
      rootVolume: { size: 120, type: 'gp3', throughput: 250, encrypted: true },
      nonRootVolumes: [
        { deviceName: '/dev/xvdb', size: 200, type: 'gp3', throughput: 500, iops: 4000, encryptionKey: 'arn:kms' },
      ],
    });
    expect(i.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: { DeleteOnTermination: true, VolumeSize: 120, VolumeType: 'gp3', Throughput: 250, Encrypted: true },
      },
      {
        DeviceName: '/dev/xvdb',
        Ebs: {
          DeleteOnTermination: true,
          VolumeSize: 200,
          VolumeType: 'gp3',
          Iops: 4000,
          Throughput: 500,
          Encrypted: true,
          KmsKeyId: 'arn:kms',
        },
      },
    ]);
  });

  it.each([
    [
      {
        capacityReservationId: 'cr-1',
        capacityReservationPreference: 'CapacityReservationsOnly',
        marketType: 'CapacityBlock',
      },
      { MarketType: 'capacity-block' },
      {
        CapacityReservationTarget: { CapacityReservationId: 'cr-1' },
        CapacityReservationPreference: 'capacity-reservations-only',
      },
    ],
    [{ capacityReservationPreference: 'Open' }, undefined, { CapacityReservationPreference: 'open' }],
    [{ capacityReservationPreference: 'None' }, undefined, { CapacityReservationPreference: 'none' }],
    [
      { capacityReservationId: 'cr-2', marketType: 'OnDemand' },
      undefined,
      { CapacityReservationTarget: { CapacityReservationId: 'cr-2' } },
    ],
  ] as Array<[Partial<AWSMachineSpec>, unknown, unknown]>)('capacity reservation %#', (spec, market, reservation) => {
    const i = input(spec);
    expect(i.InstanceMarketOptions).toEqual(market);
    expect(i.CapacityReservationSpecification).toEqual(reservation);
  });

  it('public IP, key pairs and DNS options', () => {
    expect(input({ publicIP: false }).NetworkInterfaces?.[0]?.AssociatePublicIpAddress).toBe(false);
    expect(input({}, { clusterSshKeyName: 'cluster-key' }).KeyName).toBe('cluster-key');
    expect(input({ sshKeyName: 'mine' }, { clusterSshKeyName: 'cluster-key' }).KeyName).toBe('mine');
    expect(input({ sshKeyName: '' }, { clusterSshKeyName: 'cluster-key' }).KeyName).toBeUndefined();
    expect(input().KeyName).toBeUndefined();
    expect(
      input({ privateDnsName: { hostnameType: 'resource-name', enableResourceNameDnsARecord: true } })
        .PrivateDnsNameOptions,
    ).toEqual({
      HostnameType: 'resource-name',
      EnableResourceNameDnsARecord: true,
    });
    expect(input({ cpuOptions: { confidentialCompute: 'AMDEncryptedVirtualizationNestedPaging' } }).CpuOptions).toEqual(
      {
        AmdSevSnp: 'enabled',
      },
    );
  });

  it('IPv6 subnets get a primary IPv6 address', () => {
    expect(input({}, { subnetIpv6: true }).NetworkInterfaces?.[0]).toMatchObject({
      PrimaryIpv6: true,
      Ipv6AddressCount: 1,
    });
  });

  it('existing network interfaces replace the subnet and are not tagged by the request', () => {
    const i = input({ networkInterfaces: ['eni-1', 'eni-2'] }, { subnetId: undefined });
    expect(i.NetworkInterfaces).toEqual([
      { NetworkInterfaceId: 'eni-1', DeviceIndex: 0 },
      { NetworkInterfaceId: 'eni-2', DeviceIndex: 1 },
    ]);
    expect(i.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
  });

  it('leaves out security groups when none were asked for (the VPC default applies)', () => {
    expect(input({}, { securityGroupIds: [] }).NetworkInterfaces?.[0]).toEqual({
      DeviceIndex: 0,
      SubnetId: 'subnet-0a',
    });
  });

  it.each([
    [{ spotMarketOptions: {}, capacityReservationId: 'cr-1' }, {}, /spot instances cannot use a capacity reservation/],
    [{ marketType: 'CapacityBlock' }, {}, /CapacityBlock needs capacityReservationId/],
    [
      { marketType: 'CapacityBlock', capacityReservationId: 'cr', spotMarketOptions: {} },
      {},
      /cannot be combined with spotMarketOptions/,
    ],
    [{ placementGroupPartition: 2 }, {}, /placementGroupPartition needs placementGroupName/],
    [{ rootVolume: { size: 8 } }, {}, /smaller than AMI .*16 GiB/],
    [{ rootVolume: { size: 20 } }, { image: {} }, /has no RootDeviceName/],
    [{ nonRootVolumes: [{ size: 20 }] }, {}, /nonRootVolumes\[0\] needs deviceName/],
    [{ dynamicHostAllocation: { tags: { a: 'b' } } }, {}, /dynamicHostAllocation is not supported/],
    [{ elasticIpPool: {} }, {}, /elasticIpPool/],
    [{}, { subnetId: undefined }, /no subnet/],
  ] as Array<[Partial<AWSMachineSpec>, Partial<LaunchPlan>, RegExp]>)(
    'refuses inconsistent input %#',
    (spec, extra, problem) => {
      const r = buildRunInstancesInput(plan(spec, extra));
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.problems.join('\n')).toMatch(problem);
    },
  );

  it('is deterministic', () => {
    expect(input({ additionalTags: { b: '1', a: '2' } })).toEqual(input({ additionalTags: { b: '1', a: '2' } }));
  });
});
