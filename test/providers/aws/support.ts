// What the AWS suites share: moto as EC2 (and IAM for the instance profile), the network OpenShift's
// installer would have made (VPC, a tagged private subnet, tagged security groups, an AMI), the
// docs-shaped objects, a capi-fn installation running the AWS handlers, and observations through
// DescribeInstances.
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
  RegisterImageCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import { Ec2Cloud } from '../../../functions/providers/aws/cloud.ts';
import { awsProviderHandlers } from '../../../functions/providers/aws/handler.ts';
import { awsPort } from '../../../functions/providers/aws/port.ts';
import { IDENTITY_TAG } from '../../../functions/providers/aws/tags.ts';
import type { KitTimings } from '../../../functions/providers/kit/definition.ts';
import { type NodeSimulator, startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { type CapiEnv, type EnvOptions, eventually, startCapiEnv } from '../../support/env.ts';
import { type Moto, motoEnv, startMoto } from '../../support/moto.ts';
import { scaleMachineSet } from '../../support/scale.ts';

export const NS = 'openshift-cluster-api';
export const CLUSTER = 'ocp-aws-7xk2p';
export const REGION = 'us-east-1';
export const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
export const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
export const AWSMACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSMachine' };
export const AWSCLUSTER = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSCluster' };
export const NODE = { apiVersion: 'v1', kind: 'Node' };
export const IGNITION =
  '{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"https://api-int.ocp-aws.example.com:22623/config/worker"}]}}}';

/** Short waits: the suites assert behaviour, and behaviour must not depend on these. */
export const TEST_TIMINGS: Partial<KitTimings> = {
  launchLeaseMs: 3_000,
  notFoundGraceMs: 3_000,
  badInputRetryMs: 300,
  transitionPollMs: 200,
  terminatePollMs: 200,
  clusterRetryMs: 300,
};

/** Starts moto and points the standard SDK environment at it, as a user would for any AWS tool. */
export async function startMotoEc2(): Promise<Moto> {
  const moto = await startMoto();
  Object.assign(process.env, motoEnv(moto));
  return moto;
}

export interface Network {
  vpcId: string;
  subnetId: string;
  nodeSgId: string;
  lbSgId: string;
  amiId: string;
  instanceProfile: string;
}

export function ec2Client(): EC2Client {
  return new EC2Client({});
}

/** moto checks the IAM instance profile RunInstances names; the IAM query API creates it. */
export async function createInstanceProfile(moto: Moto, name: string): Promise<void> {
  const res = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: 'CreateInstanceProfile', InstanceProfileName: name, Version: '2010-05-08' }),
  });
  if (!res.ok) throw new Error(`CreateInstanceProfile: HTTP ${res.status} ${await res.text()}`);
}

export async function createSubnet(
  ec2: EC2Client,
  vpcId: string,
  cidr: string,
  name: string,
  az = `${REGION}a`,
): Promise<string> {
  const r = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: cidr,
      AvailabilityZone: az,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  return r.Subnet!.SubnetId!;
}

export async function createSecurityGroup(ec2: EC2Client, vpcId: string, name: string): Promise<string> {
  const r = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `${name} (test)`,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  return r.GroupId!;
}

export async function registerAmi(ec2: EC2Client, name: string): Promise<string> {
  const r = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      Architecture: 'x86_64',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 16 } }],
    }),
  );
  return r.ImageId!;
}

/** What the installer leaves behind for a cluster (names as OpenShift tags them). */
export async function createNetwork(moto: Moto, ec2: EC2Client): Promise<Network> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnetId = await createSubnet(ec2, vpcId, '10.0.16.0/20', `${CLUSTER}-subnet-private-${REGION}a`);
  const nodeSgId = await createSecurityGroup(ec2, vpcId, `${CLUSTER}-node`);
  const lbSgId = await createSecurityGroup(ec2, vpcId, `${CLUSTER}-lb`);
  const amiId = await registerAmi(ec2, 'rhcos-9.6.20250701-0-x86_64');
  const instanceProfile = `${CLUSTER}-worker-profile`;
  await createInstanceProfile(moto, instanceProfile);
  return { vpcId, subnetId, nodeSgId, lbSgId, amiId, instanceProfile };
}

export function templateSpec(net: Network, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iamInstanceProfile: net.instanceProfile,
    instanceType: 'm5.large',
    ignition: { storageType: 'UnencryptedUserData', version: '3.4' },
    ami: { id: net.amiId },
    subnet: { filters: [{ name: 'tag:Name', values: [`${CLUSTER}-subnet-private-${REGION}a`] }] },
    additionalSecurityGroups: [
      { filters: [{ name: 'tag:Name', values: [`${CLUSTER}-node`] }] },
      { filters: [{ name: 'tag:Name', values: [`${CLUSTER}-lb`] }] },
    ],
    ...over,
  };
}

export function awsMachineTemplate(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    kind: 'AWSMachineTemplate',
    metadata: { name, namespace: NS },
    spec: { template: { spec } },
  };
}

/** The docs' compute MachineSet (v1beta1 references, as the docs write them). */
export function awsMachineSet(
  name: string,
  template: string,
  replicas: number,
  dataSecretName = 'worker-user-data',
): KubeObject {
  const labels = { test: 'example', 'cluster.x-k8s.io/cluster-name': CLUSTER, 'cluster.x-k8s.io/set-name': name };
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineSet',
    metadata: { name, namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
    spec: {
      clusterName: CLUSTER,
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, 'node-role.kubernetes.io/worker': '' } },
        spec: {
          bootstrap: { dataSecretName },
          clusterName: CLUSTER,
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'AWSMachineTemplate',
            name: template,
          },
        },
      },
    },
  };
}

/** Namespace, worker user data, Cluster and AWSCluster (docs steps 1–2, no managed-by: capi-fn owns readiness). */
export function clusterObjects(opts: { awsClusterSpec?: Record<string, unknown> } = {}): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'worker-user-data', namespace: NS },
      type: 'Opaque',
      data: { value: Buffer.from(IGNITION).toString('base64'), format: Buffer.from('ignition').toString('base64') },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: CLUSTER, namespace: NS },
      spec: {
        controlPlaneEndpoint: { host: 'api-int.ocp-aws.example.com', port: 6443 },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'AWSCluster',
          name: CLUSTER,
          namespace: NS,
        },
      },
    },
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSCluster',
      metadata: { name: CLUSTER, namespace: NS },
      spec: { region: REGION, ...(opts.awsClusterSpec ?? {}) },
    },
  ];
}

/** Calls per port method, counted outside any crash wrapper. */
export class CallCounter {
  readonly counts = new Map<string, number>();
  /** Every call's method and arguments, in order. */
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  wrap<T extends object>(inner: T): T {
    const counts = this.counts;
    const calls = this.calls;
    return new Proxy(inner, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          counts.set(String(prop), (counts.get(String(prop)) ?? 0) + 1);
          calls.push({ method: String(prop), args });
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
  get(method: string): number {
    return this.counts.get(method) ?? 0;
  }
}

export interface AwsEnv {
  env: CapiEnv;
  kube: KubeClient;
  ec2: EC2Client;
  counter: CallCounter;
  nodes: NodeSimulator;
  stop(): Promise<void>;
}

/**
 * capi-fn with the AWS handlers (no local provider) and the node simulator. `around` may wrap the
 * port the handlers see (inside the call counter and the env's fault ledger).
 */
export async function startAwsEnv(
  o: {
    env?: EnvOptions;
    around?: (cloud: Ec2Cloud) => Ec2Cloud;
    withNodes?: boolean;
    /** Over TEST_TIMINGS. */
    timings?: Partial<KitTimings>;
  } = {},
): Promise<AwsEnv> {
  const cloud = new Ec2Cloud();
  const counter = new CallCounter();
  const port = counter.wrap(o.around ? o.around(cloud) : cloud);
  const env = await startCapiEnv({
    ...(o.env ?? {}),
    providers: (wrapCloud) =>
      awsProviderHandlers({ cloud: () => wrapCloud(port), timings: { ...TEST_TIMINGS, ...o.timings } }),
  });
  const simCloud = new Ec2Cloud();
  const nodes =
    o.withNodes === false
      ? { tick: async () => {}, stop: async () => {} }
      : startNodeSimulator({
          kube: env.kube,
          list: () => awsPort(simCloud, REGION).listOwned({}),
          name: 'aws-node-simulator',
          intervalMs: 200,
        });
  const ec2 = ec2Client();
  return {
    env,
    kube: env.kube,
    ec2,
    counter,
    nodes,
    async stop() {
      await nodes.stop();
      await env.stop();
      cloud.destroy();
      simCloud.destroy();
      ec2.destroy();
    },
  };
}

export async function allInstances(
  ec2: EC2Client,
  filters: Array<{ Name: string; Values: string[] }> = [],
): Promise<Instance[]> {
  const r = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [IDENTITY_TAG] }, ...filters] }),
  );
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
}

export async function liveInstances(ec2: EC2Client): Promise<Instance[]> {
  return allInstances(ec2, [
    { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
  ]);
}

export async function userDataOf(ec2: EC2Client, instanceId: string): Promise<string | undefined> {
  const r = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
  return r.UserData?.Value;
}

export async function volumesOf(ec2: EC2Client, instanceId: string): Promise<Volume[]> {
  const r = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
  );
  return r.Volumes ?? [];
}

export function tagsOf(i: { Tags?: Array<{ Key?: string; Value?: string }> }): Record<string, string> {
  return Object.fromEntries((i.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

export async function machinesOf(kube: KubeClient, set: string): Promise<Machine[]> {
  return (await kube.listAll<Machine>(MACHINE, { namespace: NS, labelSelector: `cluster.x-k8s.io/set-name=${set}` }))
    .items;
}

export function scaleTo(kube: KubeClient, name: string, replicas: number): Promise<void> {
  return scaleMachineSet(kube, NS, name, replicas);
}

interface NodeObj extends KubeObject {
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/**
 * Exactly `n` Running Machines in the set, each with exactly one running instance (by providerID and
 * by identity tag) and one Ready Node named after the instance's private DNS name.
 */
export async function waitAwsConverged(a: AwsEnv, set: string, n: number, timeoutMs = 45_000): Promise<Machine[]> {
  try {
    return await convergedWithin(a, set, n, timeoutMs);
  } catch (e) {
    // What was stuck, for the failure report.
    const brief = async (t: { apiVersion: string; kind: string }) =>
      (await a.kube.listAll(t, { namespace: NS })).items.map((o) => ({
        name: o.metadata.name,
        finalizers: o.metadata.finalizers,
        deleting: o.metadata.deletionTimestamp,
        conditions: (o.status as { conditions?: unknown } | undefined)?.conditions,
      }));
    const state = {
      machines: await brief(MACHINE),
      awsMachines: await brief(AWSMACHINE),
      instances: (await allInstances(a.ec2)).map((i) => [i.InstanceId, i.State?.Name, tagsOf(i)[IDENTITY_TAG]]),
    };
    throw new Error(`${(e as Error).message}\nstate: ${JSON.stringify(state, null, 1)}`);
  }
}

function convergedWithin(a: AwsEnv, set: string, n: number, timeoutMs: number): Promise<Machine[]> {
  return eventually(
    `${n} Running machines in ${set}, one running instance and one Ready Node each`,
    async () => {
      const ms = await machinesOf(a.kube, set);
      if (ms.length !== n) return false;
      if (!ms.every((m) => m.status?.phase === 'Running' && !m.metadata.deletionTimestamp)) return false;
      const live = await liveInstances(a.ec2);
      const nodes = (await a.kube.listAll<NodeObj>(NODE)).items;
      for (const m of ms) {
        const mine = live.filter((i) => tagsOf(i)[IDENTITY_TAG] === m.metadata.uid);
        if (mine.length !== 1 || mine[0]!.State?.Name !== 'running') return false;
        const inst = mine[0]!;
        if (m.spec.providerID !== `aws:///${inst.Placement?.AvailabilityZone}/${inst.InstanceId}`) return false;
        const node = nodes.find((x) => x.spec?.providerID === m.spec.providerID);
        if (!node || node.metadata.name !== inst.PrivateDnsName || m.status?.nodeRef?.name !== node.metadata.name)
          return false;
        if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
      }
      const ours = live.filter((i) => ms.some((m) => m.metadata.uid === tagsOf(i)[IDENTITY_TAG]));
      const st = (await a.kube.get<MachineSet>({ ...MACHINESET, namespace: NS, name: set })).status;
      if ((st?.readyReplicas ?? 0) !== n || (st?.replicas ?? 0) !== n) return false;
      return ours.length === n ? ms : false;
    },
    { timeoutMs },
  );
}
