// What the vSphere tests share: vcsim's default inventory names in the OpenShift docs' VSphereMachineTemplate, the
// test timings, and an observer that reads vcsim directly through the SOAP client (never through the provider's port).
import type { KitTimings } from '../../../functions/providers/kit/definition.ts';
import { startNodeSimulator } from '../../../functions/providers/kit/node-simulator.ts';
import { VimClient } from '../../../functions/providers/vsphere/client.ts';
import { VSphereClients } from '../../../functions/providers/vsphere/credentials.ts';
import { CLUSTER_KEY, MACHINE_UID_KEY } from '../../../functions/providers/vsphere/names.ts';
import { follow } from '../../../functions/providers/vsphere/port.ts';
import { extraConfigValue, templateDiskGiB } from '../../../functions/providers/vsphere/request.ts';
import { arr, bool, type MoRef, type Node, text, xsd } from '../../../functions/providers/vsphere/soap.ts';
import { vcsimGuestList } from '../../../functions/providers/vsphere/vcsim-guest.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { Vcsim } from '../../support/vcsim.ts';

export const NS = 'openshift-cluster-api';
export const CLUSTER = 'ocp-vsphere-7xq2m';
export const VSPHERE = 'infrastructure.cluster.x-k8s.io/v1beta1';
/** vcsim's default VPX inventory: a VM serves as the RHCOS template (vcsim has no templates by default). */
export const DATACENTER = 'DC0';
export const TEMPLATE = 'DC0_H0_VM0';
export const FOREIGN_VM = 'DC0_H0_VM1';
export const RESOURCE_POOL = '/DC0/host/DC0_C0/Resources';
export const DATASTORE = 'LocalDS_0';
export const NETWORK = 'VM Network';
export const IGNITION = '{"ignition":{"version":"3.4.0"}}';

export const TEST_TIMINGS: Partial<KitTimings> = {
  launchLeaseMs: 3_000,
  notFoundGraceMs: 3_000,
  badInputRetryMs: 300,
  transitionPollMs: 200,
  terminatePollMs: 200,
  clusterRetryMs: 300,
};

/** The OpenShift docs' VSphereMachineTemplate spec (openshift-capi.md §3), with vcsim's inventory names. */
export function docsTemplateSpec(server: string): Record<string, unknown> {
  return {
    template: TEMPLATE,
    server,
    diskGiB: 128,
    cloneMode: 'fullClone',
    datacenter: DATACENTER,
    datastore: DATASTORE,
    folder: `/${DATACENTER}/vm`,
    resourcePool: RESOURCE_POOL,
    numCPUs: 4,
    memoryMiB: 16384,
    network: { devices: [{ dhcp4: true, networkName: NETWORK }] },
  };
}

export interface SeenVm {
  ref: MoRef;
  name: string;
  biosUuid: string;
  instanceUuid: string;
  machineUid?: string | undefined;
  cluster?: string | undefined;
  powerState: string;
  template: boolean;
  numCPUs?: number | undefined;
  memoryMB?: number | undefined;
  /** The first disk's capacity. */
  diskGiB?: number | undefined;
  extraConfig: (key: string) => string | undefined;
}

/** vcsim read straight through the SOAP client with its own session. */
export function observer(sim: Vcsim) {
  const api = new VimClient({
    server: sim.server,
    username: sim.env.VSPHERE_USERNAME!,
    password: sim.env.VSPHERE_PASSWORD!,
    insecure: true,
  });
  const vms = async (): Promise<SeenVm[]> =>
    (
      await api.listVirtualMachines([
        'name',
        'config.uuid',
        'config.instanceUuid',
        'config.extraConfig',
        'config.template',
        'config.hardware.numCPU',
        'config.hardware.memoryMB',
        'config.hardware.device',
        'runtime.powerState',
      ])
    ).map((o) => ({
      ref: o.obj,
      name: text(o.props.name) ?? '',
      biosUuid: (text(o.props['config.uuid']) ?? '').toLowerCase(),
      instanceUuid: (text(o.props['config.instanceUuid']) ?? '').toLowerCase(),
      machineUid: extraConfigValue(o.props['config.extraConfig'], MACHINE_UID_KEY),
      cluster: extraConfigValue(o.props['config.extraConfig'], CLUSTER_KEY),
      powerState: text(o.props['runtime.powerState']) ?? '',
      template: bool(o.props['config.template']) ?? false,
      numCPUs: Number(text(o.props['config.hardware.numCPU'])),
      memoryMB: Number(text(o.props['config.hardware.memoryMB'])),
      diskGiB: templateDiskGiB(arr((o.props['config.hardware.device'] as Node | undefined)?.VirtualDevice)),
      extraConfig: (k: string) => extraConfigValue(o.props['config.extraConfig'], k),
    }));
  return {
    api,
    vms,
    /** Powers off and destroys a VM as someone in the vSphere client would. */
    async destroy(ref: MoRef): Promise<void> {
      const [vm] = (await vms()).filter((v) => v.ref.value === ref.value);
      if (vm?.powerState === 'poweredOn') await follow(api, await api.powerOffVM(ref), 5_000);
      await follow(api, await api.destroy(ref), 5_000);
    },
    /** Clones the template VM with the given extraConfig (another tool's VM, or an orphan with capi-fn's markers). */
    async clone(name: string, extra: Record<string, string>, instanceUuid?: string): Promise<SeenVm> {
      const template = (await api.findByInventoryPath(`${DATACENTER}/vm/${TEMPLATE}`))!;
      const folder = (await api.findByInventoryPath(`${DATACENTER}/vm`))!;
      const pool = (await api.findByInventoryPath(RESOURCE_POOL))!;
      const task = await api.cloneVM(template, folder, name, {
        xsi: 'VirtualMachineCloneSpec',
        location: { xsi: 'VirtualMachineRelocateSpec', pool },
        template: false,
        config: {
          xsi: 'VirtualMachineConfigSpec',
          ...(instanceUuid ? { instanceUuid } : {}),
          extraConfig: Object.entries(extra).map(([key, v]) => ({ xsi: 'OptionValue', key, value: xsd('string', v) })),
        },
        powerOn: false,
      });
      const info = await follow(api, task, 5_000);
      if (info.state !== 'success' || !info.result) throw new Error(`clone ${name} failed: ${info.error?.message}`);
      const vm = (await vms()).find((v) => v.ref.value === info.result!.value)!;
      await follow(api, await api.powerOnVM(vm.ref), 5_000);
      return { ...vm, powerState: 'poweredOn' };
    },
  };
}

/** The objects every vSphere suite starts from: its namespace, the worker's Ignition, the Cluster and VSphereCluster. */
export function clusterObjects(server: string): KubeObject[] {
  return [
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
      spec: { infrastructureRef: { apiVersion: VSPHERE, kind: 'VSphereCluster', name: CLUSTER, namespace: NS } },
    } as KubeObject,
    {
      apiVersion: VSPHERE,
      kind: 'VSphereCluster',
      metadata: { name: CLUSTER, namespace: NS },
      spec: { server, controlPlaneEndpoint: { host: `api-int.${CLUSTER}.example.com`, port: 6443 } },
    } as KubeObject,
  ];
}

/** Simulated kubelets for vcsim's guests (vcsim's "DHCP server" gives each powered-on VM an address); returns stop. */
export function vcsimNodes(kube: KubeClient, sim: Vcsim): () => Promise<void> {
  const nodes = startNodeSimulator({
    kube,
    list: vcsimGuestList(new VSphereClients(sim.env)),
    name: 'vsphere-node-simulator',
    intervalMs: 200,
  });
  return () => nodes.stop();
}
