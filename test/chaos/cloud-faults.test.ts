// The cloud failing, not the cluster: the AWS provider's calls to moto go through the seeded cloud fault proxy
// (throttling, internal errors, resets before and after the request was done, latency) at 30% of requests, and a
// MachineSet still converges to exactly its replicas with one instance per Machine, and scales to none with no
// instance left — a lost RunInstances reply must never become a second instance (the ClientToken is the Machine's).
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_TAG } from '../../functions/providers/aws/tags.ts';
import {
  type AwsEnv,
  allInstances,
  awsMachineSet,
  awsMachineTemplate,
  CLUSTER,
  clusterObjects,
  createNetwork,
  machinesOf,
  scaleTo,
  startAwsEnv,
  startMotoEc2,
  templateSpec,
} from '../providers/aws/support.ts';
import { eventually } from '../support/env.ts';
import type { Moto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';
import { createAll } from '../support/sample.ts';
import { type CloudChaosProxy, startCloudChaosProxy } from './cloud-proxy.ts';

const SEED = Number(process.env.CHAOS_CLOUD_SEED ?? 7);
const SET = `${CLUSTER}-worker-chaos`;

describe.skipIf(!hasPeer('moto_server'))(`AWS provider with the cloud failing (seed ${SEED})`, () => {
  let moto: Moto;
  let proxy: CloudChaosProxy;
  let a: AwsEnv;
  let direct: EC2Client;

  beforeAll(async () => {
    moto = await startMotoEc2();
    direct = new EC2Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const net = await createNetwork(moto, direct);
    proxy = await startCloudChaosProxy({
      upstream: moto.endpoint,
      seed: SEED,
      rate: 0.3,
      dialect: 'aws-ec2',
      // Whatever the seed: a RunInstances done but its reply lost, one throttled, and a TerminateInstances lost.
      script: [
        { call: 'RunInstances', fault: 'reset-after' },
        { call: 'RunInstances', fault: 'throttle' },
        { call: 'TerminateInstances', fault: 'reset-after' },
      ],
    });
    // Every EC2 client the provider (and the kubelets' simulator) builds from here on goes through the proxy.
    process.env.AWS_ENDPOINT_URL = proxy.url;
    a = await startAwsEnv();
    await createAll(a.kube, [
      ...clusterObjects(),
      awsMachineTemplate(`${CLUSTER}-worker-m5`, templateSpec(net)),
      awsMachineSet(SET, `${CLUSTER}-worker-m5`, 0),
    ]);
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await proxy?.close();
    direct?.destroy();
    await moto?.stop();
  });

  const instances = () =>
    allInstances(direct, [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }]);
  const uidOf = (i: { Tags?: Array<{ Key?: string; Value?: string }> }) =>
    i.Tags?.find((t) => t.Key === IDENTITY_TAG)?.Value;

  it('converges to one instance per Machine and back to none, whatever the cloud throws', async () => {
    for (const n of [4, 1, 3, 0]) {
      await scaleTo(a.kube, SET, n);
      let seen = '';
      await eventually(
        () =>
          `${n} Running Machines on ${n} instances (${seen}); faults ${JSON.stringify(Object.fromEntries(proxy.injected))}`,
        async () => {
          const ms = await machinesOf(a.kube, SET);
          const live = await instances();
          seen = `machines ${JSON.stringify(ms.map((m) => [m.metadata.uid?.slice(0, 8), m.status?.phase, m.status?.failureReason, (m.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}:${c.reason}`)]))}, instances ${JSON.stringify(live.map((i) => [uidOf(i)?.slice(0, 8), i.State?.Name]))}`;
          if (ms.length !== n || live.length !== n) return false;
          if (!ms.every((m) => m.status?.phase === 'Running')) return false;
          // One instance per Machine, and each instance a Machine's.
          const uids = live.map(uidOf);
          return new Set(uids).size === n && ms.every((m) => uids.includes(m.metadata.uid));
        },
        { timeoutMs: 150_000, intervalMs: 250 },
      );
    }
    const byKind = Object.fromEntries(proxy.injected);
    process.stdout.write(
      `cloud chaos seed ${SEED}: ${proxy.requests.total} EC2 requests, faults ${JSON.stringify(byKind)}, RunInstances faults ${JSON.stringify(
        Object.fromEntries([...proxy.byCall].filter(([k]) => k.startsWith('RunInstances'))),
      )}\n`,
    );
    for (const f of ['throttle', 'unavailable', 'reset', 'reset-after', 'latency'])
      expect(byKind[f], f).toBeGreaterThan(0);
  }, 600_000);
});
