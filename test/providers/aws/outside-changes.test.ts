// What happens when the world changes under capi-fn: an instance terminated behind its back fails
// the machine (upstream's UpdateError); a paused AWSMachine is not touched, not even to delete it.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
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
  ec2Client,
  MACHINE,
  MACHINESET,
  type Network,
  NS,
  startAwsEnv,
  startMotoEc2,
  tagsOf,
  templateSpec,
  waitAwsConverged,
} from './support.ts';

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: changes made outside capi-fn', () => {
  let moto: Moto;
  let net: Network;
  let a: AwsEnv;

  beforeAll(async () => {
    moto = await startMotoEc2();
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
    a = await startAwsEnv();
    await createAll(a.kube, [...clusterObjects(), awsMachineTemplate(`${CLUSTER}-t`, templateSpec(net))]);
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  it('an instance terminated behind capi-fn’s back fails the AWSMachine and its Machine, and launches nothing new', async () => {
    const set = `${CLUSTER}-worker-victim`;
    await createAll(a.kube, [awsMachineSet(set, `${CLUSTER}-t`, 1)]);
    const [m] = await waitAwsConverged(a, set, 1);
    const am = await a.kube.get<AWSMachine>({ ...AWSMACHINE, namespace: NS, name: m!.metadata.name! });
    await a.ec2.send(new TerminateInstancesCommand({ InstanceIds: [am.spec.instanceID!] }));
    // Nothing announces a termination in AWS; a touch stands in for the scheduled drift check.
    await a.kube.patch(
      { ...AWSMACHINE, namespace: NS, name: am.metadata.name! },
      { metadata: { labels: { drift: '1' } } },
      { type: 'merge' },
    );
    const failed = await eventually('AWSMachine failed', async () => {
      const x = await a.kube.get<AWSMachine>({ ...AWSMACHINE, namespace: NS, name: am.metadata.name! });
      return x.status?.failureReason ? x : false;
    });
    expect(failed.status).toMatchObject({
      ready: false,
      instanceState: 'terminated',
      failureReason: 'UpdateError',
      failureMessage: `EC2 instance state "terminated" is unexpected (instance ${am.spec.instanceID})`,
    });
    await eventually('Machine failed', async () => {
      const x = await a.kube.get<Machine>({ ...MACHINE, namespace: NS, name: m!.metadata.name! });
      return x.status?.failureReason === 'UpdateError';
    });
    expect((await allInstances(a.ec2)).filter((i) => tagsOf(i)[IDENTITY_TAG] === m!.metadata.uid)).toHaveLength(1);
    await a.kube.delete({ ...MACHINESET, namespace: NS, name: set });
  });

  it('a paused AWSMachine keeps its instance and finalizer while its Machine is deleted, and finishes once unpaused', async () => {
    const set = `${CLUSTER}-worker-paused`;
    await createAll(a.kube, [awsMachineSet(set, `${CLUSTER}-t`, 1)]);
    const [m] = await waitAwsConverged(a, set, 1);
    const key = { ...AWSMACHINE, namespace: NS, name: m!.metadata.name! };
    const instanceId = (await a.kube.get<AWSMachine>(key)).spec.instanceID!;
    await a.kube.patch(key, { metadata: { annotations: { 'cluster.x-k8s.io/paused': '' } } }, { type: 'merge' });
    const terminates = a.counter.get('terminateInstances');
    await a.kube.delete({ ...MACHINESET, namespace: NS, name: set });
    await eventually('AWSMachine being deleted', async () =>
      Boolean((await a.kube.get<AWSMachine>(key)).metadata.deletionTimestamp),
    );
    // Give the handler every chance to act, then check it did not.
    await a.kube.patch(key, { metadata: { labels: { poke: '1' } } }, { type: 'merge' });
    await a.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(a.counter.get('terminateInstances')).toBe(terminates);
    expect((await a.kube.get<AWSMachine>(key)).metadata.finalizers).toContain(
      'awsmachine.infrastructure.cluster.x-k8s.io',
    );
    expect((await allInstances(a.ec2)).find((i) => i.InstanceId === instanceId)?.State?.Name).toBe('running');

    await a.kube.patch(key, { metadata: { annotations: { 'cluster.x-k8s.io/paused': null } } }, { type: 'merge' });
    await eventually('AWSMachine gone and instance terminated', async () => {
      const gone = !(await a.kube.find(key));
      const state = (await allInstances(a.ec2)).find((i) => i.InstanceId === instanceId)?.State?.Name;
      return gone && state === 'terminated';
    });
  });
});
