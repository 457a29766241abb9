import type { Subnet } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { chooseSubnet, clusterSubnetId, describeRef, SECONDARY_SUBNET_TAG, subnetQuery } from './select.ts';

const a1: Subnet = { SubnetId: 'subnet-a1', AvailabilityZone: 'us-east-1a', VpcId: 'vpc-other' };
const a2: Subnet = { SubnetId: 'subnet-a2', AvailabilityZone: 'us-east-1a', VpcId: 'vpc-cluster' };
const b1: Subnet = { SubnetId: 'subnet-b1', AvailabilityZone: 'us-east-1b', VpcId: 'vpc-cluster' };
const sec: Subnet = {
  SubnetId: 'subnet-sec',
  AvailabilityZone: 'us-east-1a',
  VpcId: 'vpc-cluster',
  Tags: [{ Key: SECONDARY_SUBNET_TAG, Value: 'secondary' }],
};

describe('chooseSubnet', () => {
  it.each([
    [[a1, b1], {}, 'subnet-a1'],
    [[a1, a2, b1], { vpcId: 'vpc-cluster' }, 'subnet-a2'],
    [[a1, a2, b1], { failureDomain: 'us-east-1b' }, 'subnet-b1'],
    [[sec, a1], {}, 'subnet-a1'],
    [[a1], { vpcId: 'vpc-cluster' }, 'subnet-a1'],
  ] as Array<[Subnet[], { failureDomain?: string; vpcId?: string }, string]>)('%#', (subnets, o, want) => {
    expect(chooseSubnet(subnets, o).subnet?.SubnetId).toBe(want);
  });

  it.each([
    [[], {}, /no subnet matches/],
    [[sec], {}, /secondary/],
    [[a1, a2], { failureDomain: 'us-east-1c' }, /failure domain us-east-1c \(matches are in us-east-1a\)/],
  ] as Array<[Subnet[], { failureDomain?: string }, RegExp]>)('explains why none fits %#', (subnets, o, why) => {
    const c = chooseSubnet(subnets, o);
    expect(c.subnet).toBeUndefined();
    expect('why' in c ? c.why : '').toMatch(why);
  });
});

describe('subnetQuery and describeRef', () => {
  it('filters by state, id and the user filters', () => {
    expect(subnetQuery({ id: 'subnet-1', filters: [{ name: 'tag:Name', values: ['a', 'b'] }] })).toEqual([
      { Name: 'state', Values: ['pending', 'available'] },
      { Name: 'subnet-id', Values: ['subnet-1'] },
      { Name: 'tag:Name', Values: ['a', 'b'] },
    ]);
  });

  it('reads well in a condition', () => {
    expect(describeRef({ filters: [{ name: 'tag:Name', values: ['x-node'] }] })).toBe('filters tag:Name=x-node');
    expect(describeRef({ id: 'sg-1', filters: [{ name: 'vpc-id', values: ['v'] }] })).toBe(
      'id sg-1 and filters vpc-id=v',
    );
    expect(describeRef({})).toBe('an empty reference');
  });
});

describe('clusterSubnetId', () => {
  const subnets = [
    { id: 'private-a', resourceID: 'subnet-pa', availabilityZone: 'us-east-1a' },
    { id: 'subnet-pb', availabilityZone: 'us-east-1b' },
    { id: 'subnet-pub', availabilityZone: 'us-east-1a', isPublic: true },
  ];
  it.each([
    [{}, 'subnet-pa'],
    [{ failureDomain: 'us-east-1b' }, 'subnet-pb'],
    [{ publicIP: true }, 'subnet-pub'],
    [{ failureDomain: 'us-east-1c' }, undefined],
  ])('%#', (o, want) => {
    expect(clusterSubnetId(subnets, o)).toBe(want);
  });
  it('has nothing to offer an externally managed cluster', () => {
    expect(clusterSubnetId(undefined, {})).toBeUndefined();
  });
});
