// AzureMachine on the kit (reference §4): the NIC and VM bodies from the spec and the AzureCluster, with the
// references resolved before any PUT (VM size and zone from the location's SKUs, subnet, image), in the cluster's
// resource group. The operations a create begins are recorded in `status.longRunningOperationStates` and read on
// later invocations; the state is the VM's provisioningState and power state (`status.vmState`). Deletion is the
// kit's (the VM, which takes its OS and data disks along), then `cleanUp` deletes the NIC and any disk left.
// Intent, lease, lookup by name, ownership, finalizer and conditions are the kit's.

import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import { INFRA_GROUP, Labels } from '../../../shared/api/capi/constants.ts';
import type { AzureCluster, AzureMachine } from '../../../shared/api/providers/azure.ts';
import { AzureMachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import type { ArmApi, RecordedOperation, ResourceSku } from './client.ts';
import { connectAzure } from './credentials.ts';
import { classifyAzureError, isArmNotFound } from './errors.ts';
import {
  CLUSTER_TAG_PREFIX,
  dataDiskName,
  formatLocation,
  IDENTITY_TAG,
  nicName,
  osDiskName,
  parseLocation,
  parseProviderID,
} from './names.ts';
import { type AzureRaw, azurePort } from './port.ts';
import { buildCreateRequest, type CreateRequest, nicSpecs, specProblems } from './request.ts';

export const AZURE_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AzureMachine' };
export const AZURE_FIELD_MANAGER = 'capi-fn-azure-provider';

async function exists<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isArmNotFound(e)) return undefined;
    throw e;
  }
}

const capability = (sku: ResourceSku, name: string) => sku.capabilities?.find((c) => c.name === name)?.value;

/** The zones a size is offered in, in a location. */
export function zonesOf(sku: ResourceSku, location: string): string[] {
  return sku.locationInfo?.find((l) => l.location?.toLowerCase() === location.toLowerCase())?.zones ?? [];
}

/** CAPZ's availability set for machines without a zone: `<cluster>_<MachineDeployment or MachineSet>-as`. */
export function availabilitySetName(
  cluster: string,
  machineLabels: Record<string, string> | undefined,
  role: string,
): string | undefined {
  if (role === 'control-plane') return `${cluster}_control-plane-as`;
  const owner = machineLabels?.[Labels.deploymentName] ?? machineLabels?.[Labels.setName];
  return owner ? `${cluster}_${owner}-as` : undefined;
}

/** What a VM size cannot do that the spec asks for (CAPZ's pre-flight checks); `terminal` ones fail the machine. */
function skuProblems(spec: AzureMachine['spec'], sku: ResourceSku): Array<{ message: string; terminal: boolean }> {
  const out: Array<{ message: string; terminal: boolean }> = [];
  const vcpus = Number(capability(sku, 'vCPUs') ?? 0);
  const mem = Number(capability(sku, 'MemoryGB') ?? 0);
  if (vcpus < 2 || mem < 2)
    out.push({
      message: `spec.vmSize ${spec.vmSize} has ${vcpus} vCPUs and ${mem} GiB; a node needs at least 2 vCPUs and 2 GiB`,
      terminal: true,
    });
  const accel = [...(spec.networkInterfaces ?? []).map((n) => n.acceleratedNetworking), spec.acceleratedNetworking];
  if (
    accel.includes(true) &&
    capability(sku, 'AcceleratedNetworkingEnabled') !== 'True' &&
    capability(sku, 'AcceleratedNetworkingEnabled') !== 'true'
  )
    out.push({
      message: `spec.networkInterfaces[].acceleratedNetworking: vmSize ${spec.vmSize} does not support accelerated networking`,
      terminal: true,
    });
  const yes = (n: string) => String(capability(sku, n)).toLowerCase() === 'true';
  if (spec.osDisk.diffDiskSettings && !yes('EphemeralOSDiskSupported'))
    out.push({
      message: `spec.osDisk.diffDiskSettings: vmSize ${spec.vmSize} does not support ephemeral OS disks`,
      terminal: true,
    });
  if (spec.securityProfile?.encryptionAtHost && !yes('EncryptionAtHostSupported'))
    out.push({
      message: `spec.securityProfile.encryptionAtHost: vmSize ${spec.vmSize} does not support encryption at host`,
      terminal: true,
    });
  if (spec.securityProfile?.securityType === 'TrustedLaunch' && yes('TrustedLaunchDisabled'))
    out.push({
      message: `spec.securityProfile.securityType: vmSize ${spec.vmSize} does not support trusted launch`,
      terminal: true,
    });
  const premium = [spec.osDisk.managedDisk, ...(spec.dataDisks ?? []).map((d) => d.managedDisk)].some((m) =>
    m?.storageAccountType?.startsWith('Premium'),
  );
  if (premium && !yes('PremiumIO'))
    out.push({
      message: `spec.osDisk.managedDisk.storageAccountType: vmSize ${spec.vmSize} does not support premium storage`,
      terminal: true,
    });
  return out;
}

export const azureMachineDefinition: InfraMachineDefinition<ArmApi, CreateRequest, AzureMachine, AzureCluster> = {
  name: 'azure',
  machine: AZURE_MACHINE,
  clusterKind: 'AzureCluster',
  finalizer: AzureMachineFinalizer,
  fieldManager: AZURE_FIELD_MANAGER,
  cloudName: 'Azure Resource Manager',
  instanceNoun: 'Azure VM',
  recordedIdField: 'spec.providerID',
  // AzureMachine status has `vmState` (set in observe), not `instanceState`.
  reportsInstanceState: false,
  reads: [{ group: INFRA_GROUP, kinds: ['AzureClusterIdentity'], verbs: ['get'] }],
  port: (api, location) => azurePort(api, location),
  classify: classifyAzureError,
  locate({ im, infraCluster, intent }) {
    const recorded = parseProviderID(im.spec.providerID);
    if (recorded) return formatLocation(recorded.sub, recorded.rg);
    const fromIntent = parseLocation(intent?.location);
    const sub = infraCluster?.spec?.subscriptionID ?? fromIntent.sub ?? process.env.AZURE_SUBSCRIPTION_ID;
    const rg = infraCluster?.spec?.resourceGroup ?? fromIntent.rg;
    return sub && rg ? formatLocation(sub, rg) : undefined;
  },
  recordedId: (am) => parseProviderID(am.spec.providerID)?.name,
  recordIdentity(spec, inst) {
    spec.providerID = inst.providerID;
  },
  connect: (api, s) => connectAzure(api, s.kube, s.infraCluster, s.im.metadata.namespace!),

  async prepare(s): Promise<Prepared<CreateRequest>> {
    const { im: am, client: api } = s;
    const ac = s.infraCluster;
    if (!ac) return { ok: false, reason: 'AzureClusterNotFound', message: `the Cluster's AzureCluster is not found` };
    const { sub, rg } = parseLocation(s.location);
    if (!rg) return { ok: false, reason: 'ResourceGroupNotSet', message: 'the AzureCluster has no spec.resourceGroup' };
    if (!sub)
      return {
        ok: false,
        reason: 'SubscriptionNotSet',
        message: 'no subscription: set AzureCluster spec.subscriptionID, or AZURE_SUBSCRIPTION_ID for the functions',
      };
    const problems = specProblems(am.spec, 'spec');
    if (problems.length)
      return {
        ok: false,
        reason: 'InvalidSpec',
        message: problems.map((p) => `${p.field}: ${p.rule} (${p.fix})`).join('; '),
      };
    const location = ac.spec.location;
    const skus = await api.listSkus(sub, location);
    const sku = skus.find((k) => k.name?.toLowerCase() === am.spec.vmSize.toLowerCase());
    if (!sku)
      return {
        ok: false,
        reason: 'VMSizeNotFound',
        message: `spec.vmSize "${am.spec.vmSize}" is not a VM size offered in location ${location}`,
      };
    if (
      sku.restrictions?.some(
        (r) => r.type === 'Location' && (r.values ?? []).some((v) => v.toLowerCase() === location.toLowerCase()),
      )
    )
      return {
        ok: false,
        reason: 'SkuNotAvailable',
        message: `spec.vmSize "${am.spec.vmSize}" is not available to this subscription in ${location} (SkuNotAvailable)`,
        severity: 'Warning',
      };
    const skuIssues = skuProblems(am.spec, sku);
    const fatal = skuIssues.find((p) => p.terminal);
    if (fatal) return { ok: false, reason: 'InvalidConfiguration', message: fatal.message, terminal: true };
    const zones = zonesOf(sku, location);
    const zone = s.machine.spec.failureDomain ?? am.spec.failureDomain;
    if (zone && !zones.includes(zone))
      return {
        ok: false,
        reason: 'ZoneNotAvailable',
        message: `Machine spec.failureDomain "${zone}" is not a zone of ${location} for ${am.spec.vmSize} (zones: ${zones.join(', ') || 'none'})`,
      };
    const availabilitySet =
      !zone && !zones.length && !am.spec.spotVMOptions
        ? availabilitySetName(s.machine.spec.clusterName, s.machine.metadata.labels, s.role)
        : undefined;
    const vnet = ac.spec.networkSpec?.vnet;
    const vnetRg = vnet?.resourceGroup ?? rg;
    for (const n of nicSpecs(am.spec)) {
      if (!n.subnetName || !vnet?.name) continue;
      const subnet = await exists(() => api.getSubnet(sub, vnetRg, vnet.name, n.subnetName!));
      if (!subnet)
        return {
          ok: false,
          reason: 'SubnetNotFound',
          message: `${n.field} "${n.subnetName}" is not a subnet of virtual network ${vnet.name} in resource group ${vnetRg}`,
        };
    }
    const image = am.spec.image;
    const imageId =
      image?.id ??
      (image?.sharedGallery
        ? `/subscriptions/${image.sharedGallery.subscriptionID}/resourceGroups/${image.sharedGallery.resourceGroup}/providers/Microsoft.Compute/galleries/${image.sharedGallery.gallery}/images/${image.sharedGallery.name}/versions/${image.sharedGallery.version}`
        : image?.computeGallery?.resourceGroup
          ? `/subscriptions/${image.computeGallery.subscriptionID ?? sub}/resourceGroups/${image.computeGallery.resourceGroup}/providers/Microsoft.Compute/galleries/${image.computeGallery.gallery}/images/${image.computeGallery.name}/versions/${image.computeGallery.version}`
          : undefined);
    if (imageId && !(await exists(() => api.getImageByID(imageId))))
      return { ok: false, reason: 'ImageNotFound', message: `spec.image.id "${imageId}" does not exist` };
    const m = image?.marketplace;
    if (m && !(await exists(() => api.getMarketplaceImage(sub, location, m.publisher, m.offer, m.sku, m.version))))
      return {
        ok: false,
        reason: 'ImageNotFound',
        message: `spec.image.marketplace ${m.publisher}:${m.offer}:${m.sku}:${m.version} is not offered in ${location}`,
      };
    const built = buildCreateRequest({
      name: am.metadata.name!,
      sub,
      rg,
      location,
      spec: am.spec,
      cluster: ac.spec,
      clusterName: s.machine.spec.clusterName,
      machineUid: s.machineUid,
      role: s.role,
      zone,
      availabilitySet,
      skuAcceleratedNetworking: String(capability(sku, 'AcceleratedNetworkingEnabled')).toLowerCase() === 'true',
      bootstrap: s.bootstrap.value,
    });
    if (!built.ok) return { ok: false, reason: 'InvalidSpec', message: built.problems.join('; ') };
    return { ok: true, request: built.request };
  },

  async observe(instance, s, status) {
    status.vmState = instance.nativeState;
    const raw = instance.raw as AzureRaw | undefined;
    const { sub } = parseLocation(s.location);
    // Operations begun earlier: read once more while the VM is still on its way, dropped once it settled.
    const recorded = (s.im.status?.longRunningOperationStates ?? []) as RecordedOperation[];
    const kept: RecordedOperation[] = [];
    if (instance.state === 'pending' && sub) {
      for (const op of recorded) {
        const p = await s.client.pollOperation(sub, op);
        if (p.status === 'running') kept.push({ ...op, data: p.data });
        else if (p.status === 'failed')
          s.log.warn({ operation: op.name, code: p.error?.code }, 'Azure operation failed');
      }
    }
    const ops = [...kept, ...(raw?.operations ?? [])];
    if (ops.length) status.longRunningOperationStates = ops;
    else delete status.longRunningOperationStates;
    // Addresses from the NIC (CAPZ GETs it): once, when the VM runs; then kept from the status.
    if (instance.state !== 'running' && instance.state !== 'stopped') return;
    const known = (s.im.status?.addresses ?? []).filter((a) => a.type === 'InternalIP');
    let ips: MachineAddress[] = known;
    if (!known.length && sub) {
      const { rg } = parseLocation(s.location);
      const nics = raw?.vm.networkProfile?.networkInterfaces ?? [];
      ips = [];
      for (const ref of nics) {
        const name = ref.id?.split('/').pop();
        if (!name || !rg) continue;
        const nic = await exists(() => s.client.getNetworkInterface(sub, rg, name));
        for (const c of nic?.ipConfigurations ?? [])
          if (c.privateIPAddress) ips.push({ type: 'InternalIP', address: c.privateIPAddress });
      }
    }
    status.addresses = [...ips, ...instance.addresses];
  },

  async cleanUp(s) {
    const { sub, rg } = parseLocation(s.location);
    if (!sub || !rg) return { remaining: [] };
    const api = s.client;
    const name = s.im.metadata.name!;
    const remaining: string[] = [];
    const count = nicSpecs(s.im.spec).length;
    // VM → NIC → disks (the OS and data disks go with the VM; these are what an outside delete or an older VM left).
    for (let i = 0; i < count; i++) {
      const n = nicName(name, i, count);
      const nic = await exists(() => api.getNetworkInterface(sub, rg, n));
      if (!nic) continue;
      const tags = nic.tags ?? {};
      const ours =
        (s.machineUid && tags[IDENTITY_TAG] === s.machineUid) ||
        (s.clusterName !== undefined && tags[`${CLUSTER_TAG_PREFIX}${s.clusterName}`] === 'owned');
      if (!ours) continue;
      remaining.push(n);
      if (nic.provisioningState === 'Deleting' || nic.virtualMachine) continue;
      try {
        await api.beginDeleteNetworkInterface(sub, rg, n);
      } catch (e) {
        const c = classifyAzureError(e);
        if (c.class !== 'conflict' && c.class !== 'not-found') throw e;
      }
    }
    const disks = [osDiskName(name), ...(s.im.spec.dataDisks ?? []).map((d) => dataDiskName(name, d.nameSuffix))];
    for (const d of disks) {
      const disk = await exists(() => api.getDisk(sub, rg, d));
      if (!disk) continue;
      remaining.push(d);
      if (disk.managedBy) continue;
      try {
        await api.beginDeleteDisk(sub, rg, d);
      } catch (e) {
        const c = classifyAzureError(e);
        if (c.class !== 'conflict' && c.class !== 'not-found') throw e;
      }
    }
    // The availability set CAPZ shares between a set's machines goes with the last of them.
    const role =
      s.machine?.metadata.labels && Labels.controlPlane in s.machine.metadata.labels ? 'control-plane' : 'node';
    const as = s.clusterName ? availabilitySetName(s.clusterName, s.machine?.metadata.labels, role) : undefined;
    if (as && !remaining.length) {
      const set = await exists(() => api.getAvailabilitySet(sub, rg, as));
      if (set && !(set.virtualMachines ?? []).length && set.tags?.[`${CLUSTER_TAG_PREFIX}${s.clusterName}`] === 'owned')
        await api.deleteAvailabilitySet(sub, rg, as);
    }
    return { remaining };
  },
};
