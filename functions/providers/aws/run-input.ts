// The RunInstances request for one AWSMachine (reference §2.3), built from the spec, the AWSCluster
// and the references resolved before the call. Pure: every value comes from the plan, so the same
// machine always produces the same request (the ClientToken makes a repeat a no-op on real EC2).
import type {
  BlockDeviceMapping,
  InstanceNetworkInterfaceSpecification,
  RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { AWSMachineSpec } from '../../../shared/api/providers/aws.ts';
import { tagSpecifications } from './tags.ts';

type Volume = NonNullable<AWSMachineSpec['rootVolume']>;

export interface LaunchPlan {
  spec: AWSMachineSpec;
  imageId: string;
  /** The AMI's RootDeviceName (where rootVolume goes) and the size of its root snapshot in GiB. */
  image?: { rootDeviceName?: string | undefined; rootSnapshotSizeGiB?: number | undefined } | undefined;
  /** Absent only when `spec.networkInterfaces` names existing ENIs. */
  subnetId?: string | undefined;
  /** The subnet is IPv6-native: the primary interface then needs an IPv6 address. */
  subnetIpv6?: boolean | undefined;
  securityGroupIds: string[];
  /** Base64 of the bytes EC2 passes to the instance. */
  userData: string;
  tags: Record<string, string>;
  clientToken: string;
  clusterSshKeyName?: string | undefined;
}

export type RunInputResult = { ok: true; input: RunInstancesCommandInput } | { ok: false; problems: string[] };

const CAPACITY_RESERVATION_PREFERENCE = {
  None: 'none',
  CapacityReservationsOnly: 'capacity-reservations-only',
  Open: 'open',
} as const;

function ebs(v: Volume): NonNullable<BlockDeviceMapping['Ebs']> {
  return {
    DeleteOnTermination: true,
    VolumeSize: v.size,
    ...(v.type ? { VolumeType: v.type } : {}),
    ...(v.iops !== undefined ? { Iops: v.iops } : {}),
    ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
    // A customer key implies encryption (upstream sets both).
    ...(v.encrypted !== undefined || v.encryptionKey ? { Encrypted: Boolean(v.encrypted || v.encryptionKey) } : {}),
    ...(v.encryptionKey ? { KmsKeyId: v.encryptionKey } : {}),
  };
}

export function buildRunInstancesInput(p: LaunchPlan): RunInputResult {
  const s = p.spec;
  const problems: string[] = [];
  const spot = s.spotMarketOptions !== undefined || s.marketType === 'Spot';

  if (spot && s.capacityReservationId)
    problems.push('spot instances cannot use a capacity reservation (capacityReservationId)');
  if (s.marketType === 'CapacityBlock' && s.spotMarketOptions)
    problems.push('marketType CapacityBlock cannot be combined with spotMarketOptions');
  if (s.marketType === 'CapacityBlock' && !s.capacityReservationId)
    problems.push('marketType CapacityBlock needs capacityReservationId');
  if (s.placementGroupPartition !== undefined && !s.placementGroupName)
    problems.push('placementGroupPartition needs placementGroupName');
  if (s.dynamicHostAllocation) {
    problems.push(
      'dynamicHostAllocation is not supported by capi-fn; allocate a Dedicated Host and set hostID instead',
    );
  }
  if (s.elasticIpPool) problems.push('elasticIpPool (BYO public IPv4) is not supported by capi-fn');
  if (!s.networkInterfaces?.length && !p.subnetId) problems.push('no subnet to launch into');

  const blockDevices: BlockDeviceMapping[] = [];
  if (s.rootVolume) {
    const rootDevice = p.image?.rootDeviceName;
    if (!rootDevice) problems.push(`AMI ${p.imageId} has no RootDeviceName; rootVolume cannot be applied`);
    const min = p.image?.rootSnapshotSizeGiB;
    if (min !== undefined && s.rootVolume.size < min) {
      problems.push(
        `rootVolume.size ${s.rootVolume.size} GiB is smaller than AMI ${p.imageId}'s root snapshot (${min} GiB)`,
      );
    }
    if (rootDevice) blockDevices.push({ DeviceName: rootDevice, Ebs: ebs(s.rootVolume) });
  }
  for (const [i, v] of (s.nonRootVolumes ?? []).entries()) {
    if (!v.deviceName) problems.push(`nonRootVolumes[${i}] needs deviceName`);
    else blockDevices.push({ DeviceName: v.deviceName, Ebs: ebs(v) });
  }
  if (problems.length) return { ok: false, problems };

  let networkInterfaces: InstanceNetworkInterfaceSpecification[];
  if (s.networkInterfaces?.length) {
    networkInterfaces = s.networkInterfaces.map((id, i) => ({ NetworkInterfaceId: id, DeviceIndex: i }));
  } else {
    networkInterfaces = [
      {
        DeviceIndex: 0,
        SubnetId: p.subnetId!,
        ...(p.securityGroupIds.length ? { Groups: [...p.securityGroupIds] } : {}),
        ...(s.publicIP !== undefined ? { AssociatePublicIpAddress: s.publicIP } : {}),
        ...(s.networkInterfaceType ? { InterfaceType: s.networkInterfaceType } : {}),
        ...(p.subnetIpv6 ? { PrimaryIpv6: true, Ipv6AddressCount: 1 } : {}),
      },
    ];
  }

  const keyName = s.sshKeyName ?? p.clusterSshKeyName;
  const input: RunInstancesCommandInput = {
    ImageId: p.imageId,
    InstanceType: s.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: p.clientToken,
    UserData: p.userData,
    NetworkInterfaces: networkInterfaces,
    TagSpecifications: tagSpecifications(
      p.tags,
      // Tags on an ENI the request itself creates; existing ENIs keep their own.
      s.networkInterfaces?.length ? ['instance', 'volume'] : ['instance', 'volume', 'network-interface'],
    ),
  };
  // Upstream falls back to a key pair named "default"; capi-fn adopts existing infrastructure
  // (externally managed, where upstream skips that fallback too), so only an explicit key is used.
  if (keyName) input.KeyName = keyName;
  if (s.iamInstanceProfile) input.IamInstanceProfile = { Name: s.iamInstanceProfile };
  if (blockDevices.length) input.BlockDeviceMappings = blockDevices;

  if (spot) {
    input.InstanceMarketOptions = {
      MarketType: 'spot',
      SpotOptions: {
        InstanceInterruptionBehavior: 'terminate',
        SpotInstanceType: 'one-time',
        ...(s.spotMarketOptions?.maxPrice ? { MaxPrice: s.spotMarketOptions.maxPrice } : {}),
      },
    };
  } else if (s.marketType === 'CapacityBlock') {
    input.InstanceMarketOptions = { MarketType: 'capacity-block' };
  }

  if (s.capacityReservationId || s.capacityReservationPreference) {
    input.CapacityReservationSpecification = {
      ...(s.capacityReservationId
        ? { CapacityReservationTarget: { CapacityReservationId: s.capacityReservationId } }
        : {}),
      ...(s.capacityReservationPreference
        ? { CapacityReservationPreference: CAPACITY_RESERVATION_PREFERENCE[s.capacityReservationPreference] }
        : {}),
    };
  }

  if (s.instanceMetadataOptions) {
    // Unset sub-fields take the CRD defaults upstream's API server would have filled in.
    const m = s.instanceMetadataOptions;
    input.MetadataOptions = {
      HttpEndpoint: m.httpEndpoint ?? 'enabled',
      HttpProtocolIpv6: m.httpProtocolIPv6 ?? 'disabled',
      HttpPutResponseHopLimit: m.httpPutResponseHopLimit ?? 1,
      HttpTokens: m.httpTokens ?? 'optional',
      InstanceMetadataTags: m.instanceMetadataTags ?? 'disabled',
    };
  }

  const placement: NonNullable<RunInstancesCommandInput['Placement']> = {};
  if (s.tenancy) placement.Tenancy = s.tenancy;
  if (s.placementGroupName) placement.GroupName = s.placementGroupName;
  if (s.placementGroupPartition !== undefined) placement.PartitionNumber = s.placementGroupPartition;
  if (s.hostID) {
    placement.Tenancy = s.tenancy ?? 'host';
    placement.HostId = s.hostID;
    placement.Affinity = s.hostAffinity ?? 'default';
  } else if (s.hostAffinity) {
    placement.Affinity = s.hostAffinity;
  }
  if (Object.keys(placement).length) input.Placement = placement;

  if (s.privateDnsName) {
    input.PrivateDnsNameOptions = {
      ...(s.privateDnsName.hostnameType ? { HostnameType: s.privateDnsName.hostnameType } : {}),
      ...(s.privateDnsName.enableResourceNameDnsARecord !== undefined
        ? { EnableResourceNameDnsARecord: s.privateDnsName.enableResourceNameDnsARecord }
        : {}),
      ...(s.privateDnsName.enableResourceNameDnsAAAARecord !== undefined
        ? { EnableResourceNameDnsAAAARecord: s.privateDnsName.enableResourceNameDnsAAAARecord }
        : {}),
    };
  }
  if (s.cpuOptions?.confidentialCompute === 'AMDEncryptedVirtualizationNestedPaging') {
    input.CpuOptions = { AmdSevSnp: 'enabled' };
  }
  return { ok: true, input };
}
