import { describe, expect, it } from 'vitest';
import { nodeFor, SIMULATED_NODE_LABEL } from './node-simulator.ts';

describe('nodeFor', () => {
  const inst = {
    InstanceId: 'i-0a1b2c3d4e5f60718',
    InstanceType: 'm5.large' as const,
    ImageId: 'ami-1',
    PrivateDnsName: 'ip-10-0-21-144.ec2.internal',
    PrivateIpAddress: '10.0.21.144',
    Placement: { AvailabilityZone: 'us-east-1a' },
  };

  it('registers what a kubelet on the instance would: name, providerID, topology, Ready', () => {
    const { node, status } = nodeFor(inst, new Date('2026-11-23T18:43:37.250Z'));
    expect(node.metadata.name).toBe('ip-10-0-21-144.ec2.internal');
    expect(node.spec?.providerID).toBe('aws:///us-east-1a/i-0a1b2c3d4e5f60718');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'ip-10-0-21-144',
      'node.kubernetes.io/instance-type': 'm5.large',
      'topology.kubernetes.io/zone': 'us-east-1a',
      'topology.kubernetes.io/region': 'us-east-1',
      [SIMULATED_NODE_LABEL]: 'aws-node-simulator',
    });
    const conds = status.conditions as Array<{ type: string; status: string; lastHeartbeatTime: string }>;
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      lastHeartbeatTime: '2026-11-23T18:43:37Z',
    });
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.21.144' },
      { type: 'InternalDNS', address: 'ip-10-0-21-144.ec2.internal' },
      { type: 'Hostname', address: 'ip-10-0-21-144.ec2.internal' },
    ]);
  });
});
