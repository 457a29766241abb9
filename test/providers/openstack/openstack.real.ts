// The OpenStack provider against a real OpenStack — Debian's Zed with Nova's fake virt driver, started by
// scripts/openstack-real.sh — not the emulator: the documented workflow (a MachineSet to Running servers and
// back to nothing), a function that dies right after `POST /servers`, and bad input. Where this and the emulator
// disagree, the real one is right. Run with `npm run test:openstack-real` (not part of `npm test`: the stack
// needs ≈ 2.5 GB of memory and minutes of CPU to start; see the README).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import {
  type OpenStackCall,
  OpenStackRest,
  type OpenStackTransport,
} from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { openstackProviderHandlers } from '../../../functions/providers/openstack/handler.ts';
import { UID_METADATA, uidTag } from '../../../functions/providers/openstack/names.ts';
import { openstackPort } from '../../../functions/providers/openstack/port.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { CLUSTER, clusterObjects, INFRA, NS } from './support.ts';

const run = promisify(execFile);
const CLOUDS =
  process.env.OPENSTACK_REAL_CLOUDS_YAML ??
  join(process.env.OPENSTACK_REAL_DIR ?? join(homedir(), '.cache/capi-fn/openstack-real'), 'clouds.yaml');
const CLOUD = 'capi-fn-real';
const RUN = Date.now().toString(36);
const NET = `capi-fn-real-${RUN}`;
const IMAGE = `rhcos-real-${RUN}`;
const FLAVOR = 'm1.xlarge.ocp';

describe.skipIf(!existsSync(CLOUDS))('the OpenStack provider against a real OpenStack (Zed, fake virt driver)', () => {
  let env: CapiEnv;
  let api: OpenStackApi;
  let stopNodes: () => Promise<void>;
  let lost = 0;
  const cli = async (...args: string[]) =>
    (
      await run('openstack', args, {
        env: { PATH: process.env.PATH, OS_CLIENT_CONFIG_FILE: CLOUDS, OS_CLOUD: CLOUD },
        timeout: 120_000,
      })
    ).stdout;

  beforeAll(async () => {
    const yaml = readFileSync(CLOUDS, 'utf8');
    api = new OpenStackApi(new OpenStackRest(), cloudFromYaml(yaml, CLOUD));
    // What an installed cluster has: a network with a subnet, and an image (the flavor is the script's).
    await cli('network', 'create', NET);
    await cli('subnet', 'create', `${NET}-nodes`, '--network', NET, '--subnet-range', '10.197.0.0/24');
    const file = join(mkdtempSync(join(tmpdir(), 'rhcos-')), 'rhcos.raw');
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    await cli('image', 'create', IMAGE, '--file', file, '--disk-format', 'raw', '--container-format', 'bare');

    // The first POST /servers of the run reaches Nova, but its answer is lost, as if the function died.
    const inner = new OpenStackRest();
    const transport: OpenStackTransport = {
      session: (c) => inner.session(c),
      async request<T>(cloud: Parameters<OpenStackTransport['request']>[0], call: OpenStackCall) {
        const r = await inner.request<T>(cloud, call);
        if (call.method === 'POST' && call.path === '/servers' && lost === 0) {
          lost++;
          throw new Error('function instance killed after POST /servers');
        }
        return r;
      },
    };
    env = await startCapiEnv({
      providers: () =>
        openstackProviderHandlers({
          transport: () => transport,
          env: {},
          timings: { transitionPollMs: 1_000, terminatePollMs: 1_000, badInputRetryMs: 2_000 },
        }),
    });
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: () => openstackPort(api).listOwned({ clusterName: CLUSTER }),
      name: 'openstack-node-simulator',
      intervalMs: 500,
    });
    stopNodes = () => nodes.stop();
    await createAll(
      env.kube,
      clusterObjects({ cloudsYaml: yaml.replace(`${CLOUD}:`, 'openstack:'), cloudName: 'openstack' }),
    );
  }, 300_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await cli('image', 'delete', IMAGE).catch(() => undefined);
    await cli('network', 'delete', NET).catch(() => undefined);
  }, 120_000);

  const machines = async (set: string) =>
    (
      await env.kube.listAll<Machine>(
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
        { namespace: NS, labelSelector: `cluster.x-k8s.io/set-name=${set}` },
      )
    ).items;
  const template = (name: string, spec: Record<string, unknown>) =>
    ({
      apiVersion: INFRA,
      kind: 'OpenStackMachineTemplate',
      metadata: { name, namespace: NS },
      spec: { template: { spec } },
    }) as KubeObject;
  const spec = { flavor: FLAVOR, image: { filter: { name: IMAGE } }, ports: [{ network: { filter: { name: NET } } }] };

  it('a MachineSet of 2 runs on ACTIVE servers (one per Machine, although the first create’s answer was lost), and deleting it leaves no server and no port', async () => {
    await createAll(env.kube, [
      template('real-t', spec),
      machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: 'real-a',
        template: 'real-t',
        replicas: 2,
        templateKind: 'OpenStackMachineTemplate',
        templateApiVersion: INFRA,
      }),
    ]);
    const ms = await eventually(
      '2 Running Machines',
      async () => {
        const ms = await machines('real-a');
        return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running') ? ms : false;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(lost).toBe(1);
    for (const m of ms) {
      const servers = (await api.listServers()).filter((s) => s.metadata?.[UID_METADATA] === m.metadata.uid);
      expect(servers.map((s) => s.status)).toEqual(['ACTIVE']);
      expect(m.spec.providerID).toBe(`openstack:///${servers[0]!.id}`);
      const ports = await api.listPorts({ tags: uidTag(m.metadata.uid!) });
      expect(ports.map((p) => [p.name, p.device_id])).toEqual([[`${m.spec.infrastructureRef.name}-0`, servers[0]!.id]]);
    }
    await env.kube.delete({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineSet',
      namespace: NS,
      name: 'real-a',
    });
    await eventually('no Machine', async () => (await machines('real-a')).length === 0, {
      timeoutMs: 240_000,
      intervalMs: 1_000,
    });
    for (const m of ms) {
      expect((await api.listServers()).filter((s) => s.metadata?.[UID_METADATA] === m.metadata.uid)).toEqual([]);
      expect(await api.listPorts({ tags: uidTag(m.metadata.uid!) })).toEqual([]);
    }
  }, 600_000);

  it('an image filter that matches nothing is a condition naming the field, and nothing is created', async () => {
    await createAll(env.kube, [
      template('real-bad', { ...spec, image: { filter: { name: `${IMAGE}-missing` } } }),
      machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: 'real-bad',
        template: 'real-bad',
        replicas: 1,
        templateKind: 'OpenStackMachineTemplate',
        templateApiVersion: INFRA,
      }),
    ]);
    const cond = await eventually(
      'InstanceReady=False/ImageNotFound',
      async () => {
        const [m] = await machines('real-bad');
        if (!m) return false;
        const om = await env.kube.find<
          KubeObject & { status?: { conditions?: Array<{ type: string; reason?: string; message?: string }> } }
        >({
          apiVersion: INFRA,
          kind: 'OpenStackMachine',
          namespace: NS,
          name: m.spec.infrastructureRef.name!,
        });
        const c = om?.status?.conditions?.find((x) => x.type === 'InstanceReady');
        return c?.reason === 'ImageNotFound' ? { c, uid: m.metadata.uid! } : false;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(cond.c.message).toContain('spec.image.filter');
    expect((await api.listServers()).filter((s) => s.metadata?.[UID_METADATA] === cond.uid)).toEqual([]);
    expect(await api.listPorts({ tags: uidTag(cond.uid) })).toEqual([]);
    await env.kube.delete({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineSet',
      namespace: NS,
      name: 'real-bad',
    });
    await eventually('no Machine', async () => (await machines('real-bad')).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
  }, 300_000);
});
