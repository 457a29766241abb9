// The OpenShift docs' GCP sample (Cluster, GCPCluster, GCPMachineTemplate, MachineSet with a failure domain),
// unmodified apart from the names gcloud seeded the emulator with, converges to Running Machines whose instances
// gcloud lists; it scales, and deleting it leaves nothing gcloud can see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcpRestClients } from '../../../functions/providers/gcp/credentials.ts';
import { gcpProviderHandlers } from '../../../functions/providers/gcp/handler.ts';
import { gcpPort } from '../../../functions/providers/gcp/port.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type GceEmulator, startGceEmulator } from '../../emulators/gce/server.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { CLUSTER, docsTemplateSpec, GCP, type Gcloud, gcloudAgainst, IMAGE, NS, PROJECT } from './support.ts';

describe.skipIf(!hasPeer('gcloud'))('GCP: the OpenShift docs’ sample against the emulator, seen by gcloud', () => {
  let gce: GceEmulator;
  let env: CapiEnv;
  let gcloud: Gcloud;
  let stopNodes: () => Promise<void>;
  const instances = async () =>
    (await gcloud('compute', 'instances', 'list', '--format=value(name,zone.basename(),status)')).trim();

  beforeAll(async () => {
    gce = await startGceEmulator({ stepMs: 100 });
    gcloud = await gcloudAgainst(gce.endpoint, PROJECT);
    // What an installed cluster already has: its network, worker subnet and the RHCOS image.
    await gcloud('compute', 'networks', 'create', `${CLUSTER}-network`, '--subnet-mode=custom');
    await gcloud(
      'compute',
      'networks',
      'subnets',
      'create',
      `${CLUSTER}-worker-subnet`,
      '--network',
      `${CLUSTER}-network`,
      '--region',
      'us-central1',
      '--range',
      '10.0.128.0/17',
    );
    await gcloud(
      'compute',
      'images',
      'create',
      IMAGE,
      '--project',
      'rhcos-cloud',
      '--source-uri',
      'gs://rhcos/rhcos.tar.gz',
    );

    const api = new GcpRestClients({ endpoint: gce.endpoint });
    env = await startCapiEnv({
      providers: () =>
        gcpProviderHandlers({ client: () => api, timings: { transitionPollMs: 200, terminatePollMs: 200 } }),
    });
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: () => gcpPort(api, PROJECT).listOwned({}),
      name: 'gcp-node-simulator',
      intervalMs: 200,
    });
    stopNodes = () => nodes.stop();
    const ignition = Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64');
    const set = machineSet({
      namespace: NS,
      cluster: CLUSTER,
      name: `${CLUSTER}-worker-a`,
      template: `${CLUSTER}-worker`,
      replicas: 2,
      templateKind: 'GCPMachineTemplate',
    }) as KubeObject & { spec: { template: { spec: Record<string, unknown> } } };
    set.spec.template.spec.failureDomain = 'us-central1-a';
    await createAll(env.kube, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'worker-user-data', namespace: NS },
        data: { value: ignition, format: Buffer.from('ignition').toString('base64') },
      } as KubeObject,
      // The docs' Cluster and GCPCluster.
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name: CLUSTER, namespace: NS },
        spec: {
          controlPlaneEndpoint: { host: `api.${CLUSTER}.example.com`, port: 6443 },
          infrastructureRef: { apiVersion: GCP, kind: 'GCPCluster', name: CLUSTER, namespace: NS },
        },
      } as KubeObject,
      {
        apiVersion: GCP,
        kind: 'GCPCluster',
        metadata: { name: CLUSTER, namespace: NS },
        spec: {
          controlPlaneEndpoint: { host: `api.${CLUSTER}.example.com`, port: 6443 },
          network: { name: `${CLUSTER}-network` },
          project: PROJECT,
          region: 'us-central1',
        },
      } as KubeObject,
      // The docs' GCPMachineTemplate.
      {
        apiVersion: GCP,
        kind: 'GCPMachineTemplate',
        metadata: { name: `${CLUSTER}-worker`, namespace: NS },
        spec: {
          template: { spec: docsTemplateSpec() },
        },
      } as KubeObject,
      set,
    ]);
  }, 120_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await gce?.stop();
    gcloud?.cleanup();
  });

  const machines = async () =>
    (await env.kube.listAll<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: NS }))
      .items;
  const running = (n: number) =>
    eventually(
      `${n} Running Machines`,
      async () => {
        const ms = await machines();
        return ms.length === n && ms.every((m) => m.status?.phase === 'Running') ? ms : false;
      },
      { timeoutMs: 60_000 },
    );

  it('two Running Machines, two RUNNING instances in gcloud with the docs’ labels, tags and disk', async () => {
    const ms = await running(2);
    const names = ms.map((m) => m.spec.infrastructureRef.name!).sort();
    expect(await instances()).toBe(names.map((n) => `${n}\tus-central1-a\tRUNNING`).join('\n'));
    const d = JSON.parse(
      await gcloud('compute', 'instances', 'describe', names[0]!, '--zone', 'us-central1-a', '--format=json'),
    ) as {
      labels: Record<string, string>;
      tags: { items: string[] };
      disks: Array<{ diskSizeGb: string }>;
      networkInterfaces: Array<{ subnetwork: string }>;
      serviceAccounts: Array<{ email: string }>;
      canIpForward: boolean;
    };
    expect(d.labels).toMatchObject({
      [`capg-cluster-${CLUSTER}`]: 'owned',
      [`kubernetes-io-cluster-${CLUSTER}`]: 'owned',
      'capg-role': 'node',
    });
    expect(d.tags.items).toContain(`${CLUSTER}-worker`);
    expect(d.disks[0]!.diskSizeGb).toBe('128');
    expect(d.networkInterfaces[0]!.subnetwork).toMatch(
      new RegExp(`/regions/us-central1/subnetworks/${CLUSTER}-worker-subnet$`),
    );
    expect(d.serviceAccounts[0]!.email).toBe(`${CLUSTER}-w@${PROJECT}.iam.gserviceaccount.com`);
    expect(d.canIpForward).toBe(false);
    for (const m of ms)
      expect(m.spec.providerID).toBe(`gce://${PROJECT}/us-central1-a/${m.spec.infrastructureRef.name}`);
    // For the record: what the provider (not gcloud, not the simulated kubelet's listing) asked of Compute Engine.
    const calls = gce.state.requests.filter(
      (r) => !r.agent?.includes('gcloud') && !r.path.endsWith('aggregated/instances'),
    );
    const shapes = new Set(
      calls.map(
        (c) => `${c.method} ${c.path.replace(/[^/]+-worker-a-[a-z0-9]+/, '<m>').replace(/operation-[^/]+/, '<op>')}`,
      ),
    );
    process.stdout.write(
      `gcp: ${calls.length} Compute Engine calls for 2 machines to Running (${[...shapes].join(', ')})\n`,
    );
  }, 90_000);

  it('scales to 3 and back to 1; gcloud follows', async () => {
    await env.kube.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: `${CLUSTER}-worker-a` },
      { spec: { replicas: 3 } },
      { type: 'merge' },
    );
    await running(3);
    expect((await instances()).split('\n')).toHaveLength(3);
    await env.kube.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: `${CLUSTER}-worker-a` },
      { spec: { replicas: 1 } },
      { type: 'merge' },
    );
    await running(1);
    await eventually('gcloud lists one instance', async () => (await instances()).split('\n').length === 1, {
      timeoutMs: 30_000,
    });
  }, 120_000);

  it('a quota refusal is a condition naming the quota, and the machine proceeds once the quota is raised', async () => {
    gce.state.cpuQuota = 4; // the one n1-standard-4 left uses it all
    await env.kube.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: `${CLUSTER}-worker-a` },
      { spec: { replicas: 2 } },
      { type: 'merge' },
    );
    const refused = await eventually(
      'a GCPMachine refused for quota',
      async () => {
        const gms = (
          await env.kube.listAll<
            KubeObject & { status?: { conditions?: Array<{ type: string; reason?: string; message?: string }> } }
          >({ apiVersion: GCP, kind: 'GCPMachine' }, { namespace: NS })
        ).items;
        for (const g of gms) {
          const c = g.status?.conditions?.find((x) => x.type === 'InstanceReady');
          if (c?.message?.includes('QUOTA_EXCEEDED')) return { ...c, name: g.metadata.name! };
        }
        return false;
      },
      { timeoutMs: 30_000 },
    );
    expect(refused.reason).toBe('InstanceProvisionFailed');
    expect(refused.message).toContain("Quota 'CPUS' exceeded.  Limit: 4.0 in region us-central1.");
    expect(refused.message).toMatch(/raise the quota or free capacity\); retrying in \d+s$/);
    expect((await instances()).split('\n')).toHaveLength(1);
    // Quota waits are long (minutes); any change to the GCPMachine makes it look again at once.
    gce.state.cpuQuota = 1000;
    await env.kube.patch(
      { apiVersion: GCP, kind: 'GCPMachine', namespace: NS, name: refused.name },
      { metadata: { annotations: { 'example.com/quota-raised': 'true' } } },
      { type: 'merge' },
    );
    await running(2);
  }, 120_000);

  it('deleting the MachineSet leaves nothing gcloud can see', async () => {
    await env.kube.delete({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineSet',
      namespace: NS,
      name: `${CLUSTER}-worker-a`,
    });
    await eventually('no Machine', async () => (await machines()).length === 0, { timeoutMs: 60_000 });
    await eventually('no instance', async () => (await instances()) === '', { timeoutMs: 30_000 });
  }, 90_000);
});
