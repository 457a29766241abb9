// AWSCluster: adopts existing infrastructure. Checks the region and the referenced VPC/subnets,
// publishes the region's zones as failure domains, copies the control-plane endpoint, and leaves
// objects managed by someone else alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLUSTER_MANAGER } from '../../../functions/providers/aws/cluster.ts';
import type { Cluster } from '../../../shared/api/capi/cluster.ts';
import type { AWSCluster } from '../../../shared/api/providers/aws.ts';
import { eventually } from '../../support/env.ts';
import type { Moto } from '../../support/moto.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll } from '../../support/sample.ts';
import {
  AWSCLUSTER,
  type AwsEnv,
  CLUSTER,
  clusterObjects,
  createNetwork,
  ec2Client,
  type Network,
  NS,
  REGION,
  startAwsEnv,
  startMotoEc2,
} from './support.ts';

const ZONES = ['a', 'b', 'c', 'd', 'e', 'f'].map((z) => `${REGION}${z}`);

function awsCluster(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    kind: 'AWSCluster',
    metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

describe.skipIf(!hasPeer('moto_server'))('AWS provider on moto: AWSCluster', () => {
  let moto: Moto;
  let net: Network;
  let a: AwsEnv;

  beforeAll(async () => {
    moto = await startMotoEc2();
    const ec2 = ec2Client();
    net = await createNetwork(moto, ec2);
    ec2.destroy();
    a = await startAwsEnv({ withNodes: false });
    await createAll(a.kube, clusterObjects());
  });
  afterAll(async () => {
    await a?.stop();
    await moto?.stop();
  });

  const get = (name: string) => a.kube.get<AWSCluster>({ ...AWSCLUSTER, namespace: NS, name });
  const condition = (ac: AWSCluster, type: string) => ac.status?.conditions?.find((c) => c.type === type);

  it('an AWSCluster without managed-by becomes ready with the zones as failure domains and the Cluster endpoint', async () => {
    const ac = await eventually('AWSCluster ready', async () => {
      const x = await get(CLUSTER);
      return x.status?.ready ? x : false;
    });
    expect(ac.status?.failureDomains).toEqual(Object.fromEntries(ZONES.map((z) => [z, { controlPlane: true }])));
    expect(ac.spec?.controlPlaneEndpoint).toEqual({ host: 'api-int.ocp-aws.example.com', port: 6443 });
    expect(condition(ac, 'RegionReady')?.status).toBe('True');
    const cluster = await eventually('Cluster infrastructureReady', async () => {
      const c = await a.kube.get<Cluster>({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        namespace: NS,
        name: CLUSTER,
      });
      return c.status?.infrastructureReady ? c : false;
    });
    expect(Object.keys(cluster.status?.failureDomains ?? {}).sort()).toEqual(ZONES);
  });

  it('a missing VPC gives VpcReady=False with the AWS code and no readiness; the right VPC and subnets make it ready', async () => {
    await createAll(a.kube, [
      awsCluster('missing-vpc', { region: REGION, network: { vpc: { id: 'vpc-0123456789abcdef0' } } }),
    ]);
    const ac = await eventually('VpcReady=False', async () => {
      const x = await get('missing-vpc');
      return condition(x, 'VpcReady')?.status === 'False' ? x : false;
    });
    expect(ac.status?.ready).toBe(false);
    expect(condition(ac, 'VpcReady')).toMatchObject({ reason: 'InvalidVpcID.NotFound', severity: 'Error' });
    expect(condition(ac, 'VpcReady')?.message).toContain('vpc-0123456789abcdef0');
    expect(condition(ac, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidVpcID.NotFound' });

    await a.kube.patch(
      { ...AWSCLUSTER, namespace: NS, name: 'missing-vpc' },
      { spec: { network: { vpc: { id: net.vpcId }, subnets: [{ id: net.subnetId }] } } },
      { type: 'merge' },
    );
    const fixed = await eventually('ready', async () => {
      const x = await get('missing-vpc');
      return x.status?.ready ? x : false;
    });
    expect(condition(fixed, 'VpcReady')?.status).toBe('True');
    expect(condition(fixed, 'SubnetsReady')?.status).toBe('True');
  });

  it('a missing subnet gives SubnetsReady=False naming it', async () => {
    await createAll(a.kube, [
      awsCluster('missing-subnet', {
        region: REGION,
        network: { vpc: { id: net.vpcId }, subnets: [{ id: net.subnetId }, { id: 'subnet-0123456789abcdef0' }] },
      }),
    ]);
    const ac = await eventually('SubnetsReady=False', async () => {
      const x = await get('missing-subnet');
      return condition(x, 'SubnetsReady')?.status === 'False' ? x : false;
    });
    expect(ac.status?.ready).toBe(false);
    expect(condition(ac, 'SubnetsReady')?.reason).toBe('InvalidSubnetID.NotFound');
    expect(condition(ac, 'SubnetsReady')?.message).toContain('subnet-0123456789abcdef0');
    // It keeps checking (AWS announces no fix); stop it so the later tests can count calls.
    await a.kube.delete({ ...AWSCLUSTER, namespace: NS, name: 'missing-subnet' });
  });

  it('an unreachable region gives RegionReady=False with the error code; fixing the region makes it ready', async () => {
    await createAll(a.kube, [awsCluster('bad-region', { region: 'xx-bogus-1' })]);
    const ac = await eventually('RegionReady=False', async () => {
      const x = await get('bad-region');
      return condition(x, 'RegionReady')?.status === 'False' ? x : false;
    });
    expect(ac.status?.ready).toBe(false);
    expect(ac.status?.failureDomains).toBeUndefined();
    // moto answers an unknown region with an HTML 500; real EC2 has no such endpoint (ENOTFOUND).
    expect(condition(ac, 'RegionReady')?.reason).toMatch(/^(HTTP500|ENOTFOUND|RegionNotFound)$/);
    expect(condition(ac, 'RegionReady')?.message).toMatch(/xx-bogus-1/);

    await a.kube.patch(
      { ...AWSCLUSTER, namespace: NS, name: 'bad-region' },
      { spec: { region: 'eu-west-3' } },
      { type: 'merge' },
    );
    const fixed = await eventually('ready', async () => {
      const x = await get('bad-region');
      return x.status?.ready ? x : false;
    });
    expect(Object.keys(fixed.status?.failureDomains ?? {}).sort()).toEqual(['eu-west-3a', 'eu-west-3b', 'eu-west-3c']);
  });

  it("honours managed-by: its own value is reconciled, a foreign one (the OpenShift operator's) is left alone", async () => {
    // Distinct regions, so the EC2 calls show which object was looked at.
    await createAll(a.kube, [
      awsCluster(
        'foreign',
        { region: 'ap-south-1' },
        { 'cluster.x-k8s.io/managed-by': 'cluster-capi-operator-infracluster-controller' },
      ),
      awsCluster('own', { region: 'ca-central-1' }, { 'cluster.x-k8s.io/managed-by': AWS_CLUSTER_MANAGER }),
    ]);
    await eventually('own ready', async () => (await get('own')).status?.ready === true);
    await a.kube.patch(
      { ...AWSCLUSTER, namespace: NS, name: 'foreign' },
      { metadata: { labels: { touched: 'yes' } } },
      { type: 'merge' },
    );
    await a.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect((await get('foreign')).status).toBeUndefined();
    const regionsAsked = a.counter.calls.filter((c) => c.method === 'describeRegion').map((c) => c.args[0]);
    expect(regionsAsked).toContain('ca-central-1');
    expect(regionsAsked).not.toContain('ap-south-1');
  });
});
