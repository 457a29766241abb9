// `capi-fn up` beyond the default: the feature-set gate a user can watch work (Default installs nothing until
// the FeatureGate says TechPreviewNoUpgrade, which then cannot be undone; a later platform change, to Azure against
// the ARM emulator), and `--platform aws` against moto_server with the node simulator, driven with kubectl and the
// README's example file.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Embedded, SeedRejectedError, startEmbedded } from '../../local/embedded/system.ts';
import { startArmEmulator } from '../emulators/arm/server.ts';
import { armEnv, trustArmCa } from '../providers/azure/support.ts';
import { eventually, tempDir } from '../support/env.ts';
import { type Moto, motoEnv, startMoto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'openshift-cluster-api';
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
const CO = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator', name: 'cluster-api' };

type Phased = { status?: { phase?: string }; spec: { providerID?: string } };
type Co = { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } };

/** kubectl without blocking this process (the API server it talks to lives here). */
async function kubectl(sys: Embedded, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'kubectl',
    ['--kubeconfig', sys.kubeconfigPath, '--cache-dir', join(sys.dataDir, 'kubectl-cache'), ...args],
    { encoding: 'utf8', cwd: ROOT },
  );
  return stdout;
}

async function machines(sys: Embedded): Promise<Phased[]> {
  return (await sys.kube.listAll<Phased & { metadata: object }>(MACHINE, { namespace: NS })).items;
}

let sys: Embedded | undefined;
afterEach(async () => {
  await sys?.stop();
  sys = undefined;
});

describe('capi-fn up --feature-set Default', () => {
  it('installs nothing until TechPreviewNoUpgrade is set, then runs the sample; the gate cannot be undone', async () => {
    const dataDir = tempDir('capi-fn-up-default-');
    sys = await startEmbedded({ dataDir, port: 0, featureSet: 'Default', sample: true, bootDelayMs: 50 });
    expect(sys.seed).toMatchObject({ platform: 'local', featureSet: 'Default', write: true });
    const off = await eventually('the operator reports Cluster API not enabled', async () => {
      const co = await sys!.kube.find<Co & { metadata: object }>(CO);
      const available = co?.status?.conditions?.find((c) => c.type === 'Available');
      return available?.status === 'True' && available.message?.includes('not enabled') ? available : undefined;
    });
    expect(off.message).toContain('TechPreviewNoUpgrade');
    const crds = await kubectl(sys, 'get', 'crd', '-o', 'name');
    expect(crds).not.toContain('cluster.x-k8s.io');
    await expect(sys.kube.listAll(MACHINE, { namespace: NS })).rejects.toThrow(/could not find the requested resource/);

    await kubectl(
      sys,
      'patch',
      'featuregate',
      'cluster',
      '--type',
      'merge',
      '-p',
      '{"spec":{"featureSet":"TechPreviewNoUpgrade"}}',
    );
    await sys.sampleApplied;
    await eventually(
      '3 Running machines of the sample',
      async () => {
        const ms = await machines(sys!);
        return ms.length === 3 && ms.every((m) => m.status?.phase === 'Running');
      },
      { timeoutMs: 60_000 },
    );
    const out = await kubectl(sys, 'get', 'clusteroperator', 'cluster-api');
    expect(out).toMatch(/cluster-api\s+\S+\s+True\s+False\s+False/);

    // Back to Default is refused, by kubectl and by a restart that asks for it.
    await expect(
      kubectl(sys, 'patch', 'featuregate', 'cluster', '--type', 'merge', '-p', '{"spec":{"featureSet":""}}'),
    ).rejects.toThrow(/TechPreviewNoUpgrade cannot be changed once set/);
    await sys.stop();
    sys = undefined;
    // Refused before anything is written: the platform asked for alongside does not sneak in either.
    const again = startEmbedded({ dataDir, port: 0, platform: 'azure', featureSet: 'Default', sample: true });
    await expect(again).rejects.toBeInstanceOf(SeedRejectedError);
    await expect(again).rejects.toThrow(/cannot be changed back to the default set.*use a fresh --data-dir/);

    // Without the flag the folder keeps what it has, machines included.
    sys = await startEmbedded({ dataDir, port: 0, sample: true, bootDelayMs: 50 });
    expect(sys.seed).toMatchObject({ platform: 'local', featureSet: 'TechPreviewNoUpgrade', write: false });
    expect(await machines(sys)).toHaveLength(3);
    await sys.stop();
    sys = undefined;

    // The webhook port of the previous run is taken now: the seed of a platform change still goes through the
    // registered webhooks, which follow the new server before it.
    const saved = JSON.parse(readFileSync(join(dataDir, 'webhook.json'), 'utf8')) as { port: number };
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(saved.port, '127.0.0.1', resolve));
    // Azure has a provider: it runs against the ARM emulator with the emulator's service principal.
    const arm = await startArmEmulator();
    const untrust = trustArmCa(arm);
    const env = { ...process.env };
    Object.assign(process.env, armEnv(arm));
    try {
      sys = await startEmbedded({ dataDir, port: 0, platform: 'azure', sample: true });
      expect(sys.seed).toMatchObject({ platform: 'azure', write: true });
      expect(new URL(sys.webhook.url).port).not.toBe(String(saved.port));
      const infra = await sys.kube.get<{ metadata: object; status?: { platformStatus?: { type?: string } } }>({
        apiVersion: 'config.openshift.io/v1',
        kind: 'Infrastructure',
        name: 'cluster',
      });
      expect(infra.status?.platformStatus?.type).toBe('Azure');
      await sys.stop();
      sys = undefined;
    } finally {
      squatter.close();
      process.env = env;
      untrust();
      await arm.stop();
    }
  }, 180_000);
});

describe.skipIf(!hasPeer('moto_server'))('capi-fn up --platform aws (moto_server)', () => {
  let moto: Moto;
  const saved = { ...process.env };
  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
  });
  afterAll(async () => {
    process.env = saved;
    await moto?.stop();
  });

  it('runs the README example to Running machines on EC2 and terminates them on scale to zero', async () => {
    sys = await startEmbedded({
      dataDir: tempDir('capi-fn-up-aws-'),
      port: 0,
      platform: 'aws',
      simulateNodes: true,
      sample: true,
    });
    expect(sys.seed).toMatchObject({ platform: 'aws', infrastructureName: 'capi-fn-aws-7x2kq' });
    expect(sys.cloud).toBeUndefined();
    await eventually('the operator created a ready AWSCluster', async () => {
      const ac = await sys!.kube.find<{ metadata: object; status?: { ready?: boolean } }>({
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
        kind: 'AWSCluster',
        namespace: NS,
        name: 'capi-fn-aws-7x2kq',
      });
      return ac?.status?.ready === true;
    });
    // The local sample is not applied on AWS: nothing runs until the user writes a MachineSet.
    expect(await machines(sys)).toHaveLength(0);

    await kubectl(sys, 'apply', '-f', join(ROOT, 'examples/aws/machineset.yaml'));
    const running = await eventually(
      '2 Running machines backed by EC2 instances',
      async () => {
        const ms = await machines(sys!);
        return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running') ? ms : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const ec2 = new EC2Client({});
    try {
      const ids = running.map((m) => m.spec.providerID!.split('/').pop()!);
      expect(running.every((m) => m.spec.providerID!.startsWith('aws:///us-east-1a/i-'))).toBe(true);
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const instances = described.Reservations!.flatMap((r) => r.Instances ?? []);
      expect(instances.map((i) => i.ImageId)).toEqual(['ami-1e749f67', 'ami-1e749f67']);
      expect(instances.map((i) => i.InstanceType)).toEqual(['m6i.xlarge', 'm6i.xlarge']);
      expect(instances.every((i) => i.State?.Name === 'running')).toBe(true);

      await kubectl(
        sys,
        'scale',
        'machineset.cluster.x-k8s.io/capi-fn-aws-7x2kq-worker-us-east-1a',
        '-n',
        NS,
        '--replicas=0',
      );
      await eventually(
        'no machines and both instances terminated',
        async () => {
          if ((await machines(sys!)).length) return false;
          const after = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
          return after.Reservations!.flatMap((r) => r.Instances ?? []).every((i) => i.State?.Name === 'terminated');
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      ec2.destroy();
    }
  }, 180_000);
});
