// The kit's port over EC2: identity is the `capi-fn.io/machine-uid` tag (EC2 has no unique names), the
// ownership marker CAPA's `sigs.k8s.io/cluster-api-provider-aws/cluster/<name>=owned` tag, idempotency the
// RunInstances ClientToken. One port per region.
import type { Filter, Instance, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import type { CloudInstance, CloudPort, InstanceState } from '../kit/port.ts';
import type { Ec2Api, RegionName } from './cloud.ts';
import { instanceAddresses } from './instance-status.ts';
import { formatProviderID } from './provider-id.ts';
import { CAPA_CLUSTER_TAG_PREFIX, IDENTITY_TAG, identityFilters, NOT_TERMINATED_STATES, tagValue } from './tags.ts';

const STATES: Record<string, InstanceState> = {
  pending: 'pending',
  running: 'running',
  stopping: 'stopped',
  stopped: 'stopped',
  'shutting-down': 'terminating',
  terminated: 'gone',
};

function ownerCluster(inst: Instance): string | undefined {
  const t = inst.Tags?.find((x) => x.Key?.startsWith(CAPA_CLUSTER_TAG_PREFIX) && x.Value === 'owned');
  return t?.Key?.slice(CAPA_CLUSTER_TAG_PREFIX.length);
}

export function toCloudInstance(inst: Instance): CloudInstance {
  const id = inst.InstanceId!;
  const native = inst.State?.Name ?? '';
  const state = STATES[native] ?? 'failed';
  const zone = inst.Placement?.AvailabilityZone ?? '';
  return {
    id,
    providerID: formatProviderID(zone, id),
    state,
    nativeState: native,
    transitioning: native === 'stopping',
    addresses: instanceAddresses(inst),
    ...(zone ? { failureDomain: zone } : {}),
    owner: { cluster: ownerCluster(inst), machineUid: tagValue(inst.Tags, IDENTITY_TAG) },
    ...(inst.LaunchTime ? { createdAt: new Date(inst.LaunchTime).toISOString() } : {}),
    ...(inst.PrivateDnsName ? { hostname: inst.PrivateDnsName } : {}),
    ...(inst.InstanceType ? { instanceType: inst.InstanceType } : {}),
    // Upstream's words for the only states it makes terminal (CAPA `UpdateError`).
    ...(state === 'gone' || state === 'failed'
      ? { failureMessage: `EC2 instance state ${JSON.stringify(native)} is unexpected (instance ${id})` }
      : {}),
    raw: inst,
  };
}

export function ownedFilters(clusterName: string | undefined): Filter[] {
  return [
    { Name: 'tag-key', Values: [IDENTITY_TAG] },
    ...(clusterName ? [{ Name: `tag:${CAPA_CLUSTER_TAG_PREFIX}${clusterName}`, Values: ['owned'] }] : []),
    { Name: 'instance-state-name', Values: [...NOT_TERMINATED_STATES] },
  ];
}

export function awsPort(ec2: Ec2Api, region: RegionName): CloudPort<RunInstancesCommandInput> {
  return {
    async find(identity) {
      const list = await ec2.describeInstances(region, {
        filters: identityFilters(identity.machineUid, NOT_TERMINATED_STATES),
      });
      return list.map(toCloudInstance);
    },
    async get(id) {
      const list = await ec2.describeInstances(region, { instanceIds: [id] });
      const inst = list.find((i) => i.InstanceId === id);
      return inst ? toCloudInstance(inst) : undefined;
    },
    async create(request, key) {
      return toCloudInstance(await ec2.runInstances(region, { ...request, ClientToken: key }));
    },
    async delete(inst) {
      await ec2.terminateInstances(region, [inst.id]);
    },
    async listOwned(scope) {
      return (await ec2.describeInstances(region, { filters: ownedFilters(scope.clusterName) })).map(toCloudInstance);
    },
  };
}
