import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { defaultDhcpDomain, instanceAddresses } from './instance-status.ts';

describe('instanceAddresses', () => {
  const inst: Instance = {
    InstanceId: 'i-1',
    PrivateIpAddress: '10.0.1.4',
    PrivateDnsName: 'ip-10-0-1-4.ec2.internal',
    NetworkInterfaces: [
      {
        Attachment: { DeviceIndex: 1 },
        PrivateIpAddress: '10.0.2.9',
        PrivateDnsName: 'ip-10-0-2-9.ec2.internal',
      },
      {
        Attachment: { DeviceIndex: 0 },
        PrivateIpAddress: '10.0.1.4',
        PrivateDnsName: 'ip-10-0-1-4.ec2.internal',
        Ipv6Addresses: [{ Ipv6Address: '2600:1f18::1' }, { Ipv6Address: 'fe80::1' }],
        Association: { PublicIp: '54.1.2.3', PublicDnsName: 'ec2-54-1-2-3.compute-1.amazonaws.com' },
      },
    ],
  };

  it('lists each interface in device order, public ones from the association, no link-local IPv6', () => {
    expect(instanceAddresses(inst)).toEqual([
      { type: 'InternalIP', address: '10.0.1.4' },
      { type: 'InternalDNS', address: 'ip-10-0-1-4.ec2.internal' },
      { type: 'InternalIP', address: '2600:1f18::1' },
      { type: 'ExternalIP', address: '54.1.2.3' },
      { type: 'ExternalDNS', address: 'ec2-54-1-2-3.compute-1.amazonaws.com' },
      { type: 'InternalIP', address: '10.0.2.9' },
      { type: 'InternalDNS', address: 'ip-10-0-2-9.ec2.internal' },
    ]);
  });

  it('adds <host>.<domain> only for a non-default DHCP domain', () => {
    const single: Instance = { ...inst, NetworkInterfaces: [inst.NetworkInterfaces![1]!] };
    const dns = (d?: string) =>
      instanceAddresses(single, { domainName: d, region: 'us-east-1' })
        .filter((a) => a.type === 'InternalDNS')
        .map((a) => a.address);
    expect(dns(undefined)).toEqual(['ip-10-0-1-4.ec2.internal']);
    expect(dns('ec2.internal')).toEqual(['ip-10-0-1-4.ec2.internal']);
    expect(dns('corp.example.com other.example')).toEqual(['ip-10-0-1-4.ec2.internal', 'ip-10-0-1-4.corp.example.com']);
  });

  it('falls back to the instance fields when there is no interface list', () => {
    expect(
      instanceAddresses({
        PrivateIpAddress: '10.0.0.5',
        PrivateDnsName: 'ip-10-0-0-5.ec2.internal',
        PublicIpAddress: '3.3.3.3',
      }),
    ).toEqual([
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'InternalDNS', address: 'ip-10-0-0-5.ec2.internal' },
      { type: 'ExternalIP', address: '3.3.3.3' },
    ]);
  });

  it('knows the default domains', () => {
    expect(defaultDhcpDomain('us-east-1')).toBe('ec2.internal');
    expect(defaultDhcpDomain('eu-west-3')).toBe('eu-west-3.compute.internal');
  });
});
