import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { decideState, defaultDhcpDomain, instanceAddresses, pickInstance } from './instance-status.ts';

describe('decideState (reference §2.9)', () => {
  it.each([
    ['pending', false, 'InstanceProvisionStarted', undefined, true, true],
    ['running', true, undefined, undefined, true, false],
    ['stopping', false, 'InstanceStopped', undefined, true, true],
    ['stopped', false, 'InstanceStopped', undefined, true, false],
    ['shutting-down', false, 'InstanceTerminated', undefined, false, true],
    ['terminated', false, 'InstanceTerminated', 'UpdateError', false, false],
    ['rebooting-ish', false, 'InstanceStateUnknown', 'UpdateError', false, false],
    [undefined, false, 'InstanceStateUnknown', 'UpdateError', false, false],
  ])('%s', (state, ready, reason, failure, operational, transitioning) => {
    const d = decideState(state, 'i-1');
    expect(d.ready).toBe(ready);
    expect(d.condition.status === 'False' ? d.condition.reason : undefined).toBe(reason);
    expect(d.failure?.reason).toBe(failure);
    expect(d.operational).toBe(operational);
    expect(d.transitioning).toBe(transitioning);
  });

  it('words the terminated failure as upstream does', () => {
    expect(decideState('terminated', 'i-0abc').failure?.message).toBe(
      'EC2 instance state "terminated" is unexpected (instance i-0abc)',
    );
  });

  it('stopped is an Error-severity condition, never a failure', () => {
    const d = decideState('stopped', 'i-1');
    expect(d.condition).toMatchObject({ severity: 'Error' });
    expect(d.failure).toBeUndefined();
  });
});

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

describe('pickInstance', () => {
  const a: Instance = { InstanceId: 'i-b', LaunchTime: new Date('2026-01-01T00:00:02Z') };
  const b: Instance = { InstanceId: 'i-a', LaunchTime: new Date('2026-01-01T00:00:01Z') };
  const c: Instance = { InstanceId: 'i-c', LaunchTime: new Date('2026-01-01T00:00:01Z') };

  it('keeps the oldest launch, ties broken by id', () => {
    const r = pickInstance([a, c, b]);
    expect(r.keep?.InstanceId).toBe('i-a');
    expect(r.extras.map((i) => i.InstanceId)).toEqual(['i-c', 'i-b']);
  });

  it('keeps the recorded instance when there is one', () => {
    expect(pickInstance([a, b, c], 'i-b').keep?.InstanceId).toBe('i-b');
  });

  it('handles none', () => {
    expect(pickInstance([])).toEqual({ extras: [] });
  });
});
