// Resolves what RunInstances refers to, before the call: the AMI, the subnet and the security groups.
// Upstream skips security-group filters at launch on externally managed clusters and regroups the
// instance later (reference §2.5); here every reference must resolve first, so an instance never
// boots with the wrong groups and bad input launches nothing. A reference that matches nothing is
// bad input (a condition naming it); any other EC2 error is thrown for the caller to classify.
import type { Image, Subnet } from '@aws-sdk/client-ec2';
import type { AWSCluster, AWSMachineSpec } from '../../../shared/api/providers/aws.ts';
import type { Ec2Api, RegionName } from './cloud.ts';
import { classifyAwsError } from './errors.ts';
import { chooseSubnet, clusterSubnetId, describeRef, subnetQuery, toEc2Filters } from './select.ts';

export type Resolved<T> = { ok: true; value: T } | { ok: false; reason: string; message: string };

const where = (region: RegionName) => (region ? ` in ${region}` : '');

async function orNotFound<T>(call: () => Promise<T[]>): Promise<T[]> {
  try {
    return await call();
  } catch (e) {
    if (classifyAwsError(e).class === 'not-found') return [];
    throw e;
  }
}

export async function resolveImage(cloud: Ec2Api, region: RegionName, spec: AWSMachineSpec): Promise<Resolved<Image>> {
  const id = spec.ami?.id;
  if (!id) {
    return {
      ok: false,
      reason: 'ImageNotFound',
      message: 'spec.ami.id is not set; capi-fn launches the AMI it names and does not look images up by version',
    };
  }
  // moto (and EC2 for some malformed IDs) would launch an unknown AMI or fail late; asking first
  // turns a wrong ID into a clear condition and no instance.
  const images = await orNotFound(() => cloud.describeImages(region, [id]));
  const image = images.find((i) => i.ImageId === id);
  if (!image) {
    return {
      ok: false,
      reason: 'ImageNotFound',
      message: `AMI ${id} (spec.ami.id) does not exist${where(region)} or is not shared with this account`,
    };
  }
  if (image.State && image.State !== 'available') {
    return {
      ok: false,
      reason: 'ImageNotAvailable',
      message: `AMI ${id} (spec.ami.id) is ${image.State}, not available`,
    };
  }
  return { ok: true, value: image };
}

/**
 * The instance type must be offered in the region: EC2 would refuse the launch, and moto would launch any
 * string. Asking first names the field in the condition and creates nothing.
 */
export async function resolveInstanceType(
  cloud: Ec2Api,
  region: RegionName,
  spec: AWSMachineSpec,
): Promise<Resolved<string>> {
  const type = spec.instanceType;
  const missing = {
    ok: false as const,
    reason: 'InstanceTypeNotFound',
    message: `spec.instanceType "${type}" is not an instance type EC2 offers${where(region)}`,
  };
  let offered: Awaited<ReturnType<Ec2Api['describeInstanceTypes']>>;
  try {
    offered = await cloud.describeInstanceTypes(region, [type]);
  } catch (e) {
    const c = classifyAwsError(e);
    if (c.code === 'InvalidInstanceType' || c.class === 'not-found') return missing;
    throw e;
  }
  return offered.some((t) => t.InstanceType === type) ? { ok: true, value: type } : missing;
}

export interface SubnetInput {
  spec: AWSMachineSpec;
  failureDomain?: string | undefined;
  awsCluster?: AWSCluster | undefined;
}

export async function resolveSubnet(cloud: Ec2Api, region: RegionName, i: SubnetInput): Promise<Resolved<Subnet>> {
  const ref = i.spec.subnet;
  const vpcId = i.awsCluster?.spec?.network?.vpc?.id;
  if (ref && (ref.id || ref.filters?.length)) {
    const subnets = await cloud.describeSubnets(region, { filters: subnetQuery(ref) });
    const choice = chooseSubnet(subnets, { failureDomain: i.failureDomain, vpcId });
    if (!choice.subnet) {
      return {
        ok: false,
        reason: 'SubnetNotFound',
        message: `spec.subnet (${describeRef(ref)}): ${choice.why}${where(region)}`,
      };
    }
    return { ok: true, value: choice.subnet };
  }
  const id = clusterSubnetId(i.awsCluster?.spec?.network?.subnets, {
    failureDomain: i.failureDomain,
    publicIP: i.spec.publicIP,
  });
  if (!id) {
    return {
      ok: false,
      reason: 'SubnetNotFound',
      message:
        'spec.subnet is not set and the AWSCluster lists no usable subnet' +
        (i.failureDomain ? ` in ${i.failureDomain}` : '') +
        '; set spec.subnet.id or spec.subnet.filters',
    };
  }
  const subnets = await cloud.describeSubnets(region, { filters: subnetQuery({ id }) });
  if (!subnets[0]) {
    return { ok: false, reason: 'SubnetNotFound', message: `AWSCluster subnet ${id} does not exist${where(region)}` };
  }
  return { ok: true, value: subnets[0] };
}

/**
 * Every `additionalSecurityGroups` entry must match at least one group. Filter entries are confined
 * to the subnet's VPC (a group elsewhere cannot be attached, and a tag:Name can repeat across VPCs).
 */
export async function resolveSecurityGroups(
  cloud: Ec2Api,
  region: RegionName,
  spec: AWSMachineSpec,
  vpcId: string | undefined,
): Promise<Resolved<string[]>> {
  const ids: string[] = [];
  for (const [n, ref] of (spec.additionalSecurityGroups ?? []).entries()) {
    if (!ref.id && !ref.filters?.length) {
      return {
        ok: false,
        reason: 'SecurityGroupNotFound',
        message: `additionalSecurityGroups[${n}] has neither id nor filters`,
      };
    }
    const filters = [
      ...(ref.id ? [{ Name: 'group-id', Values: [ref.id] }] : []),
      ...toEc2Filters(ref.filters),
      ...(!ref.id && vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : []),
    ];
    const groups = await cloud.describeSecurityGroups(region, { filters });
    if (groups.length === 0) {
      return {
        ok: false,
        reason: 'SecurityGroupNotFound',
        message: `additionalSecurityGroups[${n}] (${describeRef(ref)}) matches no security group${!ref.id && vpcId ? ` in ${vpcId}` : ''}${where(region)}`,
      };
    }
    for (const g of groups) if (g.GroupId && !ids.includes(g.GroupId)) ids.push(g.GroupId);
  }
  return { ok: true, value: ids };
}

/** The root snapshot size of an AMI (a rootVolume may not be smaller). */
export function rootSnapshotSizeGiB(image: Image): number | undefined {
  return image.BlockDeviceMappings?.find((b) => b.DeviceName === image.RootDeviceName)?.Ebs?.VolumeSize;
}
