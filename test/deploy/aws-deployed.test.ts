// The AWS deployment run as deployed, locally: `osls package` of the generated serverless.yml, unchanged, and its
// CloudFormation template and zips run on moto by a harness that honours Lambda's event shapes
// (test/support/aws-deployed.ts). The cluster is the embedded API server; the bridge function (on its schedule)
// publishes to moto's EventBridge, whose rules (from the template) route to each handler's SQS queue, whose
// event source mapping invokes the packaged function; the AWS provider's function launches on moto's EC2. A
// MachineSet of 2 converges and scales to 0; the drift check runs on its schedule; the webhooks answer through
// the function URL, behind the token in the path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Cloud } from '../../functions/providers/aws/cloud.ts';
import { awsPort } from '../../functions/providers/aws/port.ts';
import { type NodeSimulator, startNodeSimulator } from '../../functions/providers/kit/node-simulator.ts';
import { WEBHOOK_TOKEN_SECRET } from '../../functions/webhooks/token.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import {
  allInstances,
  awsMachineSet,
  awsMachineTemplate,
  CLUSTER,
  clusterObjects,
  createNetwork,
  ec2Client,
  MACHINESET,
  NS,
  REGION,
  startMotoEc2,
  templateSpec,
} from '../providers/aws/support.ts';
import { type Deployed, deployToMoto } from '../support/aws-deployed.ts';
import { allCrds, connectionFor, eventually } from '../support/env.ts';
import type { Moto } from '../support/moto.ts';
import { type OslsPackage, oslsPackage } from '../support/osls-package.ts';
import { hasPeer } from '../support/peers.ts';
import { createAll } from '../support/sample.ts';

const SET = `${CLUSTER}-worker-deployed`;
// What the operator generates: 32 random bytes, base64url (43 characters).
const TOKEN = Buffer.alloc(32, 7).toString('base64url');

describe.skipIf(!hasPeer('moto_server'))('the packaged AWS deployment, run as deployed on moto', () => {
  let moto: Moto;
  let api: ApiServer;
  let kube: KubeClient;
  let pkg: OslsPackage;
  let deployed: Deployed;
  let nodes: NodeSimulator;
  const sim = new Ec2Cloud();
  const ec2 = ec2Client();

  beforeAll(async () => {
    moto = await startMotoEc2();
    const net = await createNetwork(moto, ec2);
    api = await startApiServer({ crds: allCrds() });
    kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
    pkg = await oslsPackage({ CAPI_FN_CLUSTER_NAME: CLUSTER });
    await createAll(kube, [
      ...clusterObjects(),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: WEBHOOK_TOKEN_SECRET.name, namespace: WEBHOOK_TOKEN_SECRET.namespace },
        data: { current: Buffer.from(TOKEN).toString('base64') },
      },
      awsMachineTemplate(`${CLUSTER}-worker-m5`, templateSpec(net)),
      awsMachineSet(SET, `${CLUSTER}-worker-m5`, 2),
    ]);
    // The kubelets of the instances: a Node with the providerID once an instance runs.
    nodes = startNodeSimulator({
      kube,
      list: () => awsPort(sim, REGION).listOwned({}),
      name: 'aws-node-simulator',
      intervalMs: 500,
    });
    deployed = await deployToMoto({
      pkg,
      moto,
      kubeconfig: api.kubeconfig(),
      scheduleEveryMs: 1_000,
      // The bridge watches until shortly before its deadline (20 s kept back): 30 s per run instead of 300 s.
      timeoutMs: { bridge: 30_000 },
      env: { CAPI_FN_LOG_LEVEL: 'error' },
    });
  }, 240_000);

  afterAll(async () => {
    await deployed?.stop();
    await nodes?.stop();
    await api?.stop();
    sim.destroy();
    ec2.destroy();
    await moto?.stop();
  });

  const liveInstances = () => allInstances(ec2, [{ Name: 'instance-state-name', Values: ['pending', 'running'] }]);
  const machines = async () =>
    (await kube.list<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: NS })).items;

  it('takes a MachineSet of 2 to 2 Running Machines on 2 EC2 instances, and back to none', async () => {
    await eventually(
      () => `2 Running Machines; invocations ${JSON.stringify(Object.fromEntries(deployed.invocations))}`,
      async () => {
        const ms = await machines();
        return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running');
      },
      { timeoutMs: 180_000 },
    );
    const instances = await liveInstances();
    expect(instances).toHaveLength(2);
    const ids = new Set(instances.map((i) => i.InstanceId));
    for (const m of await machines()) expect(ids.has(m.spec.providerID?.split('/').pop())).toBe(true);
    // A bridge run counts once it returns (10 s of watching here); the Machines may be Running before the first one has.
    const fns = ['bridge', 'machineset', 'machine', 'aws-machine', 'cluster', 'aws-cluster'];
    await eventually(
      () =>
        `a completed run of ${fns.join(', ')}; invocations ${JSON.stringify(Object.fromEntries(deployed.invocations))}`,
      async () => fns.every((fn) => (deployed.invocations.get(fn)?.ok ?? 0) > 0),
      { timeoutMs: 60_000 },
    );

    const set = await kube.get({ ...MACHINESET, namespace: NS, name: SET });
    await kube.update({ ...set, spec: { ...(set.spec as object), replicas: 0 } });
    await eventually(
      'no Machine and no live instance',
      async () => (await machines()).length === 0 && (await liveInstances()).length === 0,
      { timeoutMs: 180_000 },
    );
  }, 400_000);

  it('runs the drift check on its schedule', async () => {
    await eventually('a drift run', async () => (deployed.invocations.get('drift')?.ok ?? 0) > 0, {
      timeoutMs: 60_000,
    });
    expect(deployed.invocations.get('drift')?.failed).toBe(0);
  });

  it('answers admission through the function URL, with the token in the path, and nothing without it', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'b1e4a1f2-0000-4000-8000-000000000001',
        kind: { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' },
        resource: { group: 'cluster.x-k8s.io', version: 'v1beta1', resource: 'machinesets' },
        name: 'bad',
        namespace: NS,
        operation: 'CREATE',
        userInfo: { username: 'kube:admin' },
        object: {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'MachineSet',
          metadata: { name: 'bad', namespace: NS },
          spec: { clusterName: CLUSTER, replicas: -1, selector: {}, template: { spec: { clusterName: CLUSTER } } },
        },
      },
    };
    const post = (path: string) =>
      fetch(`${deployed.functionUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review),
      });
    const denied = await post(`${TOKEN}/validate?timeout=10s`);
    expect(denied.status).toBe(200);
    const answer = (await denied.json()) as {
      response: { uid: string; allowed: boolean; status?: { message?: string } };
    };
    expect(answer.response.uid).toBe(review.request.uid);
    expect(answer.response.allowed).toBe(false);
    expect(answer.response.status?.message).toMatch(/replicas/);
    const wrong = await post('not-the-token/validate');
    expect(wrong.status).not.toBe(200);
  });
});
