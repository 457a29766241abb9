// Pure choices over what Describe* returned: which subnet a machine launches into (CAPA `findSubnet`,
// reference §2.4) and how references are shown in conditions.
import type { Filter as Ec2Filter, Subnet } from '@aws-sdk/client-ec2';
import type { AWSResourceReference } from '../../../shared/api/providers/aws.ts';

/** Subnets tagged so are secondary (e.g. for pod networking) and never host a machine's primary ENI. */
export const SECONDARY_SUBNET_TAG = 'sigs.k8s.io/cluster-api-provider-aws/association';

export function toEc2Filters(filters: AWSResourceReference['filters']): Ec2Filter[] {
  return (filters ?? []).map((f) => ({ Name: f.name, Values: [...f.values] }));
}

/** `id subnet-1` or `filters tag:Name=a|b, vpc-id=v`: how a reference reads in a condition. */
export function describeRef(ref: AWSResourceReference): string {
  const parts: string[] = [];
  if (ref.id) parts.push(`id ${ref.id}`);
  if (ref.filters?.length)
    parts.push(`filters ${ref.filters.map((f) => `${f.name}=${f.values.join('|')}`).join(', ')}`);
  return parts.join(' and ') || 'an empty reference';
}

/** DescribeSubnets filters for `spec.subnet` (state, id, user filters) — filters never error on absence. */
export function subnetQuery(ref: AWSResourceReference): Ec2Filter[] {
  return [
    { Name: 'state', Values: ['pending', 'available'] },
    ...(ref.id ? [{ Name: 'subnet-id', Values: [ref.id] }] : []),
    ...toEc2Filters(ref.filters),
  ];
}

export type SubnetChoice = { subnet: Subnet } | { subnet?: undefined; why: string };

/**
 * The first usable subnet: in the Machine's failure domain when it has one (checked after the query,
 * as upstream), not a secondary subnet, preferring the AWSCluster's VPC; ties keep EC2's order.
 */
export function chooseSubnet(
  subnets: Subnet[],
  o: { failureDomain?: string | undefined; vpcId?: string | undefined },
): SubnetChoice {
  if (subnets.length === 0) return { why: 'no subnet matches' };
  let usable = subnets.filter((s) => s.Tags?.find((t) => t.Key === SECONDARY_SUBNET_TAG)?.Value !== 'secondary');
  if (usable.length === 0) return { why: `every matching subnet is tagged ${SECONDARY_SUBNET_TAG}=secondary` };
  if (o.failureDomain) {
    usable = usable.filter((s) => s.AvailabilityZone === o.failureDomain);
    if (usable.length === 0) {
      return {
        why: `no matching subnet is in the Machine's failure domain ${o.failureDomain} (matches are in ${[...new Set(subnets.map((s) => s.AvailabilityZone))].join(', ')})`,
      };
    }
  }
  const preferred = o.vpcId ? usable.filter((s) => s.VpcId === o.vpcId) : [];
  return { subnet: (preferred.length ? preferred : usable)[0]! };
}

export interface ClusterSubnet {
  id?: string | undefined;
  resourceID?: string | undefined;
  availabilityZone?: string | undefined;
  isPublic?: boolean | undefined;
}

/** Without `spec.subnet`: the AWSCluster's first subnet of the right kind, in the failure domain if any. */
export function clusterSubnetId(
  subnets: ClusterSubnet[] | undefined,
  o: { failureDomain?: string | undefined; publicIP?: boolean | undefined },
): string | undefined {
  const idOf = (s: ClusterSubnet) => s.resourceID ?? (s.id?.startsWith('subnet-') ? s.id : undefined);
  const candidates = (subnets ?? []).filter((s) => idOf(s) && Boolean(s.isPublic) === Boolean(o.publicIP));
  const inZone = o.failureDomain ? candidates.filter((s) => s.availabilityZone === o.failureDomain) : candidates;
  const first = inZone[0];
  return first ? idOf(first) : undefined;
}
