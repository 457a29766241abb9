// The provider contract for the OpenStack provider, against the OpenStack emulator (test/emulators/openstack, which
// the openstack CLI accepts). The credentials come from the openstack-cloud-credentials Secret, as on OpenShift;
// servers are read back from the emulator's own ledger, never through the provider's port.
import { describe } from 'vitest';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import { OpenStackRest } from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { openstackProviderHandlers } from '../../../functions/providers/openstack/handler.ts';
import { openstackProvider } from '../../../functions/providers/openstack/index.ts';
import { CLUSTER_METADATA, UID_METADATA } from '../../../functions/providers/openstack/names.ts';
import { openstackPort } from '../../../functions/providers/openstack/port.ts';
import { type OpenStackEmulator, startOpenStackEmulator } from '../../emulators/openstack/server.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';
import {
  CLUSTER,
  clusterObjects,
  docsTemplateSpec,
  FLAVOR,
  IMAGE,
  INFRA,
  NS,
  seedCloud,
  TEST_TIMINGS,
} from './support.ts';

const CLOUD = 'openstack';

function fixture(): ProviderFixture {
  let os: OpenStackEmulator | undefined;
  const emu = () => {
    if (!os) throw new Error('the emulator is not started');
    return os;
  };
  const cloud = () => cloudFromYaml(emu().cloudsYaml({ cloudName: CLOUD }), CLOUD);
  /** Where the provider's credentials point: the emulator, or the fault proxy in front of it. */
  let via: string | undefined;
  const providerCloudsYaml = () => {
    const yaml = emu().cloudsYaml({ cloudName: CLOUD });
    return via ? yaml.replace(new URL(emu().authUrl).origin, via) : yaml;
  };
  /** A server made straight through the emulator's state, as another tool would. */
  const serverOutside = (name: string, metadata: Record<string, string>) => {
    const s = emu().state;
    const img = s.images.find((i) => i.name === IMAGE)!;
    return s.createServer(
      { name, flavorRef: s.flavors.find((f) => f.name === FLAVOR)!.id, imageRef: img.id, metadata },
      [2, 53],
      undefined,
    ).id;
  };
  return {
    module: openstackProvider,
    infraMachine: { apiVersion: INFRA, kind: 'OpenStackMachine' },
    timings: TEST_TIMINGS,
    async start() {
      os = await startOpenStackEmulator({ buildMs: 300 });
    },
    cloudFaults: {
      dialect: 'openstack',
      upstream: () => new URL(emu().authUrl).origin,
      // Keystone's catalog is built from the Host the proxy forwards: Nova, Neutron and Glance go through it too.
      createCall: 'POST /compute/v2.1/servers',
      deleteCall: 'DELETE /compute/v2.1/servers/',
      via: (url) => {
        via = url;
      },
    },
    async stop() {
      await os?.stop();
    },
    async reset() {
      emu().state.reset();
    },
    async install({ kube, wrap, timings }) {
      const transport = new OpenStackRest({ sleep: async () => {} });
      const sim = new OpenStackApi(new OpenStackRest(), cloud());
      const nodes = startNodeSimulator({
        kube,
        list: () => openstackPort(sim).listOwned({}),
        name: 'openstack-node-simulator',
        intervalMs: 200,
      });
      return {
        handlers: openstackProviderHandlers({ transport: () => wrap(transport), env: {}, timings }),
        client: { transport, cloud: undefined },
        async stop() {
          await nodes.stop();
        },
      };
    },
    async seed() {
      seedCloud(emu());
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects: clusterObjects({ cloudsYaml: providerCloudsYaml(), cloudName: CLOUD }),
        template: { apiVersion: INFRA, kind: 'OpenStackMachineTemplate', spec: docsTemplateSpec() },
        badInput: [
          {
            what: 'image',
            spec: { image: { filter: { name: 'rhcos-missing' } } },
            reason: 'ImageNotFound',
            field: 'spec.image.filter',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { image: { filter: { name: IMAGE } } } }, { type: 'merge' });
            },
          },
          {
            what: 'network',
            spec: { ports: [{ network: { filter: { name: 'ocp-extra-net' } } }] },
            reason: 'NetworkNotFound',
            field: 'spec.ports[0].network.filter',
            fix: async () => {
              const net = emu().state.createNetwork({ name: 'ocp-extra-net' });
              emu().state.createSubnet({ network_id: net.id, name: 'ocp-extra-subnet', cidr: '10.200.0.0/24' });
            },
          },
          {
            what: 'instance type',
            spec: { flavor: 'm9.huge' },
            reason: 'FlavorNotFound',
            field: 'spec.flavor',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { flavor: FLAVOR } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      emu().state.settle();
      return emu()
        .state.ledger.filter((e) => e.metadata[UID_METADATA] !== undefined)
        .map((e) => ({
          id: e.id,
          machineUid: e.metadata[UID_METADATA],
          live: !e.gone,
          providerID: `openstack:///${e.id}`,
        }));
    },
    async deleteOutside(id) {
      emu().state.deleteServerNow(id);
    },
    async foreignInstance() {
      const id = serverOutside('production-database', { env: 'prod' });
      return {
        id,
        spec: { providerID: `openstack:///${id}` },
        live: async () => emu().state.servers.has(id),
      };
    },
    async orphanInstance({ clusterName, machineUid }) {
      return serverOutside(`orphan-${machineUid}`, { [UID_METADATA]: machineUid, [CLUSTER_METADATA]: clusterName });
    },
  };
}

describe('OpenStack provider on the OpenStack emulator: the provider contract', () => {
  providerContract({ crashMaxK: 22 }, fixture);
});
