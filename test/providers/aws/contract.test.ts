// The provider contract for the AWS provider, against EC2 on moto. Instances are read back with the SDK
// directly (DescribeInstances by capi-fn's identity tag), never through the provider's port.
import { type EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe } from 'vitest';
import { Ec2Cloud } from '../../../functions/providers/aws/cloud.ts';
import { awsProviderHandlers } from '../../../functions/providers/aws/handler.ts';
import { awsProvider } from '../../../functions/providers/aws/index.ts';
import { awsPort } from '../../../functions/providers/aws/port.ts';
import { CAPA_CLUSTER_TAG_PREFIX, IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { eventually } from '../../support/env.ts';
import type { Moto } from '../../support/moto.ts';
import { hasPeer } from '../../support/peers.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';
import {
  allInstances,
  CLUSTER,
  clusterObjects,
  createNetwork,
  createSubnet,
  ec2Client,
  NS,
  REGION,
  startMotoEc2,
  TEST_TIMINGS,
  tagsOf,
  templateSpec,
} from './support.ts';

function fixture(): ProviderFixture {
  let moto: Moto | undefined;
  let ec2: EC2Client | undefined;
  let net: Awaited<ReturnType<typeof createNetwork>> | undefined;
  const client = () => {
    if (!ec2) throw new Error('moto is not started');
    return ec2;
  };
  /** An instance launched straight through the SDK, as another tool would. */
  const launch = async (tags: Record<string, string>) => {
    const r = await client().send(
      new RunInstancesCommand({
        ImageId: net!.amiId,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: net!.subnetId,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
    );
    return r.Instances![0]!.InstanceId!;
  };
  const stateOf = async (id: string) =>
    (await allInstances(client(), [{ Name: 'instance-id', Values: [id] }])).find((i) => i.InstanceId === id)?.State
      ?.Name ??
    (await client().send(new (await import('@aws-sdk/client-ec2')).DescribeInstancesCommand({ InstanceIds: [id] })))
      .Reservations?.[0]?.Instances?.[0]?.State?.Name;

  return {
    module: awsProvider,
    infraMachine: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSMachine' },
    timings: TEST_TIMINGS,
    async start() {
      moto = await startMotoEc2();
      ec2 = ec2Client();
    },
    async stop() {
      ec2?.destroy();
      await moto?.stop();
    },
    async reset() {
      await moto!.reset();
    },
    async install({ kube, wrap, timings }) {
      const cloud = new Ec2Cloud();
      const simCloud = new Ec2Cloud();
      const nodes = startNodeSimulator({
        kube,
        list: () => awsPort(simCloud, REGION).listOwned({}),
        name: 'aws-node-simulator',
        intervalMs: 200,
      });
      return {
        handlers: awsProviderHandlers({ cloud: () => wrap(cloud), timings }),
        client: cloud,
        async stop() {
          await nodes.stop();
          cloud.destroy();
          simCloud.destroy();
        },
      };
    },
    async seed() {
      net = await createNetwork(moto!, client());
      const n = net;
      const zoneB = `${CLUSTER}-subnet-private-${REGION}b`;
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects: clusterObjects(),
        template: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
          kind: 'AWSMachineTemplate',
          spec: templateSpec(n),
        },
        badInput: [
          {
            what: 'image',
            spec: { ami: { id: 'ami-0123456789abcdef0' } },
            reason: 'ImageNotFound',
            field: 'spec.ami.id',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { ami: { id: n.amiId } } }, { type: 'merge' });
            },
          },
          {
            what: 'network',
            spec: { subnet: { filters: [{ name: 'tag:Name', values: [zoneB] }] } },
            reason: 'SubnetNotFound',
            field: 'spec.subnet',
            fix: async () => {
              await createSubnet(client(), n.vpcId, '10.0.32.0/20', zoneB, `${REGION}b`);
            },
          },
          {
            what: 'instance type',
            spec: { instanceType: 'x9.huge' },
            reason: 'InstanceTypeNotFound',
            field: 'spec.instanceType',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { instanceType: 'm5.large' } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      return (await allInstances(client())).map((i) => ({
        id: i.InstanceId!,
        machineUid: tagsOf(i)[IDENTITY_TAG],
        live: i.State?.Name !== 'terminated',
        providerID: `aws:///${i.Placement?.AvailabilityZone}/${i.InstanceId}`,
      }));
    },
    async deleteOutside(id) {
      await client().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await eventually(`${id} terminated`, async () => (await stateOf(id)) === 'terminated');
    },
    async foreignInstance() {
      const id = await launch({ Name: 'production-database' });
      return { id, spec: { instanceID: id }, live: async () => (await stateOf(id)) === 'running' };
    },
    async orphanInstance({ clusterName, machineUid }) {
      return launch({ [IDENTITY_TAG]: machineUid, [`${CAPA_CLUSTER_TAG_PREFIX}${clusterName}`]: 'owned' });
    },
  };
}

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: the provider contract', () => {
  providerContract({ crashMaxK: 17 }, fixture);
});
