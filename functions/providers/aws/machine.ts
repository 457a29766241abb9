// AWSMachine on the kit (reference §2.1): the RunInstances request from the spec, the AWSCluster and
// the references resolved before the call; the region; the recorded instance ID; and the status details
// only EC2 has (Spot, the VPC's DHCP domain in the addresses). Intent, lease, lookup, ownership,
// finalizer, conditions and deletion are the kit's.
import type { Instance, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import type { AWSCluster, AWSMachine } from '../../../shared/api/providers/aws.ts';
import { AWSMachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import { setMachineCondition } from '../kit/status.ts';
import type { Ec2Api } from './cloud.ts';
import { classifyAwsError } from './errors.ts';
import { instanceAddresses } from './instance-status.ts';
import { awsPort } from './port.ts';
import { parseProviderID, regionOfZone } from './provider-id.ts';
import {
  resolveImage,
  resolveInstanceType,
  resolveSecurityGroups,
  resolveSubnet,
  rootSnapshotSizeGiB,
} from './resolve.ts';
import { buildRunInstancesInput } from './run-input.ts';
import { machineTags } from './tags.ts';
import { buildUserData } from './user-data.ts';

export const AWS_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSMachine' };
export const FIELD_MANAGER = 'capi-fn-aws-provider';
export const SECURITY_GROUPS_READY = 'SecurityGroupsReady';

export const awsMachineDefinition: InfraMachineDefinition<Ec2Api, RunInstancesCommandInput, AWSMachine, AWSCluster> = {
  name: 'aws',
  machine: AWS_MACHINE,
  clusterKind: 'AWSCluster',
  finalizer: AWSMachineFinalizer,
  fieldManager: FIELD_MANAGER,
  cloudName: 'EC2',
  instanceNoun: 'EC2 instance',
  recordedIdField: 'spec.instanceID',
  deletingState: 'shutting-down',
  extraConditions: [SECURITY_GROUPS_READY],
  port: awsPort,
  classify: classifyAwsError,
  locate({ im, infraCluster, intent }) {
    const zone = parseProviderID(im.spec.providerID)?.availabilityZone;
    return infraCluster?.spec?.region ?? intent?.location ?? (zone ? regionOfZone(zone) : undefined);
  },
  recordedId: (am) => am.spec.instanceID,
  recordIdentity(spec, inst) {
    spec.instanceID = inst.id;
    spec.providerID = inst.providerID;
  },

  async prepare(s): Promise<Prepared<RunInstancesCommandInput>> {
    const { im: am, client: ec2, location: region } = s;
    const ud = buildUserData(s.bootstrap, am.spec);
    if (!ud.ok) return { ok: false, reason: ud.reason, message: ud.message };

    const tags = machineTags({
      clusterName: s.machine.spec.clusterName,
      awsMachineName: am.metadata.name!,
      namespace: am.metadata.namespace!,
      machineName: s.machine.metadata.name!,
      machineUid: s.machineUid,
      role: s.role,
      clusterAdditionalTags: s.infraCluster?.spec?.additionalTags,
      machineAdditionalTags: am.spec.additionalTags,
    });
    if (tags.problems.length) return { ok: false, reason: 'InvalidTags', message: tags.problems.join('; ') };

    // Every reference resolves first, so an instance never boots with the wrong groups and bad input
    // launches nothing (EC2 errors here are thrown, for the kit to classify).
    const image = await resolveImage(ec2, region, am.spec);
    if (!image.ok) return image;
    const type = await resolveInstanceType(ec2, region, am.spec);
    if (!type.ok) return type;
    let subnet:
      | { SubnetId?: string | undefined; VpcId?: string | undefined; Ipv6Native?: boolean | undefined }
      | undefined;
    if (!am.spec.networkInterfaces?.length) {
      const r = await resolveSubnet(ec2, region, {
        spec: am.spec,
        failureDomain: s.machine.spec.failureDomain,
        awsCluster: s.infraCluster,
      });
      if (!r.ok) return r;
      subnet = r.value;
    }
    const groups = await resolveSecurityGroups(ec2, region, am.spec, subnet?.VpcId);
    if (!groups.ok) {
      return {
        ...groups,
        conditions: {
          [SECURITY_GROUPS_READY]: {
            status: 'False',
            reason: groups.reason,
            severity: 'Error',
            message: groups.message,
          },
        },
      };
    }
    const input = buildRunInstancesInput({
      spec: am.spec,
      imageId: image.value.ImageId!,
      image: { rootDeviceName: image.value.RootDeviceName, rootSnapshotSizeGiB: rootSnapshotSizeGiB(image.value) },
      subnetId: subnet?.SubnetId,
      subnetIpv6: subnet?.Ipv6Native,
      securityGroupIds: groups.value,
      userData: ud.userData,
      tags: tags.tags,
      clientToken: s.key,
      clusterSshKeyName: s.infraCluster?.spec?.sshKeyName,
    });
    if (!input.ok) return { ok: false, reason: 'InvalidSpec', message: input.problems.join('; ') };
    return { ok: true, request: input.input, conditions: { [SECURITY_GROUPS_READY]: { status: 'True' } } };
  },

  async observe(inst, s, status) {
    const raw = inst.raw as Instance;
    status.interruptible = raw.InstanceLifecycle === 'spot';
    // An adopted instance booted with the groups its launch resolved.
    if (!status.conditions?.some((c) => c.type === SECURITY_GROUPS_READY)) {
      setMachineCondition(status, SECURITY_GROUPS_READY, { status: 'True' }, s.now, [SECURITY_GROUPS_READY]);
    }
    if (inst.state !== 'pending' && inst.state !== 'running' && inst.state !== 'stopped') return;
    try {
      const domainName = raw.VpcId ? await s.client.dhcpDomainName(s.location, raw.VpcId) : undefined;
      status.addresses = instanceAddresses(raw, { domainName, region: s.location ?? '' });
    } catch (e) {
      const c = classifyAwsError(e);
      if (c.class === 'unknown') throw e;
      // Addresses without the DHCP domain would flip back and forth; keep the last ones this time.
      s.log.warn({ err: c.code }, 'could not read the VPC DHCP options; keeping the addresses');
      status.addresses = (s.im.status?.addresses as typeof status.addresses) ?? instanceAddresses(raw);
    }
  },
};
