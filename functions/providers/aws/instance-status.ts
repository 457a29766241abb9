// EC2 instance state → AWSMachine status (reference §2.9) and the instance's addresses (§2.9,
// "Addresses"). Pure: the reconcile feeds in what DescribeInstances returned.
import type { Instance } from '@aws-sdk/client-ec2';
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { ConditionSeverity } from '../../../shared/api/conditions.ts';

export const INSTANCE_READY = 'InstanceReady';

export interface StateDecision {
  ready: boolean;
  /** InstanceReady: True, or False with reason/severity/message. */
  condition: { status: 'True' } | { status: 'False'; reason: string; severity: ConditionSeverity; message: string };
  /** Terminal for the machine (upstream `UpdateError`): the core copies it to the Machine. */
  failure?: { reason: string; message: string };
  /** The instance can report addresses and groups (upstream's "operational" states). */
  operational: boolean;
  /** A transition is in progress: look again soon. */
  transitioning: boolean;
}

export function decideState(state: string | undefined, instanceId: string): StateDecision {
  switch (state) {
    case 'pending':
      return {
        ready: false,
        condition: {
          status: 'False',
          reason: 'InstanceProvisionStarted',
          severity: 'Info',
          message: `instance ${instanceId} is pending`,
        },
        operational: true,
        transitioning: true,
      };
    case 'running':
      return { ready: true, condition: { status: 'True' }, operational: true, transitioning: false };
    case 'stopping':
    case 'stopped':
      // Someone stopped it; starting it again brings the machine back, so this is not a failure.
      return {
        ready: false,
        condition: {
          status: 'False',
          reason: 'InstanceStopped',
          severity: 'Error',
          message: `instance ${instanceId} is ${state}; start it again or delete the Machine`,
        },
        operational: true,
        transitioning: state === 'stopping',
      };
    case 'shutting-down':
      return {
        ready: false,
        condition: {
          status: 'False',
          reason: 'InstanceTerminated',
          severity: 'Error',
          message: `instance ${instanceId} is shutting down`,
        },
        operational: false,
        transitioning: true,
      };
    case 'terminated': {
      const message = `EC2 instance state "terminated" is unexpected (instance ${instanceId})`;
      return {
        ready: false,
        condition: { status: 'False', reason: 'InstanceTerminated', severity: 'Error', message },
        failure: { reason: 'UpdateError', message },
        operational: false,
        transitioning: false,
      };
    }
    default: {
      const message = `EC2 instance state ${JSON.stringify(state ?? '')} is unexpected (instance ${instanceId})`;
      return {
        ready: false,
        condition: { status: 'False', reason: 'InstanceStateUnknown', severity: 'Error', message },
        failure: { reason: 'UpdateError', message },
        operational: false,
        transitioning: false,
      };
    }
  }
}

/** The domain a Region's instances get by default; only other DHCP domains add a DNS name. */
export function defaultDhcpDomain(region: string): string {
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

/**
 * Per network interface (by device index): InternalIP, InternalDNS (+ `<host>.<domain>` for a
 * non-default DHCP domain), IPv6 as InternalIP, ExternalIP and ExternalDNS from the association.
 */
export function instanceAddresses(
  inst: Instance,
  dhcp?: { domainName?: string | undefined; region: string },
): MachineAddress[] {
  const out: MachineAddress[] = [];
  const add = (type: MachineAddress['type'], address: string | undefined) => {
    if (address && !out.some((a) => a.type === type && a.address === address)) out.push({ type, address });
  };
  const extraDomain = dhcp?.domainName?.split(/\s+/)[0];
  const addDns = (name: string | undefined) => {
    add('InternalDNS', name);
    if (name && extraDomain && dhcp && extraDomain !== defaultDhcpDomain(dhcp.region)) {
      add('InternalDNS', `${name.split('.')[0]}.${extraDomain}`);
    }
  };
  const enis = [...(inst.NetworkInterfaces ?? [])].sort(
    (a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0),
  );
  if (enis.length === 0) {
    add('InternalIP', inst.PrivateIpAddress);
    addDns(inst.PrivateDnsName);
    add('ExternalIP', inst.PublicIpAddress);
    add('ExternalDNS', inst.PublicDnsName);
    return out;
  }
  for (const eni of enis) {
    add('InternalIP', eni.PrivateIpAddress);
    addDns(eni.PrivateDnsName ?? (eni === enis[0] ? inst.PrivateDnsName : undefined));
    for (const v6 of eni.Ipv6Addresses ?? []) {
      if (v6.Ipv6Address && !v6.Ipv6Address.toLowerCase().startsWith('fe80:')) add('InternalIP', v6.Ipv6Address);
    }
    add('ExternalIP', eni.Association?.PublicIp);
    add('ExternalDNS', eni.Association?.PublicDnsName);
  }
  return out;
}

/** The instance that stands for the Machine when a lost race made several: the oldest launch wins. */
export function pickInstance(instances: Instance[], preferId?: string): { keep?: Instance; extras: Instance[] } {
  if (instances.length === 0) return { extras: [] };
  const sorted = [...instances].sort((a, b) => {
    if (preferId) {
      if (a.InstanceId === preferId) return -1;
      if (b.InstanceId === preferId) return 1;
    }
    const ta = a.LaunchTime ? new Date(a.LaunchTime).getTime() : Number.POSITIVE_INFINITY;
    const tb = b.LaunchTime ? new Date(b.LaunchTime).getTime() : Number.POSITIVE_INFINITY;
    return ta - tb || (a.InstanceId ?? '').localeCompare(b.InstanceId ?? '');
  });
  return { keep: sorted[0]!, extras: sorted.slice(1) };
}
