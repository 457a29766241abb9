// Boot from volume and additional devices (reference §1.4): the root volume `<machine>-root` is made from the image
// and waited for until `available`, `Volume` devices become `<machine>-<device>`, `Local` ones blank local disks; the
// server boots from them. What a server that was never made leaves behind (ports, volumes — here because Nova
// refused the server for quota) is deleted with the Machine. A build that ends in ERROR fails the Machine with
// Nova's fault.
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
import { createAll, machineSet } from '../../support/sample.ts';
import { CLUSTER, clusterObjects, docsTemplateSpec, INFRA, NS, seedCloud, TEST_TIMINGS } from './support.ts';

describe('OpenStack: boot from volume, extra devices, and leftovers of a refused server', () => {
  let os: OpenStackEmulator;
  let env: CapiEnv;
  let stopNodes: () => Promise<void>;
  beforeAll(async () => {
    os = await startOpenStackEmulator({ buildMs: 200, volumeMs: 400 });
    seedCloud(os);
    env = await startCapiEnv({
      providers: () =>
        openstackProviderHandlers({ transport: () => new OpenStackRest(), env: {}, timings: TEST_TIMINGS }),
    });
    const sim = new OpenStackApi(new OpenStackRest(), cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator'));
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: () => openstackPort(sim).listOwned({}),
      name: 'openstack-node-simulator',
      intervalMs: 200,
    });
    stopNodes = () => nodes.stop();
    await createAll(env.kube, [
      ...clusterObjects({ cloudsYaml: os.cloudsYaml({ cloudName: 'openstack' }), cloudName: 'openstack' }),
      {
        apiVersion: INFRA,
        kind: 'OpenStackMachineTemplate',
        metadata: { name: 'bfv', namespace: NS },
        spec: {
          template: {
            spec: {
              ...docsTemplateSpec(),
              rootVolume: { sizeGiB: 120, type: 'ssd' },
              additionalBlockDevices: [
                { name: 'etcd', sizeGiB: 10, storage: { type: 'Volume', volume: { type: 'fast' } } },
                { name: 'scratch', sizeGiB: 5, storage: { type: 'Local' } },
              ],
            },
          },
        },
      } as KubeObject,
    ]);
  }, 120_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await os?.stop();
  });
  const machines = async (set: string) =>
    (
      await env.kube.listAll<Machine>(
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
        { namespace: NS, labelSelector: `cluster.x-k8s.io/set-name=${set}` },
      )
    ).items;
  const set = (name: string, replicas: number) =>
    machineSet({
      namespace: NS,
      cluster: CLUSTER,
      name,
      template: 'bfv',
      replicas,
      templateKind: 'OpenStackMachineTemplate',
      templateApiVersion: INFRA,
    });

  it('the server boots from <machine>-root made from the image, with <machine>-etcd attached; both go with it', async () => {
    await createAll(env.kube, [set('bfv-a', 1)]);
    const [m] = await eventually(
      'a Running Machine',
      async () => {
        const ms = await machines('bfv-a');
        return ms.length === 1 && ms[0]!.status?.phase === 'Running' ? ms : false;
      },
      { timeoutMs: 60_000 },
    );
    const name = m!.spec.infrastructureRef.name!;
    const server = [...os.state.servers.values()].find((s) => s.name === name)!;
    expect(server.imageId).toBe('');
    const volumes = server.volumes.map((a) => os.state.volumes.get(a.id)!);
    expect(volumes.map((v) => [v.name, v.size, v.volumeType, v.bootable])).toEqual([
      [`${name}-root`, 120, 'ssd', true],
      [`${name}-etcd`, 10, 'fast', false],
    ]);
    await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: 'bfv-a' });
    await eventually(
      'no Machine, server, port or volume',
      async () => (await machines('bfv-a')).length === 0 && os.state.servers.size === 0,
      {
        timeoutMs: 60_000,
      },
    );
    expect(os.state.volumes.size).toBe(0);
    expect(os.state.ports).toEqual([]);
  }, 120_000);

  it('Nova refuses the server for quota: a condition says so; deleting the Machine removes the ports and volumes made for it', async () => {
    os.state.quota.instances = 0;
    await createAll(env.kube, [set('bfv-q', 1)]);
    const im = await eventually(
      'refused for quota, with its volumes and port made',
      async () => {
        const [m] = await machines('bfv-q');
        if (!m) return false;
        const o = await env.kube.find<
          KubeObject & { status?: { conditions?: Array<{ type: string; reason?: string; message?: string }> } }
        >({
          apiVersion: INFRA,
          kind: 'OpenStackMachine',
          namespace: NS,
          name: m.spec.infrastructureRef.name!,
        });
        const c = o?.status?.conditions?.find((x) => x.type === 'InstanceReady');
        return c?.message?.includes('Quota exceeded for instances') && os.state.volumes.size === 2
          ? { c, o: o! }
          : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(im.c.reason).toBe('InstanceProvisionFailed');
    expect(os.state.ports).toHaveLength(1);
    await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: 'bfv-q' });
    await eventually('no Machine', async () => (await machines('bfv-q')).length === 0, { timeoutMs: 60_000 });
    expect(os.state.ledger).toHaveLength(1);
    expect(os.state.volumes.size).toBe(0);
    expect(os.state.ports).toEqual([]);
    os.state.quota.instances = 100;
  }, 120_000);

  it('a build that ends in ERROR fails the Machine with Nova’s fault message; deleting it removes the server', async () => {
    os.state.failNextBuilds(1);
    await createAll(env.kube, [set('bfv-e', 1)]);
    const m = await eventually(
      'a Failed Machine',
      async () => {
        const [m] = await machines('bfv-e');
        return m?.status?.phase === 'Failed' ? m : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(m.status?.failureReason).toBe('UpdateError');
    expect(m.status?.failureMessage).toMatch(/server [0-9a-f-]+ is ERROR: No valid host was found/);
    await env.kube.delete({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Machine',
      namespace: NS,
      name: m.metadata.name!,
    });
    await eventually('the server is gone', async () => os.state.servers.size === 0, { timeoutMs: 60_000 });
    await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: 'bfv-e' });
  }, 120_000);
});
