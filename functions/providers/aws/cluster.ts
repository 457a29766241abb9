// AWSCluster on the kit: it adopts existing infrastructure (OpenShift's externally managed mode). The
// readiness rule: the region answers and is enabled, and the VPC and subnets the spec names exist (and
// the subnets are in that VPC); the region's zones become failure domains. Nothing is created.
import type { AWSCluster } from '../../../shared/api/providers/aws.ts';
import type { CheckResult, ClusterAssessment, InfraClusterDefinition } from '../kit/definition.ts';
import { reasonFromCode } from '../kit/errors.ts';
import type { Ec2Api } from './cloud.ts';
import { classifyAwsError } from './errors.ts';
import { FIELD_MANAGER } from './machine.ts';

/** The `cluster.x-k8s.io/managed-by` value that means "capi-fn's AWS provider"; absent means the same. */
export const AWS_CLUSTER_MANAGER = 'capi-fn-aws-provider';

export const REGION_READY = 'RegionReady';
export const VPC_READY = 'VpcReady';
export const SUBNETS_READY = 'SubnetsReady';
const CHECKS = [REGION_READY, VPC_READY, SUBNETS_READY];

export interface NetworkValidation {
  checks: Partial<Record<string, CheckResult>>;
  zones?: string[];
}

function fromError(e: unknown, what: string): CheckResult {
  const c = classifyAwsError(e);
  return { ok: false, reason: reasonFromCode(c.code), message: `${what}: ${c.code}: ${c.message}` };
}

export function subnetIdsOf(ac: AWSCluster): string[] {
  return (ac.spec?.network?.subnets ?? [])
    .map((s) => s.resourceID ?? (s.id?.startsWith('subnet-') ? s.id : undefined))
    .filter((id): id is string => Boolean(id));
}

/** The read-only checks, in order; a region that fails stops the rest (they would fail the same way). */
export async function validateNetwork(cloud: Ec2Api, ac: AWSCluster): Promise<NetworkValidation> {
  const region = ac.spec?.region;
  const out: NetworkValidation = { checks: {} };
  if (!region) {
    out.checks[REGION_READY] = { ok: false, reason: 'RegionNotSet', message: 'spec.region is required' };
    return out;
  }
  try {
    const r = await cloud.describeRegion(region);
    if (!r) {
      out.checks[REGION_READY] = {
        ok: false,
        reason: 'RegionNotFound',
        message: `region ${region} (spec.region) is not offered by EC2 for this account`,
      };
      return out;
    }
    if (r.OptInStatus === 'not-opted-in') {
      out.checks[REGION_READY] = {
        ok: false,
        reason: 'OptInRequired',
        message: `region ${region} needs to be enabled (opted in) for this account`,
      };
      return out;
    }
    const zones = await cloud.describeAvailabilityZones(region);
    out.zones = zones
      .filter((z) => z.State === 'available' && (z.ZoneType === undefined || z.ZoneType === 'availability-zone'))
      .map((z) => z.ZoneName!)
      .sort();
    out.checks[REGION_READY] = { ok: true };
  } catch (e) {
    out.checks[REGION_READY] = fromError(e, `cannot reach EC2 in region ${region}`);
    return out;
  }

  const vpcId = ac.spec?.network?.vpc?.id;
  if (vpcId) {
    try {
      const vpcs = await cloud.describeVpcs(region, [vpcId]);
      out.checks[VPC_READY] = vpcs.some((v) => v.VpcId === vpcId)
        ? { ok: true }
        : {
            ok: false,
            reason: 'InvalidVpcID.NotFound',
            message: `VPC ${vpcId} (spec.network.vpc.id) does not exist in ${region}`,
          };
    } catch (e) {
      out.checks[VPC_READY] = fromError(e, `VPC ${vpcId} (spec.network.vpc.id) in ${region}`);
    }
  }
  const subnetIds = subnetIdsOf(ac);
  if (subnetIds.length) {
    try {
      const subnets = await cloud.describeSubnets(region, { subnetIds });
      const missing = subnetIds.filter((id) => !subnets.some((s) => s.SubnetId === id));
      const elsewhere = vpcId ? subnets.filter((s) => s.VpcId !== vpcId).map((s) => s.SubnetId) : [];
      out.checks[SUBNETS_READY] = missing.length
        ? {
            ok: false,
            reason: 'InvalidSubnetID.NotFound',
            message: `subnets ${missing.join(', ')} do not exist in ${region}`,
          }
        : elsewhere.length
          ? { ok: false, reason: 'SubnetNotInVpc', message: `subnets ${elsewhere.join(', ')} are not in VPC ${vpcId}` }
          : { ok: true };
    } catch (e) {
      out.checks[SUBNETS_READY] = fromError(e, `subnets ${subnetIds.join(', ')} (spec.network.subnets) in ${region}`);
    }
  }
  return out;
}

/** The assessment the kit turns into conditions, readiness and failure domains (AZ → controlPlane: true). */
export function assessment(v: NetworkValidation): ClusterAssessment {
  return {
    checks: v.checks,
    ...(v.zones ? { failureDomains: Object.fromEntries(v.zones.map((z) => [z, { controlPlane: true }])) } : {}),
  };
}

export const awsClusterDefinition: InfraClusterDefinition<Ec2Api, AWSCluster> = {
  name: 'aws',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSCluster' },
  fieldManager: FIELD_MANAGER,
  manager: AWS_CLUSTER_MANAGER,
  checks: CHECKS,
  assess: async (ac, ec2) => assessment(await validateNetwork(ec2, ac)),
};
