import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ownedFilters, toCloudInstance } from './port.ts';
import { CAPA_CLUSTER_TAG_PREFIX, IDENTITY_TAG } from './tags.ts';

const inst = (state: string | undefined, tags: Record<string, string> = {}): Instance => ({
  InstanceId: 'i-0abc',
  ...(state ? { State: { Name: state as never } } : {}),
  Placement: { AvailabilityZone: 'us-east-1a' },
  PrivateDnsName: 'ip-10-0-1-4.ec2.internal',
  PrivateIpAddress: '10.0.1.4',
  InstanceType: 'm5.large',
  LaunchTime: new Date('2026-11-23T18:40:06Z'),
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
});

describe('EC2 instance → the kit’s view (reference §2.9)', () => {
  it.each([
    ['pending', 'pending', false],
    ['running', 'running', false],
    ['stopping', 'stopped', true],
    ['stopped', 'stopped', false],
    ['shutting-down', 'terminating', false],
    ['terminated', 'gone', false],
    ['rebooting-ish', 'failed', false],
    [undefined, 'failed', false],
  ])('%s → %s', (native, state, transitioning) => {
    const c = toCloudInstance(inst(native));
    expect(c.state).toBe(state);
    expect(c.nativeState).toBe(native ?? '');
    expect(Boolean(c.transitioning)).toBe(transitioning);
  });

  it('words the terminal states as upstream does', () => {
    expect(toCloudInstance(inst('terminated')).failureMessage).toBe(
      'EC2 instance state "terminated" is unexpected (instance i-0abc)',
    );
    expect(toCloudInstance(inst('running')).failureMessage).toBeUndefined();
  });

  it('reads the markers: identity tag and the cluster-owned tag', () => {
    const c = toCloudInstance(
      inst('running', { [IDENTITY_TAG]: 'uid-1', [`${CAPA_CLUSTER_TAG_PREFIX}ocp-1`]: 'owned', Name: 'x' }),
    );
    expect(c.owner).toEqual({ cluster: 'ocp-1', machineUid: 'uid-1' });
    expect(toCloudInstance(inst('running', { [`${CAPA_CLUSTER_TAG_PREFIX}ocp-1`]: 'shared' })).owner).toEqual({
      cluster: undefined,
      machineUid: undefined,
    });
  });

  it('carries the providerID, zone, host name and launch time', () => {
    expect(toCloudInstance(inst('running'))).toMatchObject({
      providerID: 'aws:///us-east-1a/i-0abc',
      failureDomain: 'us-east-1a',
      hostname: 'ip-10-0-1-4.ec2.internal',
      instanceType: 'm5.large',
      createdAt: '2026-11-23T18:40:06.000Z',
    });
  });

  it('lists what capi-fn owns, for one cluster when named', () => {
    expect(ownedFilters('ocp-1')).toEqual([
      { Name: 'tag-key', Values: [IDENTITY_TAG] },
      { Name: `tag:${CAPA_CLUSTER_TAG_PREFIX}ocp-1`, Values: ['owned'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
  });
});
