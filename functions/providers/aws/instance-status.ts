// An EC2 instance's addresses (reference §2.9, "Addresses"). Pure: the port feeds in what
// DescribeInstances returned.
import type { Instance } from '@aws-sdk/client-ec2';
import type { MachineAddress } from '../../../shared/api/capi/common.ts';

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
