// Bad input launches nothing and says what is wrong; fixing it (creating the missing resource in
// AWS, or correcting the AWSMachine) lets the next reconcile launch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { AWSMachine } from '../../../shared/api/providers/aws.ts';
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
  createSecurityGroup,
  createSubnet,
  ec2Client,
  MACHINE,
  machinesOf,
  type Network,
  NS,
  REGION,
  startAwsEnv,
  startMotoEc2,
  tagsOf,
  templateSpec,
  waitAwsConverged,
} from './support.ts';

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: bad input', () => {
  let moto: Moto;
  let net: Network;
  let a: AwsEnv;

  beforeAll(async () => {
    moto = await startMotoEc2();
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
    a = await startAwsEnv();
    await createAll(a.kube, clusterObjects());
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  /** The set's one AWSMachine once InstanceReady=False carries `reason`, and its Machine. */
  async function blockedOn(set: string, reason: string): Promise<{ am: AWSMachine; machine: Machine }> {
    return eventually(`${set}: InstanceReady=False/${reason}`, async () => {
      const [machine] = await machinesOf(a.kube, set);
      if (!machine) return false;
      const am = await a.kube.find<AWSMachine>({ ...AWSMACHINE, namespace: NS, name: machine.metadata.name! });
      const c = am?.status?.conditions?.find((x) => x.type === 'InstanceReady');
      return c?.status === 'False' && c.reason === reason && am ? { am, machine } : false;
    });
  }

  /** Lets the handler look at the machine a few more times, then checks nothing was launched for it. */
  async function nothingLaunched(machine: Machine, lookups: string): Promise<void> {
    const before = a.counter.get(lookups);
    await eventually(`${lookups} called again`, async () => a.counter.get(lookups) >= before + 2);
    const mine = (await allInstances(a.ec2)).filter((i) => tagsOf(i)[IDENTITY_TAG] === machine.metadata.uid);
    expect(mine).toEqual([]);
  }

  it('a subnet filter that matches nothing: SubnetNotFound naming it, no instance; creating the subnet launches', async () => {
    const set = `${CLUSTER}-worker-${REGION}b`;
    const subnetName = `${CLUSTER}-subnet-private-${REGION}b`;
    const spec = templateSpec(net, { subnet: { filters: [{ name: 'tag:Name', values: [subnetName] }] } });
    await createAll(a.kube, [awsMachineTemplate(`${set}-t`, spec), awsMachineSet(set, `${set}-t`, 1)]);
    const { am, machine } = await blockedOn(set, 'SubnetNotFound');
    const cond = am.status!.conditions!.find((c) => c.type === 'InstanceReady')!;
    expect(cond.severity).toBe('Error');
    expect(cond.message).toContain(`spec.subnet (filters tag:Name=${subnetName}): no subnet matches in ${REGION}`);
    expect(am.status?.ready).toBe(false);
    // The Machine shows why (its InfrastructureReady mirrors the AWSMachine's Ready).
    await eventually('Machine InfrastructureReady names the subnet', async () => {
      const m = await a.kube.get<Machine>({ ...MACHINE, namespace: NS, name: machine.metadata.name! });
      return m.status?.conditions?.find((c) => c.type === 'InfrastructureReady')?.reason === 'SubnetNotFound';
    });
    await nothingLaunched(machine, 'describeSubnets');

    const subnetId = await createSubnet(a.ec2, net.vpcId, '10.0.32.0/20', subnetName, `${REGION}b`);
    const [m] = await waitAwsConverged(a, set, 1);
    const [inst] = (await allInstances(a.ec2)).filter((i) => tagsOf(i)[IDENTITY_TAG] === m!.metadata.uid);
    expect(inst?.SubnetId).toBe(subnetId);
    expect(inst?.Placement?.AvailabilityZone).toBe(`${REGION}b`);
  });

  it('a security-group filter that matches nothing: SecurityGroupNotFound naming it, no instance; creating the group launches', async () => {
    const set = `${CLUSTER}-worker-extra-sg`;
    const sgName = `${CLUSTER}-extra`;
    const spec = templateSpec(net, {
      additionalSecurityGroups: [
        { filters: [{ name: 'tag:Name', values: [`${CLUSTER}-node`] }] },
        { filters: [{ name: 'tag:Name', values: [sgName] }] },
      ],
    });
    await createAll(a.kube, [awsMachineTemplate(`${set}-t`, spec), awsMachineSet(set, `${set}-t`, 1)]);
    const { am, machine } = await blockedOn(set, 'SecurityGroupNotFound');
    const sgCond = am.status!.conditions!.find((c) => c.type === 'SecurityGroupsReady')!;
    expect(sgCond).toMatchObject({ status: 'False', reason: 'SecurityGroupNotFound', severity: 'Error' });
    expect(sgCond.message).toBe(
      `additionalSecurityGroups[1] (filters tag:Name=${sgName}) matches no security group in ${net.vpcId} in ${REGION}`,
    );
    await nothingLaunched(machine, 'describeSecurityGroups');

    const sgId = await createSecurityGroup(a.ec2, net.vpcId, sgName);
    const [m] = await waitAwsConverged(a, set, 1);
    const [inst] = (await allInstances(a.ec2)).filter((i) => tagsOf(i)[IDENTITY_TAG] === m!.metadata.uid);
    expect(inst?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId).sort()).toEqual([net.nodeSgId, sgId].sort());
    const fixed = await a.kube.get<AWSMachine>({ ...AWSMACHINE, namespace: NS, name: m!.metadata.name! });
    expect(fixed.status?.conditions?.find((c) => c.type === 'SecurityGroupsReady')?.status).toBe('True');
  });

  it('an AMI that does not exist: ImageNotFound naming it, no instance; correcting the AWSMachine launches', async () => {
    const set = `${CLUSTER}-worker-bad-ami`;
    const spec = templateSpec(net, { ami: { id: 'ami-0123456789abcdef0' } });
    await createAll(a.kube, [awsMachineTemplate(`${set}-t`, spec), awsMachineSet(set, `${set}-t`, 1)]);
    const { am, machine } = await blockedOn(set, 'ImageNotFound');
    expect(am.status!.conditions!.find((c) => c.type === 'InstanceReady')!.message).toContain(
      `AMI ami-0123456789abcdef0 (spec.ami.id) does not exist in ${REGION}`,
    );
    await nothingLaunched(machine, 'describeImages');

    await a.kube.patch(
      { ...AWSMACHINE, namespace: NS, name: am.metadata.name! },
      { spec: { ami: { id: net.amiId } } },
      { type: 'merge' },
    );
    const [m] = await waitAwsConverged(a, set, 1);
    const [inst] = (await allInstances(a.ec2)).filter((i) => tagsOf(i)[IDENTITY_TAG] === m!.metadata.uid);
    expect(inst?.ImageId).toBe(net.amiId);
  });

  it('user data over 16 KB: UserDataTooLarge, no instance; a smaller secret launches', async () => {
    const set = `${CLUSTER}-worker-big-ud`;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'big-user-data', namespace: NS },
      type: 'Opaque',
      data: {
        value: Buffer.from(JSON.stringify({ ignition: { version: '3.4.0' }, pad: 'x'.repeat(17_000) })).toString(
          'base64',
        ),
        format: Buffer.from('ignition').toString('base64'),
      },
    };
    await createAll(a.kube, [
      secret,
      awsMachineTemplate(`${set}-t`, templateSpec(net)),
      awsMachineSet(set, `${set}-t`, 1, 'big-user-data'),
    ]);
    const { am, machine } = await blockedOn(set, 'UserDataTooLarge');
    expect(am.status!.conditions!.find((c) => c.type === 'InstanceReady')!.message).toMatch(
      /user data from secret big-user-data is \d+ bytes; EC2 allows at most 16384 bytes \(16 KB\) before base64/,
    );
    await nothingLaunched(machine, 'describeInstances');

    await a.kube.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'big-user-data' },
      { data: { value: Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64') } },
      { type: 'merge' },
    );
    await waitAwsConverged(a, set, 1);
  });
});
