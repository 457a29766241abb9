// The docs' AWS workflow against moto: Cluster, AWSCluster, AWSMachineTemplate (subnet and security
// groups by tag filters, instance profile, Ignition as unencrypted user data), MachineSet with 3
// replicas → 3 running instances built as asked; scale down terminates exactly the chosen
// instances; deleting the MachineSet terminates the rest.
import type { Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { AWSCluster, AWSMachine } from '../../../shared/api/providers/aws.ts';
import { eventually } from '../../support/env.ts';
import type { Moto } from '../../support/moto.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll } from '../../support/sample.ts';
import {
  AWSCLUSTER,
  AWSMACHINE,
  type AwsEnv,
  allInstances,
  awsMachineSet,
  awsMachineTemplate,
  CLUSTER,
  clusterObjects,
  createNetwork,
  ec2Client,
  IGNITION,
  liveInstances,
  MACHINESET,
  machinesOf,
  type Network,
  NODE,
  NS,
  REGION,
  scaleTo,
  startAwsEnv,
  startMotoEc2,
  tagsOf,
  templateSpec,
  userDataOf,
  volumesOf,
  waitAwsConverged,
} from './support.ts';

const SET = `${CLUSTER}-worker-${REGION}a`;
const TEMPLATE = `${CLUSTER}-worker-m5`;

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: the documented workflow', () => {
  let moto: Moto;
  let net: Network;
  let a: AwsEnv;

  beforeAll(async () => {
    moto = await startMotoEc2();
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
    a = await startAwsEnv();
    await createAll(a.kube, [
      ...clusterObjects({ awsClusterSpec: { additionalTags: { 'cost-center': 'platform', team: 'infra' } } }),
      awsMachineTemplate(TEMPLATE, templateSpec(net, { additionalTags: { team: 'ml' } })),
      awsMachineSet(SET, TEMPLATE, 3),
    ]);
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  let machines: Machine[] = [];
  let byMachine = new Map<string, Instance>();

  it('converges to 3 running instances built from the template, with Machines Running', async () => {
    machines = await waitAwsConverged(a, SET, 3);
    const live = await liveInstances(a.ec2);
    expect(live).toHaveLength(3);
    byMachine = new Map(
      machines.map((m) => [m.metadata.name!, live.find((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid)!]),
    );

    for (const m of machines) {
      const inst = byMachine.get(m.metadata.name!)!;
      expect(inst.ImageId).toBe(net.amiId);
      expect(inst.InstanceType).toBe('m5.large');
      expect(inst.SubnetId).toBe(net.subnetId);
      expect(inst.Placement?.AvailabilityZone).toBe(`${REGION}a`);
      // Filters resolved before the launch: the instance booted in the right groups.
      expect(inst.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId).sort()).toEqual(
        [net.nodeSgId, net.lbSgId].sort(),
      );
      expect(inst.IamInstanceProfile?.Arn).toMatch(new RegExp(`instance-profile/${net.instanceProfile}$`));
      expect(inst.ClientToken).toBe(`${m.metadata.uid}-1`);
      const want = {
        Name: m.metadata.name!,
        [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
        [`sigs.k8s.io/cluster-api-provider-aws/cluster/${CLUSTER}`]: 'owned',
        'sigs.k8s.io/cluster-api-provider-aws/role': 'node',
        MachineName: `${NS}/${m.metadata.name}`,
        [IDENTITY_TAG]: m.metadata.uid!,
        'capi-fn.io/cluster-name': CLUSTER,
        'cost-center': 'platform',
        team: 'ml',
      };
      expect(tagsOf(inst)).toEqual(want);
      const vols = await volumesOf(a.ec2, inst.InstanceId!);
      expect(vols.length).toBeGreaterThan(0);
      for (const v of vols) expect(tagsOf(v)).toEqual(want);
      expect(Buffer.from((await userDataOf(a.ec2, inst.InstanceId!)) ?? '', 'base64').toString()).toBe(IGNITION);

      const am = await a.kube.get<AWSMachine>({ ...AWSMACHINE, namespace: NS, name: m.metadata.name! });
      expect(am.spec.instanceID).toBe(inst.InstanceId);
      expect(am.spec.providerID).toBe(`aws:///${REGION}a/${inst.InstanceId}`);
      expect(am.metadata.finalizers).toContain('awsmachine.infrastructure.cluster.x-k8s.io');
      expect(am.status).toMatchObject({ ready: true, instanceState: 'running', interruptible: false });
      expect(am.status?.addresses).toEqual([
        { type: 'InternalIP', address: inst.PrivateIpAddress },
        { type: 'InternalDNS', address: inst.PrivateDnsName },
      ]);
      expect(am.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
        ['Ready', 'True'],
        ['InstanceReady', 'True'],
        ['SecurityGroupsReady', 'True'],
      ]);
      expect(m.status?.addresses).toEqual(am.status?.addresses);
      expect(m.status?.nodeRef?.name).toBe(inst.PrivateDnsName);
    }
    expect(a.counter.get('runInstances')).toBe(3);

    const ac = await a.kube.get<AWSCluster>({ ...AWSCLUSTER, namespace: NS, name: CLUSTER });
    expect(ac.status?.ready).toBe(true);
    expect(Object.keys(ac.status?.failureDomains ?? {}).sort()).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((z) => `${REGION}${z}`),
    );
  });

  it('a converged system replayed makes no launch and no write', async () => {
    await a.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    const writes = a.env.ledger.writesBy('aws-machine').length;
    const runs = a.counter.get('runInstances');
    const lookups = a.counter.get('describeInstances');
    // Touch every AWSMachine (a label change is a spec-level event) so each is reconciled again.
    for (const m of machines) {
      await a.kube.patch(
        { ...AWSMACHINE, namespace: NS, name: m.metadata.name! },
        { metadata: { labels: { replay: '1' } } },
        { type: 'merge' },
      );
    }
    await eventually(
      'every AWSMachine reconciled again',
      async () => a.counter.get('describeInstances') >= lookups + 3,
    );
    await a.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(a.counter.get('runInstances')).toBe(runs);
    expect(a.env.ledger.writesBy('aws-machine').length).toBe(writes);
  });

  it('scaling down terminates exactly the instances of the machines the MachineSet removed', async () => {
    await scaleTo(a.kube, SET, 1);
    const [survivor] = await waitAwsConverged(a, SET, 1);
    const removed = machines.filter((m) => m.metadata.uid !== survivor!.metadata.uid);
    expect(removed).toHaveLength(2);
    await eventually('removed machines terminated', async () => {
      const all = await allInstances(a.ec2);
      return removed.every(
        (m) =>
          all.find((i) => i.InstanceId === byMachine.get(m.metadata.name!)!.InstanceId)?.State?.Name === 'terminated',
      );
    });
    const all = await allInstances(a.ec2);
    expect(all).toHaveLength(3);
    expect(all.find((i) => i.InstanceId === byMachine.get(survivor!.metadata.name!)!.InstanceId)?.State?.Name).toBe(
      'running',
    );
    expect((await a.kube.listAll(AWSMACHINE, { namespace: NS })).items.map((x) => x.metadata.name)).toEqual([
      survivor!.metadata.name,
    ]);
    expect(a.counter.get('runInstances')).toBe(3);
  });

  it('deleting the MachineSet terminates every instance and leaves no Machine, AWSMachine or Node', async () => {
    await a.kube.delete({ ...MACHINESET, namespace: NS, name: SET });
    await eventually('everything gone', async () => {
      const ms = await machinesOf(a.kube, SET);
      const ams = (await a.kube.listAll(AWSMACHINE, { namespace: NS })).items;
      const nodes = (await a.kube.listAll(NODE)).items;
      const live = await liveInstances(a.ec2);
      return ms.length === 0 && ams.length === 0 && nodes.length === 0 && live.length === 0;
    });
    expect((await allInstances(a.ec2)).every((i) => i.State?.Name === 'terminated')).toBe(true);
    expect(a.counter.get('runInstances')).toBe(3);
  });
});
