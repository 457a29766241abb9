import { Annotations } from '../../../shared/api/capi/constants.ts';
import type { AWSCluster } from '../../../shared/api/providers/aws.ts';
import { falseCondition, setCondition, summary, trueCondition } from '../../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../../shared/events/resource-event.ts';
import { clusterNameOf, findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { pausedState } from '../../../shared/reconcile/paused.ts';
import { clone, isDeleting, updateIfChanged, updateStatusIfChanged } from '../../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../../shared/runtime/handler.ts';
import type { Ec2Api } from './cloud.ts';
import { classifyAwsError } from './errors.ts';
import { type AwsProviderTimings, FIELD_MANAGER } from './options.ts';

/** The `cluster.x-k8s.io/managed-by` value that means "capi-fn's AWS provider"; absent means the same. */
export const AWS_CLUSTER_MANAGER = 'capi-fn-aws-provider';

export const REGION_READY = 'RegionReady';
export const VPC_READY = 'VpcReady';
export const SUBNETS_READY = 'SubnetsReady';
const CHECKS = [REGION_READY, VPC_READY, SUBNETS_READY];

type Status = NonNullable<AWSCluster['status']>;
export type CheckResult = { ok: true } | { ok: false; reason: string; message: string };
export interface NetworkValidation {
  checks: Partial<Record<string, CheckResult>>;
  zones?: string[];
}

/** A condition reason from an AWS code: `InvalidVpcID.NotFound` stays, `HTTP 500` becomes `HTTP500`. */
export function reasonFromCode(code: string): string {
  return code.replace(/[^A-Za-z0-9.]/g, '') || 'Unknown';
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

/** Status from the checks: conditions, failure domains (AZ → controlPlane: true), readiness. */
export function clusterStatus(current: Status | undefined, v: NetworkValidation, now: Date): Status {
  const s = clone(current ?? {});
  let conds = (s.conditions ?? []).filter((c) => !CHECKS.includes(c.type) || v.checks[c.type] !== undefined);
  for (const type of CHECKS) {
    const r = v.checks[type];
    if (!r) continue;
    conds = setCondition(conds, r.ok ? trueCondition(type) : falseCondition(type, r.reason, 'Error', r.message), now);
  }
  conds = setCondition(conds, summary(conds, CHECKS), now);
  s.conditions = conds;
  const ok = CHECKS.every((type) => v.checks[type]?.ok !== false) && v.checks[REGION_READY]?.ok === true;
  s.ready = ok;
  if (v.zones) s.failureDomains = Object.fromEntries(v.zones.map((z) => [z, { controlPlane: true }]));
  return s;
}

function endpointSet(e: { host?: string; port?: number } | undefined): e is { host: string; port: number } {
  return Boolean(e?.host) && Boolean(e?.port);
}

export async function reconcileAwsCluster(
  ref: ObjectRef,
  ctx: HandlerContext<Ec2Api>,
  t: AwsProviderTimings,
): Promise<ReconcileResult | undefined> {
  const { kube, cloud, clock, log } = ctx;
  // Nothing in the cloud belongs to an AWSCluster (adopted, never created): no finalizer, no deletion work.
  let ac = await kube.find<AWSCluster>(ref);
  if (!ac || isDeleting(ac)) return undefined;
  const managedBy = ac.metadata.annotations?.[Annotations.managedBy];
  if (managedBy !== undefined && managedBy !== AWS_CLUSTER_MANAGER) return undefined;

  const cluster = await findCluster(kube, ac.metadata.namespace!, clusterNameOf(ac));
  if (pausedState(cluster, ac).paused) return undefined;

  // The endpoint OpenShift wrote stays as it is; only a missing one is taken from the Cluster.
  if (!endpointSet(ac.spec?.controlPlaneEndpoint) && endpointSet(cluster?.spec?.controlPlaneEndpoint)) {
    const want = clone(ac);
    want.spec = { ...(want.spec ?? {}), controlPlaneEndpoint: { ...cluster.spec.controlPlaneEndpoint } };
    ac = await updateIfChanged(kube, ac, want, FIELD_MANAGER);
  }

  const v = await validateNetwork(cloud, ac);
  const status = clusterStatus(ac.status, v, clock.now());
  if (!status.ready) {
    const failed = Object.entries(v.checks).find(([, r]) => r && !r.ok);
    log.info(
      { check: failed?.[0], reason: failed && !failed[1]!.ok ? failed[1]!.reason : undefined },
      'AWSCluster not ready',
    );
  }
  await updateStatusIfChanged(kube, ac, status, FIELD_MANAGER);
  return status.ready ? undefined : { requeueAfter: t.clusterRetryMs };
}
