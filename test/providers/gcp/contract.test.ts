// The provider contract for the GCP provider, against the Compute Engine emulator (test/emulators/gce, which
// gcloud accepts). Instances are read back from the emulator's own state, never through the provider's port.
import { describe } from 'vitest';
import { GcpRestClients } from '../../../functions/providers/gcp/credentials.ts';
import { gcpProviderHandlers } from '../../../functions/providers/gcp/handler.ts';
import { gcpProvider } from '../../../functions/providers/gcp/index.ts';
import { CLUSTER_LABEL_PREFIX, IDENTITY_LABEL } from '../../../functions/providers/gcp/names.ts';
import { gcpPort } from '../../../functions/providers/gcp/port.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type GceEmulator, startGceEmulator } from '../../emulators/gce/server.ts';
import { eventually } from '../../support/env.ts';
import { type ObservedInstance, type ProviderFixture, providerContract } from '../contract.ts';
import { CLUSTER, docsTemplateSpec, GCP, IMAGE, NS, PROJECT, REGION, TEST_TIMINGS, ZONE } from './support.ts';

const SUBNET = `${CLUSTER}-worker-subnet`;
const IGNITION = '{"ignition":{"version":"3.4.0"}}';

function fixture(): ProviderFixture {
  let gce: GceEmulator | undefined;
  const emu = () => {
    if (!gce) throw new Error('the emulator is not started');
    return gce;
  };
  const base = () => emu().endpoint;
  /** Where the provider's clients point: the emulator, or the fault proxy in front of it. */
  let via: string | undefined;
  /** An instance made straight through the API, as another tool would. */
  const insert = (name: string, labels: Record<string, string>) =>
    emu().state.insertInstance(
      PROJECT,
      ZONE,
      {
        name,
        machineType: `zones/${ZONE}/machineTypes/n2-standard-4`,
        disks: [{ boot: true, initializeParams: { sourceImage: `projects/rhcos-cloud/global/images/${IMAGE}` } }],
        networkInterfaces: [{ subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/${SUBNET}` }],
        labels,
      },
      undefined,
    );
  const status = (name: string) => {
    try {
      return String(emu().state.getInstance(PROJECT, ZONE, name, base()).status);
    } catch {
      return 'GONE';
    }
  };

  return {
    module: gcpProvider,
    infraMachine: { apiVersion: GCP, kind: 'GCPMachine' },
    timings: TEST_TIMINGS,
    async start() {
      gce = await startGceEmulator({ stepMs: 100 });
    },
    cloudFaults: {
      dialect: 'gce',
      upstream: () => new URL(base()).origin,
      // The emulator's selfLinks (operations, instances) are built from the Host the proxy forwards.
      createCall: `POST /compute/v1/projects/${PROJECT}/zones/${ZONE}/instances`,
      deleteCall: `DELETE /compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/`,
      via: (url) => {
        via = url;
      },
    },
    async stop() {
      await gce?.stop();
    },
    async reset() {
      emu().state.reset();
    },
    async install({ kube, wrap, timings }) {
      const api = new GcpRestClients({
        endpoint: via ? base().replace(new URL(base()).origin, via) : base(),
        sleep: async () => {},
      });
      const simApi = new GcpRestClients({ endpoint: base() });
      const nodes = startNodeSimulator({
        kube,
        list: () => gcpPort(simApi, PROJECT).listOwned({}),
        name: 'gcp-node-simulator',
        intervalMs: 200,
      });
      return {
        handlers: gcpProviderHandlers({ client: () => wrap(api), timings }),
        client: api,
        async stop() {
          await nodes.stop();
        },
      };
    },
    async seed() {
      const s = emu().state;
      s.insertNetwork(PROJECT, { name: `${CLUSTER}-network`, autoCreateSubnetworks: false }, undefined);
      s.insertSubnetwork(
        PROJECT,
        REGION,
        {
          name: SUBNET,
          network: `projects/${PROJECT}/global/networks/${CLUSTER}-network`,
          ipCidrRange: '10.0.128.0/17',
        },
        undefined,
      );
      s.insertImage(
        'rhcos-cloud',
        { name: IMAGE, family: 'rhcos-9', rawDisk: { source: 'gs://rhcos/x.tar.gz' } },
        undefined,
      );
      const objects: KubeObject[] = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'worker-user-data', namespace: NS },
          data: { value: Buffer.from(IGNITION).toString('base64'), format: Buffer.from('ignition').toString('base64') },
        } as KubeObject,
        {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          metadata: { name: CLUSTER, namespace: NS },
          spec: {
            controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
            infrastructureRef: { apiVersion: GCP, kind: 'GCPCluster', name: CLUSTER, namespace: NS },
          },
        } as KubeObject,
        {
          apiVersion: GCP,
          kind: 'GCPCluster',
          metadata: { name: CLUSTER, namespace: NS },
          spec: {
            project: PROJECT,
            region: REGION,
            network: { name: `${CLUSTER}-network` },
            failureDomains: [ZONE],
            controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 },
          },
        } as KubeObject,
      ];
      return {
        namespace: NS,
        clusterName: CLUSTER,
        objects,
        template: {
          apiVersion: GCP,
          kind: 'GCPMachineTemplate',
          spec: docsTemplateSpec(),
        },
        badInput: [
          {
            what: 'image',
            spec: { image: 'projects/rhcos-cloud/global/images/rhcos-does-not-exist' },
            reason: 'ImageNotFound',
            field: 'spec.image',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(
                infraMachine,
                { spec: { image: `projects/rhcos-cloud/global/images/${IMAGE}` } },
                { type: 'merge' },
              );
            },
          },
          {
            what: 'network',
            spec: { subnet: `${CLUSTER}-worker-subnet-b` },
            reason: 'SubnetNotFound',
            field: 'spec.subnet',
            fix: async () => {
              emu().state.insertSubnetwork(
                PROJECT,
                REGION,
                {
                  name: `${CLUSTER}-worker-subnet-b`,
                  network: `projects/${PROJECT}/global/networks/${CLUSTER}-network`,
                  ipCidrRange: '10.1.0.0/17',
                },
                undefined,
              );
            },
          },
          {
            what: 'instance type',
            spec: { instanceType: 'n9-huge-1' },
            reason: 'InstanceTypeNotFound',
            field: 'spec.instanceType',
            fix: async ({ kube, infraMachine }) => {
              await kube.patch(infraMachine, { spec: { instanceType: 'n1-standard-4' } }, { type: 'merge' });
            },
          },
        ],
      };
    },
    async instances(): Promise<ObservedInstance[]> {
      // The emulator's ledger: every instance ever inserted, as the API forgets deleted ones.
      emu().state.settleAll();
      return emu()
        .state.ledger.filter((e) => e.project === PROJECT && e.labels[IDENTITY_LABEL] !== undefined)
        .map((e) => ({
          id: e.name,
          machineUid: e.labels[IDENTITY_LABEL],
          live: !e.gone,
          providerID: `gce://${PROJECT}/${e.zone}/${e.name}`,
        }));
    },
    async deleteOutside(id) {
      emu().state.deleteInstance(PROJECT, ZONE, id, undefined);
      await eventually(`${id} gone`, async () => status(id) === 'GONE');
    },
    async foreignInstance() {
      insert('production-database', { env: 'prod' });
      return {
        id: 'production-database',
        spec: { providerID: `gce://${PROJECT}/${ZONE}/production-database` },
        live: async () => status('production-database') === 'RUNNING' || status('production-database') === 'STAGING',
      };
    },
    async orphanInstance({ clusterName, machineUid }) {
      const name = `orphan-${machineUid}`;
      insert(name, { [IDENTITY_LABEL]: machineUid, [`${CLUSTER_LABEL_PREFIX}${clusterName}`]: 'owned' });
      return name;
    },
  };
}

describe('GCP provider on the Compute Engine emulator: the provider contract', () => {
  providerContract({ crashMaxK: 16 }, fixture);
});
