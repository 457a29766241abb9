// What the OpenStack tests share: the docs' cluster names, the emulator seeded as an OpenShift RHOSP install
// leaves it (RHCOS image, flavor, the machines' network and subnet, the worker security group), the docs'
// OpenStackMachineTemplate spec, the cluster objects with the credentials Secret, and the openstack CLI pointed
// at an emulator through a clouds.yaml of its own.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KitTimings } from '../../../functions/providers/kit/definition.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { OpenStackEmulator } from '../../emulators/openstack/server.ts';

const run = promisify(execFile);

export const NS = 'openshift-cluster-api';
export const CLUSTER = 'ocp-osp-7xk2p';
export const INFRA = 'infrastructure.cluster.x-k8s.io/v1beta1';
export const IMAGE = 'rhcos-9.6';
export const FLAVOR = 'm1.xlarge.ocp';
export const NETWORK = `${CLUSTER}-openshift`;
export const SUBNET = `${CLUSTER}-nodes`;
export const WORKER_SG = `${CLUSTER}-worker`;
export const IGNITION = '{"ignition":{"version":"3.4.0"}}';

export const TEST_TIMINGS: Partial<KitTimings> = {
  launchLeaseMs: 3_000,
  notFoundGraceMs: 3_000,
  badInputRetryMs: 300,
  transitionPollMs: 200,
  terminatePollMs: 200,
  clusterRetryMs: 300,
};

/** Seeds what the installer leaves in the project (straight into the emulator's state). */
export function seedCloud(os: OpenStackEmulator): { networkId: string; subnetId: string; imageId: string } {
  const s = os.state;
  const img = s.createImage({ name: IMAGE, disk_format: 'qcow2', container_format: 'bare', tags: ['rhcos'] });
  s.uploadImage(String(img.id), Buffer.from('rhcos'));
  const net = s.createNetwork({ name: NETWORK });
  net.tags = [`openshiftClusterID=${CLUSTER}`];
  const sub = s.createSubnet({ network_id: net.id, name: SUBNET, cidr: '10.196.0.0/16' });
  s.createSecurityGroup({ name: WORKER_SG, description: 'worker' });
  return { networkId: String(net.id), subnetId: String(sub.id), imageId: String(img.id) };
}

/** The OpenShift docs' OpenStackMachineTemplate spec (flavor, image.filter.name), with the ports the docs advise. */
export function docsTemplateSpec(): Record<string, unknown> {
  return {
    flavor: FLAVOR,
    image: { filter: { name: IMAGE } },
    ports: [{ network: { filter: { name: NETWORK } }, fixedIPs: [{ subnet: { filter: { name: SUBNET } } }] }],
    securityGroups: [{ filter: { name: WORKER_SG } }],
  };
}

/** Namespace, bootstrap Secret, credentials Secret, Cluster and the (externally managed) OpenStackCluster. */
export function clusterObjects(o: { cloudsYaml: string; cloudName: string; networkId?: string }): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'worker-user-data', namespace: NS },
      data: { value: Buffer.from(IGNITION).toString('base64'), format: Buffer.from('ignition').toString('base64') },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'openstack-cloud-credentials', namespace: NS },
      data: { 'clouds.yaml': Buffer.from(o.cloudsYaml).toString('base64') },
    } as KubeObject,
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: CLUSTER, namespace: NS },
      spec: {
        controlPlaneEndpoint: { host: '10.196.0.5', port: 6443 },
        infrastructureRef: { apiVersion: INFRA, kind: 'OpenStackCluster', name: CLUSTER, namespace: NS },
      },
    } as KubeObject,
    {
      apiVersion: INFRA,
      kind: 'OpenStackCluster',
      metadata: { name: CLUSTER, namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
      spec: {
        controlPlaneEndpoint: { host: '10.196.0.5', port: 6443 },
        disableAPIServerFloatingIP: true,
        tags: [`openshiftClusterID=${CLUSTER}`],
        ...(o.networkId ? { network: { id: o.networkId } } : {}),
        externalNetwork: { id: '00000000-0000-4000-8000-0000000000ee' },
        identityRef: { cloudName: o.cloudName, name: 'openstack-cloud-credentials' },
      },
    } as KubeObject,
  ];
}

export interface OpenStackCli {
  /** Runs `openstack ARGS -f json` (or as given); resolves with stdout, rejects on a non-zero exit. */
  (...args: string[]): Promise<string>;
  json<T = unknown>(...args: string[]): Promise<T>;
  cleanup(): void;
}

/** The openstack CLI with its own clouds.yaml for `os` (cloud capi-fn-emulator) and no other configuration. */
export function openstackCli(os: OpenStackEmulator): OpenStackCli {
  const dir = mkdtempSync(join(tmpdir(), 'osc-'));
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, os.cloudsYaml());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    OS_CLIENT_CONFIG_FILE: file,
    OS_CLOUD: 'capi-fn-emulator',
  };
  const cli = (async (...args: string[]) => {
    try {
      return (await run('openstack', args, { env, timeout: 60_000 })).stdout;
    } catch (e) {
      const x = e as { code: number; stderr: string };
      throw new Error(`openstack ${args.join(' ')} exited ${x.code}: ${x.stderr}`);
    }
  }) as OpenStackCli;
  cli.json = async <T>(...args: string[]) => JSON.parse(await cli(...args, '-f', 'json')) as T;
  cli.cleanup = () => rmSync(dir, { recursive: true, force: true });
  return cli;
}
