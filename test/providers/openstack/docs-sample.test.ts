// The OpenShift docs' RHOSP sample (Cluster, OpenStackCluster with identityRef and network.id, OpenStackMachineTemplate
// with flavor and image.filter.name, MachineSet with an availability zone), unmodified apart from the names the
// openstack CLI seeded the emulator with, converges to Running Machines whose servers `openstack server list`
// shows; it scales, and deleting it leaves no server and no port. The credentials come from the
// openstack-cloud-credentials Secret, as the Cloud Credential Operator writes it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import { OpenStackRest } from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { openstackProviderHandlers } from '../../../functions/providers/openstack/handler.ts';
import { openstackPort } from '../../../functions/providers/openstack/port.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type OpenStackEmulator, startOpenStackEmulator } from '../../emulators/openstack/server.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { CLUSTER, clusterObjects, FLAVOR, IMAGE, INFRA, NS, type OpenStackCli, openstackCli } from './support.ts';

const SET = `${CLUSTER}-worker-nova`;

describe.skipIf(!hasPeer('openstack'))(
  'OpenStack: the OpenShift docs’ RHOSP sample against the emulator, seen by the openstack CLI',
  () => {
    let os: OpenStackEmulator;
    let env: CapiEnv;
    let cli: OpenStackCli;
    let stopNodes: () => Promise<void>;
    let provider: () => Array<{ method: string; path: string; query: string }>;
    const servers = async () =>
      (await cli.json<Array<{ Name: string; Status: string }>>('server', 'list'))
        .map((s) => `${s.Name} ${s.Status}`)
        .sort();

    beforeAll(async () => {
      os = await startOpenStackEmulator({ buildMs: 500 });
      cli = openstackCli(os);
      // What an installed cluster already has: its machines' network and subnet, and the RHCOS image.
      const net = await cli.json<{ id: string }>('network', 'create', `${CLUSTER}-openshift`);
      await cli(
        'subnet',
        'create',
        `${CLUSTER}-nodes`,
        '--network',
        `${CLUSTER}-openshift`,
        '--subnet-range',
        '10.196.0.0/16',
      );
      const file = join(mkdtempSync(join(tmpdir(), 'rhcos-')), 'rhcos.qcow2');
      writeFileSync(file, Buffer.alloc(1024, 7));
      await cli('image', 'create', IMAGE, '--file', file, '--disk-format', 'qcow2', '--container-format', 'bare');

      env = await startCapiEnv({
        providers: () =>
          openstackProviderHandlers({
            env: {},
            timings: { transitionPollMs: 200, terminatePollMs: 200, clusterRetryMs: 300 },
          }),
      });
      // The simulated kubelets list servers with their own agent, so the provider's calls can be told apart.
      const sim = new OpenStackApi(
        new OpenStackRest({ userAgent: 'node-simulator' }),
        cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator'),
      );
      const nodes = startNodeSimulator({
        kube: env.kube,
        list: () => openstackPort(sim).listOwned({}),
        name: 'openstack-node-simulator',
        intervalMs: 200,
      });
      stopNodes = () => nodes.stop();
      const start = os.state.requests.length;
      provider = () => os.state.requests.slice(start).filter((r) => r.agent === 'capi-fn-openstack');

      const set = machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: SET,
        template: `${CLUSTER}-worker`,
        replicas: 2,
        templateKind: 'OpenStackMachineTemplate',
      }) as KubeObject & {
        metadata: { labels?: Record<string, string> };
        spec: { template: { spec: Record<string, unknown> } };
      };
      // The RHOSP sample omits the MachineSet's cluster-name label and sets an optional Nova availability zone.
      delete set.metadata.labels?.['cluster.x-k8s.io/cluster-name'];
      set.spec.template.spec.failureDomain = 'nova';
      await createAll(env.kube, [
        ...clusterObjects({
          cloudsYaml: os.cloudsYaml({ cloudName: 'openstack' }),
          cloudName: 'openstack',
          networkId: net.id,
        }),
        {
          apiVersion: INFRA,
          kind: 'OpenStackMachineTemplate',
          metadata: { name: `${CLUSTER}-worker`, namespace: NS },
          spec: { template: { spec: { flavor: FLAVOR, image: { filter: { name: IMAGE } } } } },
        } as KubeObject,
        set,
      ]);
    }, 180_000);
    afterAll(async () => {
      await stopNodes?.();
      await env?.stop();
      await os?.stop();
      cli?.cleanup();
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
        { timeoutMs: 90_000 },
      );
    const scale = (replicas: number) =>
      env.kube.patch(
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: SET },
        { spec: { replicas } },
        { type: 'merge' },
      );

    it('two Running Machines; openstack server list shows two ACTIVE servers on the cluster network with the docs’ image and flavor', async () => {
      const ms = await running(2);
      const names = ms.map((m) => m.spec.infrastructureRef.name!).sort();
      expect(await servers()).toEqual(names.map((n) => `${n} ACTIVE`));
      const shown = await cli.json<{
        id: string;
        flavor: string;
        image: string;
        addresses: unknown;
        properties: unknown;
        'OS-EXT-AZ:availability_zone': string;
      }>('server', 'show', names[0]!);
      expect(shown.flavor).toContain(FLAVOR);
      expect(shown.image).toContain(IMAGE);
      expect(shown['OS-EXT-AZ:availability_zone']).toBe('nova');
      expect(JSON.stringify(shown.addresses)).toContain(`${CLUSTER}-openshift`);
      const m = ms.find((x) => x.spec.infrastructureRef.name === names[0])!;
      expect(m.spec.providerID).toBe(`openstack:///${shown.id}`);
      // Ports first, named <machine>-0, tagged with the cluster's tag and the Machine UID.
      const port = os.state.ports.find((p) => p.name === `${names[0]}-0`)!;
      expect(port).toMatchObject({
        device_id: shown.id,
        tags: expect.arrayContaining([`openshiftClusterID=${CLUSTER}`, `capi-fn-machine-uid=${m.metadata.uid}`]),
      });
      // For the record: what the provider asked of OpenStack (not the CLI, not the simulated kubelets).
      const calls = provider();
      const shapes = new Map<string, number>();
      for (const c of calls) {
        const k = `${c.method} ${c.path.replace(/[0-9a-f-]{36}/g, '<id>')}`;
        shapes.set(k, (shapes.get(k) ?? 0) + 1);
      }
      process.stdout.write(
        `openstack: ${calls.length} OpenStack calls for 2 machines to Running (${[...shapes].map(([k, n]) => `${n}× ${k}`).join(', ')})\n`,
      );
    }, 120_000);

    it('scales to 3 and back to 1; openstack server list follows', async () => {
      await scale(3);
      await running(3);
      await scale(1);
      await running(1);
      await eventually('one server left', async () => os.state.servers.size === 1, { timeoutMs: 30_000 });
      expect(await servers()).toHaveLength(1);
      // The ports of the deleted machines went with them.
      expect(os.state.ports).toHaveLength(1);
    }, 150_000);

    it('deleting the MachineSet leaves no server and no port', async () => {
      await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: SET });
      await eventually('no Machine', async () => (await machines()).length === 0, { timeoutMs: 90_000 });
      expect(await servers()).toEqual([]);
      expect(await cli.json('port', 'list')).toEqual([]);
    }, 120_000);
  },
);
