// What the launch lease is for, on EC2: a RunInstances whose instance becomes visible only after a while
// (moto: milliseconds; EC2's DescribeInstances can lag a launch), while duplicated, shuffled, concurrent
// copies of every event arrive. moto ignores the ClientToken, so only the lease stands between them and a
// second instance. (The crash sweep, the workflow and outside changes are the provider contract's.)
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ec2Cloud } from '../../../functions/providers/aws/cloud.ts';
import { IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { eventually } from '../../support/env.ts';
import type { Moto } from '../../support/moto.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll } from '../../support/sample.ts';
import {
  AWSMACHINE,
  type AwsEnv,
  allInstances,
  awsMachineSet,
  awsMachineTemplate,
  CLUSTER,
  clusterObjects,
  createNetwork,
  ec2Client,
  type Network,
  REGION,
  scaleTo,
  startAwsEnv,
  startMotoEc2,
  tagsOf,
  templateSpec,
  waitAwsConverged,
} from './support.ts';

const SET = `${CLUSTER}-worker-${REGION}a`;
const TEMPLATE = `${CLUSTER}-worker-m5`;

/**
 * RunInstances whose instance appears only after `ms` (a slow request, or DescribeInstances lagging
 * behind a launch as on EC2): until then the tag lookup cannot see it.
 */
function slowRun(inner: Ec2Cloud, ms: number): Ec2Cloud {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'runInstances') return typeof v === 'function' ? v.bind(target) : v;
      return async (region: string | undefined, input: RunInstancesCommandInput) => {
        await new Promise((r) => setTimeout(r, ms));
        return target.runInstances(region, input);
      };
    },
  });
}

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: duplicated, shuffled, concurrent deliveries', () => {
  let moto: Moto;
  let a: AwsEnv | undefined;
  beforeAll(async () => {
    moto = await startMotoEc2();
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  it('launches exactly one instance per Machine through 0 → 3 → 1 → 0', async () => {
    const ec2 = ec2Client();
    const net = await createNetwork(moto, ec2);
    ec2.destroy();
    // Launches take 1.5 s to become visible here (moto: milliseconds), so other copies of the same
    // events arrive while a launch is in flight and unseen: the window the launch lease exists for.
    // The lease must outlast a launch: with TEST_TIMINGS' 3 s, a loaded CI machine once took longer than that
    // between the claim and the identity's record (around the 1.5 s create), and a waiting copy took the create over,
    // as the lease means it to when its holder died: a second instance (terminated by the sweep), 4 RunInstances.
    a = await startAwsEnv({
      env: { chaos: { duplicates: 3, shuffle: true, concurrentCopies: 4, seed: 7 } },
      around: (c) => slowRun(c, 1_500),
      timings: { launchLeaseMs: 20_000 },
    });
    await createAll(a.kube, [
      ...clusterObjects(),
      awsMachineTemplate(TEMPLATE, templateSpec(net)),
      awsMachineSet(SET, TEMPLATE, 0),
    ]);
    await scaleTo(a.kube, SET, 3);
    const ms = await waitAwsConverged(a, SET, 3);
    const all = await allInstances(a.ec2);
    // What was there, when it fails.
    const seen = JSON.stringify({
      machines: ms.map((m) => m.metadata.uid),
      instances: all.map((i) => [i.InstanceId, i.State?.Name, i.LaunchTime, tagsOf(i)[IDENTITY_TAG]]),
      runInstances: a.counter.get('runInstances'),
    });
    expect(all, seen).toHaveLength(3);
    for (const m of ms)
      expect(
        all.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid),
        seen,
      ).toHaveLength(1);
    expect(a.counter.get('runInstances'), seen).toBe(3);
    await scaleTo(a.kube, SET, 1);
    await waitAwsConverged(a, SET, 1);
    await scaleTo(a.kube, SET, 0);
    await waitAwsConverged(a, SET, 0);
    const after = await allInstances(a.ec2);
    expect(after).toHaveLength(3);
    expect(after.every((i) => i.State?.Name === 'terminated')).toBe(true);
    expect(a.counter.get('runInstances')).toBe(3);
  });
});

/**
 * RunInstances sent twice, as the SDK retries a request whose reply was lost: EC2 would return the first instance
 * for the same ClientToken; moto, which ignores it, makes a second one with the same identity tag.
 */
function repeatedRun(inner: Ec2Cloud, firsts: Set<string>, o: { failLookupAfter?: boolean } = {}): Ec2Cloud {
  let failNext = false;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === 'describeInstances' && o.failLookupAfter) {
        // The identity lookup right after the launch fails (the cloud throttling past the SDK's retries).
        return async (region: string | undefined, q: { instanceIds?: string[] }) => {
          if (failNext && !q.instanceIds) {
            failNext = false;
            throw Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: {} });
          }
          return target.describeInstances(region, q);
        };
      }
      if (prop !== 'runInstances') return typeof v === 'function' ? v.bind(target) : v;
      return async (region: string | undefined, input: RunInstancesCommandInput) => {
        const first = await target.runInstances(region, input);
        firsts.add(first.InstanceId!);
        // moto's LaunchTime has one-second resolution: the repeat comes a second later so that the two differ.
        await new Promise((r) => setTimeout(r, 1_100));
        const second = await target.runInstances(region, input);
        failNext = true;
        return second;
      };
    },
  });
}

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: a launch the cloud ran twice', () => {
  let moto: Moto;
  let a: AwsEnv | undefined;
  let net: Network;
  beforeAll(async () => {
    moto = await startMotoEc2();
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  it.each([
    ['found by the lookup after the launch', false],
    ['found by the retry when that lookup fails', true],
  ])('the second instance with a Machine’s identity is terminated: %s', async (_name, failLookupAfter) => {
    await a?.stop();
    const firsts = new Set<string>();
    a = await startAwsEnv({ around: (c) => repeatedRun(c, firsts, { failLookupAfter }) });
    await createAll(a.kube, [
      ...clusterObjects(),
      awsMachineTemplate(TEMPLATE, templateSpec(net)),
      awsMachineSet(SET, TEMPLATE, 0),
    ]);
    await scaleTo(a.kube, SET, 2);
    const ms = await waitAwsConverged(a, SET, 2);
    await eventually('one live instance per Machine', async () => {
      const live = await allInstances(a!.ec2, [{ Name: 'instance-state-name', Values: ['pending', 'running'] }]);
      return (
        live.length === 2 &&
        ms.every((m) => live.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid).length === 1)
      );
    });
    // The one kept is the older, the first launch, although the launch call returned the second: every sweep keeps
    // by the same rule (the identity lookup keeps the oldest), so two sweeps never delete one instance each.
    const live = await allInstances(a.ec2, [{ Name: 'instance-state-name', Values: ['pending', 'running'] }]);
    expect(new Set(live.map((i) => i.InstanceId))).toEqual(firsts);
    const recorded = (await a.kube.listAll<KubeObject & { spec?: { instanceID?: string } }>(AWSMACHINE)).items;
    expect(new Set(recorded.map((m) => m.spec?.instanceID))).toEqual(firsts);
    expect(a.counter.get('runInstances')).toBe(2);
    await scaleTo(a.kube, SET, 0);
    await waitAwsConverged(a, SET, 0);
  });
});
