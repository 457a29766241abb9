import { describe, expect, it } from 'vitest';
import { IDENTITY_TAG, identityFilters, machineTags, tagSpecifications, tagValue, toTagList } from './tags.ts';

const base = {
  clusterName: 'ocp-aws-7xk2p',
  awsMachineName: 'ocp-aws-7xk2p-worker-a-x7p2k',
  namespace: 'openshift-cluster-api',
  machineName: 'ocp-aws-7xk2p-worker-a-x7p2k',
  machineUid: 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
  role: 'node' as const,
};

describe('machineTags', () => {
  it('carries ownership, role, Name, MachineName, the identity tag and the cluster name (what IAM conditions compare)', () => {
    expect(machineTags(base)).toEqual({
      tags: {
        'kubernetes.io/cluster/ocp-aws-7xk2p': 'owned',
        'sigs.k8s.io/cluster-api-provider-aws/cluster/ocp-aws-7xk2p': 'owned',
        'sigs.k8s.io/cluster-api-provider-aws/role': 'node',
        Name: 'ocp-aws-7xk2p-worker-a-x7p2k',
        MachineName: 'openshift-cluster-api/ocp-aws-7xk2p-worker-a-x7p2k',
        'capi-fn.io/machine-uid': 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
        'capi-fn.io/cluster-name': 'ocp-aws-7xk2p',
      },
      problems: [],
    });
  });

  it('overlays AWSMachine additionalTags on AWSCluster ones, and never lets either replace a provider tag', () => {
    const r = machineTags({
      ...base,
      clusterAdditionalTags: { team: 'platform', env: 'prod', Name: 'user-name' },
      machineAdditionalTags: { env: 'dev', [IDENTITY_TAG]: 'forged', 'sigs.k8s.io/cluster-api-provider-aws/role': 'x' },
    });
    expect(r.problems).toEqual([]);
    expect(r.tags.team).toBe('platform');
    expect(r.tags.env).toBe('dev');
    expect(r.tags.Name).toBe(base.awsMachineName);
    expect(r.tags[IDENTITY_TAG]).toBe(base.machineUid);
    expect(r.tags['sigs.k8s.io/cluster-api-provider-aws/role']).toBe('node');
  });

  it.each([
    [{ 'aws:cost': 'x' }, /reserved "aws:" prefix/],
    [{ ['k'.repeat(129)]: 'x' }, /1-128 characters/],
    [{ k: 'v'.repeat(257) }, /longer than 256/],
    [Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`t${i}`, 'v'])), /51 tags exceed EC2's limit of 50/],
  ])('reports unusable user tags %#', (extra, problem) => {
    const r = machineTags({ ...base, machineAdditionalTags: extra });
    expect(r.problems.join('\n')).toMatch(problem);
  });

  it('accepts exactly 50 tags', () => {
    const extra = Object.fromEntries(Array.from({ length: 43 }, (_, i) => [`t${i}`, 'v']));
    expect(machineTags({ ...base, machineAdditionalTags: extra }).problems).toEqual([]);
  });

  it('labels control-plane machines', () => {
    expect(machineTags({ ...base, role: 'control-plane' }).tags['sigs.k8s.io/cluster-api-provider-aws/role']).toBe(
      'control-plane',
    );
  });
});

describe('tag lists', () => {
  it('sorts keys so the same machine always gets the same request', () => {
    expect(toTagList({ b: '2', a: '1', C: '3' })).toEqual([
      { Key: 'C', Value: '3' },
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
  });

  it('applies the same tags to every resource type', () => {
    const specs = tagSpecifications({ a: '1' }, ['instance', 'volume']);
    expect(specs).toEqual([
      { ResourceType: 'instance', Tags: [{ Key: 'a', Value: '1' }] },
      { ResourceType: 'volume', Tags: [{ Key: 'a', Value: '1' }] },
    ]);
  });

  it('filters by identity and state', () => {
    expect(identityFilters('uid-1', ['pending', 'running'])).toEqual([
      { Name: 'tag:capi-fn.io/machine-uid', Values: ['uid-1'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
  });

  it('reads a tag value', () => {
    expect(tagValue([{ Key: 'a', Value: '1' }], 'a')).toBe('1');
    expect(tagValue(undefined, 'a')).toBeUndefined();
  });
});
