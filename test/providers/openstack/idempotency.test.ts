// Nova has no idempotency token: a `POST /servers` whose answer is lost (the connection drops, the function dies)
// must never lead to a second server. The port looks for the server by name and the Machine UID in its metadata
// right before every create, and the kit's lookup runs before every create too; ports and volumes are found by
// their names and the Machine UID before any is made.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import {
  type OpenStackCall,
  OpenStackRest,
  type OpenStackTransport,
} from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { classifyOpenStackError } from '../../../functions/providers/openstack/errors.ts';
import { openstackProviderHandlers } from '../../../functions/providers/openstack/handler.ts';
import { UID_METADATA } from '../../../functions/providers/openstack/names.ts';
import { openstackPort } from '../../../functions/providers/openstack/port.ts';
import type { ServerRequest } from '../../../functions/providers/openstack/request.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import { type OpenStackEmulator, startOpenStackEmulator } from '../../emulators/openstack/server.ts';
import { eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { CLUSTER, clusterObjects, docsTemplateSpec, INFRA, NS, seedCloud, TEST_TIMINGS } from './support.ts';

const UID = '5d1f7c2a-3b4e-4f60-8a9b-0c1d2e3f4a5b';

/** A transport whose first `POST /servers` reaches Nova but whose answer is lost. */
function losingFirstCreate(inner: OpenStackTransport, error: () => Error): OpenStackTransport & { lost: number } {
  const t = {
    lost: 0,
    session: (c: Parameters<OpenStackTransport['session']>[0]) => inner.session(c),
    async request<T>(cloud: Parameters<OpenStackTransport['request']>[0], call: OpenStackCall) {
      const r = await inner.request<T>(cloud, call);
      if (call.method === 'POST' && call.path === '/servers' && t.lost === 0) {
        t.lost++;
        throw error();
      }
      return r;
    },
  };
  return t;
}

describe('a create whose answer is lost', () => {
  let os: OpenStackEmulator;
  beforeAll(async () => {
    os = await startOpenStackEmulator({ buildMs: 200 });
  });
  afterAll(async () => {
    await os?.stop();
  });
  beforeEach(() => os.state.reset());
  const posts = () => os.state.requests.filter((r) => r.method === 'POST' && r.path === '/v2.1/servers').length;

  it('port level: a dropped connection is not definitive, and the next create finds the server instead of making one', async () => {
    const { networkId } = seedCloud(os);
    const cloud = cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator');
    const transport = losingFirstCreate(new OpenStackRest(), () =>
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    );
    const port = openstackPort(new OpenStackApi(transport, cloud));
    const img = os.state.images[0]!.id as string;
    const request: ServerRequest = {
      name: 'w-0',
      machineUid: UID,
      ports: [{ name: 'w-0-0', description: 'd', networkID: networkId, tags: [`capi-fn-machine-uid=${UID}`] }],
      volumes: [],
      server: {
        name: 'w-0',
        flavorRef: '1',
        imageRef: img,
        metadata: { [UID_METADATA]: UID, 'capi-fn-cluster': CLUSTER },
      },
      localDevices: [],
      hints: {},
    };
    const identity = { machineUid: UID, clusterName: CLUSTER, namespace: NS, name: 'w-0' };
    const err = await port.create(request, `${UID}-1`, identity).catch((e: unknown) => e);
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'transient', definitive: false });
    const again = await port.create(request, `${UID}-1`, identity);
    expect(posts()).toBe(1);
    expect(os.state.ledger.map((e) => e.id)).toEqual([again.id]);
    expect(os.state.ports.filter((p) => p.name === 'w-0-0')).toHaveLength(1);
    expect((await port.find(identity)).map((i) => i.id)).toEqual([again.id]);
  });

  it('handler level: the function dies right after POST /servers; the Machine still gets exactly one server', async () => {
    seedCloud(os);
    const transport = losingFirstCreate(new OpenStackRest(), () => new Error('function instance killed'));
    const env = await startCapiEnv({
      providers: () => openstackProviderHandlers({ transport: () => transport, env: {}, timings: TEST_TIMINGS }),
    });
    const sim = new OpenStackApi(new OpenStackRest(), cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator'));
    const nodes = startNodeSimulator({
      kube: env.kube,
      list: () => openstackPort(sim).listOwned({}),
      name: 'openstack-node-simulator',
      intervalMs: 200,
    });
    try {
      await createAll(env.kube, [
        ...clusterObjects({ cloudsYaml: os.cloudsYaml({ cloudName: 'openstack' }), cloudName: 'openstack' }),
        {
          apiVersion: INFRA,
          kind: 'OpenStackMachineTemplate',
          metadata: { name: 't', namespace: NS },
          spec: { template: { spec: docsTemplateSpec() } },
        },
        machineSet({
          namespace: NS,
          cluster: CLUSTER,
          name: 's',
          template: 't',
          replicas: 1,
          templateKind: 'OpenStackMachineTemplate',
          templateApiVersion: INFRA,
        }),
      ]);
      const [m] = await eventually(
        'one Running Machine',
        async () => {
          const ms = (
            await env.kube.listAll<Machine>(
              { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
              { namespace: NS },
            )
          ).items;
          return ms.length === 1 && ms[0]!.status?.phase === 'Running' ? ms : false;
        },
        { timeoutMs: 60_000 },
      );
      expect(transport.lost).toBe(1);
      expect(posts()).toBe(1);
      expect(os.state.ledger).toHaveLength(1);
      expect(os.state.ledger[0]!.metadata[UID_METADATA]).toBe(m!.metadata.uid);
      expect(m!.spec.providerID).toBe(`openstack:///${os.state.ledger[0]!.id}`);
    } finally {
      await nodes.stop();
      await env.stop();
    }
  }, 90_000);
});
