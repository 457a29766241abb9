// "Kill the handler right after RunInstances": the instance exists, but the invocation that made it
// dies before it can record the ID. moto ignores the ClientToken, so only the lookup by the identity
// tag stands between the retry and a second instance.
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Ec2Cloud } from '../../../functions/providers/aws/cloud.ts';
import { IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import type { Moto } from '../../support/moto.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll } from '../../support/sample.ts';
import {
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

class CrashAfterRun extends Error {
  constructor(token: string | undefined) {
    super(`injected crash right after RunInstances (ClientToken ${token})`);
    this.name = 'InjectedCrash';
  }
}

/** The first RunInstances of every ClientToken takes effect, then the invocation dies. */
function crashAfterFirstRun(inner: Ec2Cloud, crashed: string[]): Ec2Cloud {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'runInstances') return typeof v === 'function' ? v.bind(target) : v;
      return async (region: string | undefined, input: RunInstancesCommandInput) => {
        const inst = await target.runInstances(region, input);
        const token = input.ClientToken ?? '';
        if (!crashed.includes(token)) {
          crashed.push(token);
          throw new CrashAfterRun(token);
        }
        return inst;
      };
    },
  });
}

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: crashes', () => {
  let moto: Moto;
  let net: Network;
  let a: AwsEnv | undefined;

  beforeAll(async () => {
    moto = await startMotoEc2();
  });
  afterEach(async () => {
    await a?.stop();
    a = undefined;
    await moto.reset();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function setUp(o: Parameters<typeof startAwsEnv>[0]): Promise<AwsEnv> {
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
    a = await startAwsEnv(o);
    await createAll(a.kube, [
      ...clusterObjects(),
      awsMachineTemplate(TEMPLATE, templateSpec(net)),
      awsMachineSet(SET, TEMPLATE, 0),
    ]);
    return a;
  }

  it('a handler killed right after RunInstances still leaves one instance per Machine', async () => {
    const crashed: string[] = [];
    const env = await setUp({ around: (c) => crashAfterFirstRun(c, crashed) });
    await scaleTo(env.kube, SET, 3);
    const ms = await waitAwsConverged(env, SET, 3);
    // Every Machine's first launch crashed, and the retry adopted the instance instead of launching.
    expect(crashed.sort()).toEqual(ms.map((m) => `${m.metadata.uid}-1`).sort());
    expect(env.counter.get('runInstances')).toBe(3);
    const all = await allInstances(env.ec2);
    expect(all).toHaveLength(3);
    for (const m of ms) expect(all.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid)).toHaveLength(1);

    await scaleTo(env.kube, SET, 0);
    await waitAwsConverged(env, SET, 0);
    expect((await allInstances(env.ec2)).every((i) => i.State?.Name === 'terminated')).toBe(true);
  });

  // A Cluster event fans out to every AWSMachine of the cluster in one delivery (31 calls seen under load),
  // each repeating the single-object sequence the sweep covers. The longest single-object reconcile (a
  // launch) makes 15 external calls: four reads, the identity
  // lookup, the Secret, the AMI, the subnet, two security groups, the intent write, RunInstances,
  // the identity write, the DHCP options and the status write. 16 covers one more for good measure.
  for (let k = 1; k <= 16; k++) {
    it(`every first aws-machine attempt dies after its external call ${k}: no duplicate, no orphan`, async () => {
      const env = await setUp({ env: { crashAfter: k, crashHandlers: ['aws-machine'] } });
      await scaleTo(env.kube, SET, 2);
      const ms = await waitAwsConverged(env, SET, 2, 45_000);
      // A crash happened whenever some first attempt made at least k calls (the longest varies with timing).
      const longest = env.env.ledger.maxCallsPerFirstAttempt.get('aws-machine') ?? 0;
      expect(env.env.ledger.crashes > 0 || longest < k, `no crash although a first attempt made ${longest} calls`).toBe(
        true,
      );
      const all = await allInstances(env.ec2);
      for (const m of ms) expect(all.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid)).toHaveLength(1);
      expect(all).toHaveLength(2);
      await scaleTo(env.kube, SET, 0);
      await waitAwsConverged(env, SET, 0, 45_000);
      expect((await allInstances(env.ec2)).every((i) => i.State?.Name === 'terminated')).toBe(true);
    });
  }
});

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
    a = await startAwsEnv({
      env: { chaos: { duplicates: 3, shuffle: true, concurrentCopies: 4, seed: 7 } },
      around: (c) => slowRun(c, 1_500),
    });
    await createAll(a.kube, [
      ...clusterObjects(),
      awsMachineTemplate(TEMPLATE, templateSpec(net)),
      awsMachineSet(SET, TEMPLATE, 0),
    ]);
    await scaleTo(a.kube, SET, 3);
    const ms = await waitAwsConverged(a, SET, 3);
    const all = await allInstances(a.ec2);
    expect(all).toHaveLength(3);
    for (const m of ms) expect(all.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid)).toHaveLength(1);
    expect(a.counter.get('runInstances')).toBe(3);
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
