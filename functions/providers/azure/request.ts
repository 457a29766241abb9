// The NIC and VM bodies for one AzureMachine (reference §4.3–4.4, CAPZ's networkinterfaces/spec.go and
// virtualmachines/spec.go), built from the spec, the AzureCluster and what prepare resolved (image, zone, SKU).
// Pure: the same machine always gives the same bodies. What the spec asks that capi-fn or Azure cannot do is a
// problem naming the field (the webhook refuses the same at admission).
import type { AzureClusterSpec, AzureMachineSpec } from '../../../shared/api/providers/azure.ts';
import type { AvailabilitySet, NetworkInterface, VirtualMachine } from './client.ts';
import {
  CLUSTER_TAG_PREFIX,
  dataDiskName,
  IDENTITY_TAG,
  KUBERNETES_CLUSTER_TAG_PREFIX,
  nicName,
  osDiskName,
  ROLE_TAG,
} from './names.ts';

/** A problem in an AzureMachine spec: the field, what is wrong, and the fix (the webhook's words too). */
export interface SpecProblem {
  field: string;
  type: 'Invalid' | 'Unsupported' | 'Required';
  rule: string;
  fix: string;
}

const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/.+/i;
const SSH_KEY = /^(ssh-rsa|ecdsa-sha2-nistp(256|384|521)|ssh-ed25519) [A-Za-z0-9+/=]+( .*)?$/;

/** `azure:///subscriptions/…/userAssignedIdentities/<n>` (CAPZ's providerID form) or a plain ARM ID → the ARM ID. */
export function identityResourceID(providerID: string): string {
  return providerID.replace(/^azure:\/\//, '');
}

/** The decoded `spec.sshPublicKey` (base64 of an OpenSSH public key, as CAPZ expects), or undefined when not one. */
export function decodeSshKey(v: string): string | undefined {
  const text = Buffer.from(v, 'base64').toString('utf8').trim();
  return SSH_KEY.test(text) ? text : undefined;
}

/**
 * What capi-fn or Azure would refuse in an AzureMachine spec, found before any call: the webhook refuses it at
 * admission, and a machine admitted before a rule existed gets it as a condition. `at`: `spec` or `spec.template.spec`.
 */
export function specProblems(s: Partial<AzureMachineSpec>, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  const p = (field: string, type: SpecProblem['type'], rule: string, fix: string) =>
    out.push({ field: `${at}.${field}`, type, rule, fix });
  if (s.allocatePublicIP)
    p(
      'allocatePublicIP',
      'Unsupported',
      'capi-fn creates no public IP addresses (OpenShift compute machines have none)',
      'remove allocatePublicIP; reach machines through the cluster network',
    );
  if (s.vmExtensions?.length)
    p(
      'vmExtensions',
      'Unsupported',
      'capi-fn installs no VM extensions',
      'remove vmExtensions; configure the machine through its Ignition config',
    );
  if (s.systemAssignedIdentityRole)
    p(
      'systemAssignedIdentityRole',
      'Unsupported',
      'capi-fn creates no role assignments',
      'assign the role to the VM identity outside capi-fn, or use identity: UserAssigned with a prepared identity',
    );
  if (s.roleAssignmentName)
    p('roleAssignmentName', 'Unsupported', 'capi-fn creates no role assignments', 'remove roleAssignmentName');
  if (s.identity === 'UserAssigned' && !s.userAssignedIdentities?.length)
    p(
      'userAssignedIdentities',
      'Required',
      'identity: UserAssigned needs at least one identity',
      'list the identities (providerID azure:///subscriptions/…/userAssignedIdentities/<name>)',
    );
  if (s.userAssignedIdentities?.length && s.identity !== 'UserAssigned')
    p(
      'identity',
      'Invalid',
      'userAssignedIdentities are set but identity is not UserAssigned',
      'set identity: UserAssigned',
    );
  for (const [i, u] of (s.userAssignedIdentities ?? []).entries())
    if (
      !/\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(identityResourceID(u.providerID))
    )
      p(
        `userAssignedIdentities[${i}].providerID`,
        'Invalid',
        `"${u.providerID}" is not a user-assigned identity ID`,
        'use azure:///subscriptions/<sub>/resourcegroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>',
      );
  if (s.sshPublicKey && !decodeSshKey(s.sshPublicKey))
    p(
      'sshPublicKey',
      'Invalid',
      'is not the base64 encoding of an OpenSSH public key',
      'set it to base64 of the key line, e.g. $(base64 -w0 ~/.ssh/id_rsa.pub)',
    );
  if (s.subnetName && s.networkInterfaces?.length)
    p(
      'subnetName',
      'Invalid',
      'cannot be set together with networkInterfaces (it is their deprecated form)',
      'move it to networkInterfaces[0].subnetName',
    );
  if (s.acceleratedNetworking !== undefined && s.networkInterfaces?.length)
    p(
      'acceleratedNetworking',
      'Invalid',
      'cannot be set together with networkInterfaces (it is their deprecated form)',
      'move it to networkInterfaces[].acceleratedNetworking',
    );
  const diff = s.osDisk?.diffDiskSettings;
  if (diff && s.osDisk?.cachingType && s.osDisk.cachingType !== 'ReadOnly')
    p(
      'osDisk.cachingType',
      'Invalid',
      'an ephemeral OS disk (diffDiskSettings) only allows ReadOnly caching',
      'set cachingType: ReadOnly or leave it unset',
    );
  if (diff && s.osDisk?.managedDisk?.diskEncryptionSet)
    p(
      'osDisk.managedDisk.diskEncryptionSet',
      'Invalid',
      'an ephemeral OS disk cannot use a disk encryption set',
      'remove one of them',
    );
  const usesUltra = [s.osDisk?.managedDisk, ...(s.dataDisks ?? []).map((d) => d.managedDisk)].some(
    (m) => m?.storageAccountType === 'UltraSSD_LRS',
  );
  if (s.osDisk?.managedDisk?.storageAccountType === 'UltraSSD_LRS')
    p(
      'osDisk.managedDisk.storageAccountType',
      'Invalid',
      'UltraSSD_LRS cannot be an OS disk',
      'use Premium_LRS for the OS disk',
    );
  if (usesUltra && !s.additionalCapabilities?.ultraSSDEnabled)
    p(
      'additionalCapabilities.ultraSSDEnabled',
      'Required',
      'an UltraSSD_LRS data disk needs ultraSSDEnabled',
      'set additionalCapabilities.ultraSSDEnabled: true',
    );
  const sec = s.securityProfile;
  const encType = s.osDisk?.managedDisk?.securityProfile?.securityEncryptionType;
  if (sec?.securityType === 'ConfidentialVM' && !encType)
    p(
      'osDisk.managedDisk.securityProfile.securityEncryptionType',
      'Required',
      'securityType ConfidentialVM needs a security encryption type',
      'set VMGuestStateOnly or DiskWithVMGuestState',
    );
  if (encType && sec?.securityType !== 'ConfidentialVM')
    p(
      'securityProfile.securityType',
      'Invalid',
      'securityEncryptionType is only for confidential VMs',
      'set securityType: ConfidentialVM or remove securityEncryptionType',
    );
  if (sec?.uefiSettings && !sec.securityType)
    p(
      'securityProfile.uefiSettings',
      'Invalid',
      'needs securityType TrustedLaunch or ConfidentialVM',
      'set securityProfile.securityType',
    );
  if (sec?.securityType === 'ConfidentialVM' && sec.encryptionAtHost)
    p(
      'securityProfile.encryptionAtHost',
      'Invalid',
      'cannot be combined with confidential VMs',
      'remove encryptionAtHost',
    );
  const suffixes = new Set<string>();
  const luns = new Set<number>();
  for (const [i, d] of (s.dataDisks ?? []).entries()) {
    if (suffixes.has(d.nameSuffix))
      p(
        `dataDisks[${i}].nameSuffix`,
        'Invalid',
        `"${d.nameSuffix}" is used twice`,
        'give every data disk its own nameSuffix',
      );
    suffixes.add(d.nameSuffix);
    const lun = d.lun ?? i;
    if (luns.has(lun))
      p(`dataDisks[${i}].lun`, 'Invalid', `lun ${lun} is used twice`, 'give every data disk its own lun');
    luns.add(lun);
  }
  const boot = s.diagnostics?.boot;
  if (boot?.storageAccountType === 'UserManaged' && !boot.userManaged?.storageAccountURI)
    p(
      'diagnostics.boot.userManaged.storageAccountURI',
      'Required',
      'UserManaged boot diagnostics need a storage account URI',
      'set it, or use storageAccountType: Managed',
    );
  if (s.capacityReservationGroupID && !ARM_ID.test(s.capacityReservationGroupID))
    p(
      'capacityReservationGroupID',
      'Invalid',
      'is not an ARM resource ID',
      'use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/capacityReservationGroups/<name>',
    );
  if (s.image?.id && !ARM_ID.test(s.image.id))
    p(
      'image.id',
      'Invalid',
      'is not an ARM resource ID',
      'use the gallery image version ID, /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<g>/images/<i>/versions/<v>',
    );
  const price = s.spotVMOptions?.maxPrice;
  if (price !== undefined && !Number.isFinite(Number(String(price))))
    p(
      'spotVMOptions.maxPrice',
      'Invalid',
      `"${String(price)}" is not a price`,
      'give the maximum price in USD per hour (e.g. "0.05"), or -1 for the on-demand price',
    );
  return out;
}

/** The subnet names of the machine's NICs (`networkInterfaces[].subnetName`, else the deprecated `subnetName`). */
export function nicSpecs(
  s: AzureMachineSpec,
): Array<{ subnetName?: string; privateIPConfigs: number; acceleratedNetworking?: boolean; field: string }> {
  if (s.networkInterfaces?.length)
    return s.networkInterfaces.map((n, i) => ({
      ...(n.subnetName ? { subnetName: n.subnetName } : {}),
      privateIPConfigs: n.privateIPConfigs ?? 1,
      ...(n.acceleratedNetworking !== undefined ? { acceleratedNetworking: n.acceleratedNetworking } : {}),
      field: `spec.networkInterfaces[${i}].subnetName`,
    }));
  return [
    {
      ...(s.subnetName ? { subnetName: s.subnetName } : {}),
      privateIPConfigs: 1,
      ...(s.acceleratedNetworking !== undefined ? { acceleratedNetworking: s.acceleratedNetworking } : {}),
      field: 'spec.networkInterfaces[0].subnetName',
    },
  ];
}

/** The image reference (and marketplace plan) for the VM, from `spec.image`. */
export function imageReference(
  image: AzureMachineSpec['image'],
  sub: string,
):
  | { ref: NonNullable<NonNullable<VirtualMachine['storageProfile']>['imageReference']>; plan?: VirtualMachine['plan'] }
  | undefined {
  if (!image) return undefined;
  if (image.id) return { ref: { id: image.id } };
  if (image.sharedGallery) {
    const g = image.sharedGallery;
    return {
      ref: {
        id: `/subscriptions/${g.subscriptionID}/resourceGroups/${g.resourceGroup}/providers/Microsoft.Compute/galleries/${g.gallery}/images/${g.name}/versions/${g.version}`,
      },
      ...(g.publisher && g.offer && g.sku ? { plan: { name: g.sku, publisher: g.publisher, product: g.offer } } : {}),
    };
  }
  if (image.computeGallery) {
    const g = image.computeGallery;
    const plan = g.plan ? { plan: { name: g.plan.sku, publisher: g.plan.publisher, product: g.plan.offer } } : {};
    if (g.subscriptionID || g.resourceGroup)
      return {
        ref: {
          id: `/subscriptions/${g.subscriptionID ?? sub}/resourceGroups/${g.resourceGroup}/providers/Microsoft.Compute/galleries/${g.gallery}/images/${g.name}/versions/${g.version}`,
        },
        ...plan,
      };
    return {
      ref: { communityGalleryImageId: `/CommunityGalleries/${g.gallery}/Images/${g.name}/Versions/${g.version}` },
      ...plan,
    };
  }
  const m = image.marketplace!;
  return {
    ref: { publisher: m.publisher, offer: m.offer, sku: m.sku, version: m.version },
    ...(m.thirdPartyImage ? { plan: { name: m.sku, publisher: m.publisher, product: m.offer } } : {}),
  };
}

export interface CreatePlan {
  name: string;
  sub: string;
  /** The VM's resource group (the AzureCluster's). */
  rg: string;
  location: string;
  spec: AzureMachineSpec;
  cluster: Pick<AzureClusterSpec, 'networkSpec' | 'additionalTags' | 'resourceGroup'>;
  clusterName: string;
  machineUid: string;
  role: 'node' | 'control-plane';
  zone?: string | undefined;
  /** The availability set when the location has no zones (CAPZ: `<cluster>_<set>-as`). */
  availabilitySet?: string | undefined;
  /** The SKU can do accelerated networking (the default when the spec does not say). */
  skuAcceleratedNetworking: boolean;
  /** The Machine's bootstrap data (Ignition), raw bytes. */
  bootstrap: Buffer;
}

export interface CreateRequest {
  sub: string;
  rg: string;
  location: string;
  vmName: string;
  nics: Array<{ name: string; body: NetworkInterface }>;
  vm: VirtualMachine;
  availabilitySet?: { name: string; body: AvailabilitySet } | undefined;
}

export type BuiltRequest = { ok: true; request: CreateRequest } | { ok: false; problems: string[] };

export function buildCreateRequest(p: CreatePlan): BuiltRequest {
  const s = p.spec;
  const problems = specProblems(s, 'spec').map((x) => `${x.field}: ${x.rule}`);
  const nics = nicSpecs(s);
  const vnet = p.cluster.networkSpec?.vnet;
  for (const n of nics)
    if (!n.subnetName)
      problems.push(
        `${n.field} is not set (an externally managed AzureCluster lists no subnets): name the worker subnet`,
      );
  if (!vnet?.name) problems.push('the AzureCluster names no virtual network (spec.networkSpec.vnet.name)');
  const image = imageReference(s.image, p.sub);
  if (!image) problems.push('spec.image is not set: name the RHCOS image (image.id of the gallery image version)');
  const customData = p.bootstrap.toString('base64');
  if (p.bootstrap.length > 65535)
    problems.push(`the bootstrap data is ${p.bootstrap.length} bytes; Azure's customData holds at most 65535`);
  if (!/^[a-zA-Z0-9]([-a-zA-Z0-9._]{0,62}[a-zA-Z0-9_])?$/.test(p.name))
    problems.push(`the AzureMachine name "${p.name}" is not a valid Azure VM name (1-64 letters, digits, -, _ and .)`);
  if (problems.length || !image || !vnet?.name) return { ok: false, problems };

  const ownership = {
    [`${CLUSTER_TAG_PREFIX}${p.clusterName}`]: 'owned',
    [IDENTITY_TAG]: p.machineUid,
  };
  const userTags = { ...(p.cluster.additionalTags ?? {}), ...(s.additionalTags ?? {}) };
  const vnetRg = vnet.resourceGroup ?? p.cluster.resourceGroup ?? p.rg;
  const lb = p.cluster.networkSpec?.nodeOutboundLB;
  const backendPool =
    p.role === 'node' && lb?.name
      ? `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.Network/loadBalancers/${lb.name}/backendAddressPools/${lb.backendPool?.name ?? lb.name}`
      : undefined;
  const builtNics = nics.map((n, i) => {
    const name = nicName(p.name, i, nics.length);
    const subnet = `/subscriptions/${p.sub}/resourceGroups/${vnetRg}/providers/Microsoft.Network/virtualNetworks/${vnet.name}/subnets/${n.subnetName}`;
    const body: NetworkInterface = {
      location: p.location,
      tags: { ...userTags, Name: name, ...ownership },
      enableAcceleratedNetworking: n.acceleratedNetworking ?? p.skuAcceleratedNetworking,
      ...(s.enableIPForwarding ? { enableIPForwarding: true } : {}),
      ...(s.dnsServers?.length ? { dnsSettings: { dnsServers: s.dnsServers } } : {}),
      ipConfigurations: Array.from({ length: n.privateIPConfigs }, (_, j) => ({
        name: j === 0 ? 'pipConfig' : `${name}-${j}`,
        primary: j === 0,
        privateIPAllocationMethod: 'Dynamic',
        subnet: { id: subnet },
        ...(j === 0 && i === 0 && backendPool ? { loadBalancerBackendAddressPools: [{ id: backendPool }] } : {}),
      })),
    };
    return { name, body };
  });

  const md = (m: NonNullable<AzureMachineSpec['osDisk']['managedDisk']> | undefined) =>
    m
      ? {
          ...(m.storageAccountType ? { storageAccountType: m.storageAccountType } : {}),
          ...(m.diskEncryptionSet?.id ? { diskEncryptionSet: { id: m.diskEncryptionSet.id } } : {}),
          ...(m.securityProfile
            ? {
                securityProfile: {
                  ...(m.securityProfile.securityEncryptionType
                    ? { securityEncryptionType: m.securityProfile.securityEncryptionType }
                    : {}),
                  ...(m.securityProfile.diskEncryptionSet?.id
                    ? { diskEncryptionSet: { id: m.securityProfile.diskEncryptionSet.id } }
                    : {}),
                },
              }
            : {}),
        }
      : undefined;
  const os = s.osDisk;
  const diff = os.diffDiskSettings;
  const sshKey = s.sshPublicKey ? decodeSshKey(s.sshPublicKey) : undefined;
  const boot = s.diagnostics?.boot;
  const spot = s.spotVMOptions;
  const sec = s.securityProfile;
  const identities = (s.userAssignedIdentities ?? []).map((u) => identityResourceID(u.providerID));
  const vm: VirtualMachine = {
    location: p.location,
    ...(p.zone ? { zones: [p.zone] } : {}),
    tags: {
      ...userTags,
      Name: p.name,
      [ROLE_TAG]: p.role,
      [`${KUBERNETES_CLUSTER_TAG_PREFIX}${p.clusterName}`]: 'owned',
      ...ownership,
    },
    ...(image.plan ? { plan: image.plan } : {}),
    ...(s.identity === 'SystemAssigned' ? { identity: { type: 'SystemAssigned' } } : {}),
    ...(s.identity === 'UserAssigned'
      ? {
          identity: {
            type: 'UserAssigned',
            userAssignedIdentities: Object.fromEntries(identities.map((id) => [id, {}])),
          },
        }
      : {}),
    hardwareProfile: { vmSize: s.vmSize },
    storageProfile: {
      imageReference: image.ref,
      osDisk: {
        name: osDiskName(p.name),
        osType: os.osType as 'Linux' | 'Windows',
        createOption: 'FromImage',
        // The OS disk goes with the VM; data disks too. The NIC is deleted after the VM (VM → NIC → disks).
        deleteOption: 'Delete',
        ...(os.diskSizeGB ? { diskSizeGB: os.diskSizeGB } : {}),
        caching: diff ? 'ReadOnly' : (os.cachingType ?? 'None'),
        ...(md(os.managedDisk) ? { managedDisk: md(os.managedDisk) } : {}),
        ...(diff
          ? { diffDiskSettings: { option: diff.option, ...(diff.placement ? { placement: diff.placement } : {}) } }
          : {}),
      },
      dataDisks: (s.dataDisks ?? []).map((d, i) => ({
        name: dataDiskName(p.name, d.nameSuffix),
        createOption: 'Empty',
        diskSizeGB: d.diskSizeGB,
        lun: d.lun ?? i,
        deleteOption: 'Delete',
        ...(d.cachingType ? { caching: d.cachingType } : {}),
        ...(md(d.managedDisk) ? { managedDisk: md(d.managedDisk) } : {}),
      })),
    },
    osProfile: {
      computerName: p.name,
      adminUsername: 'capi',
      customData,
      allowExtensionOperations: !s.disableExtensionOperations,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ...(sshKey ? { ssh: { publicKeys: [{ path: '/home/capi/.ssh/authorized_keys', keyData: sshKey }] } } : {}),
      },
    },
    networkProfile: {
      networkInterfaces: builtNics.map((n, i) => ({
        id: `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.Network/networkInterfaces/${n.name}`,
        primary: i === 0,
        deleteOption: 'Detach',
      })),
    },
    diagnosticsProfile: {
      bootDiagnostics:
        boot?.storageAccountType === 'Disabled'
          ? { enabled: false }
          : boot?.storageAccountType === 'UserManaged'
            ? { enabled: true, storageUri: boot.userManaged!.storageAccountURI }
            : { enabled: true },
    },
    ...(spot
      ? {
          priority: 'Spot',
          evictionPolicy: spot.evictionPolicy ?? 'Deallocate',
          billingProfile: { maxPrice: spot.maxPrice !== undefined ? Number(String(spot.maxPrice)) : -1 },
        }
      : {}),
    ...(sec
      ? {
          securityProfile: {
            ...(sec.encryptionAtHost !== undefined ? { encryptionAtHost: sec.encryptionAtHost } : {}),
            ...(sec.securityType ? { securityType: sec.securityType } : {}),
            ...(sec.uefiSettings ? { uefiSettings: { ...sec.uefiSettings } } : {}),
          },
        }
      : {}),
    ...(s.additionalCapabilities?.ultraSSDEnabled !== undefined
      ? { additionalCapabilities: { ultraSSDEnabled: s.additionalCapabilities.ultraSSDEnabled } }
      : {}),
    ...(p.availabilitySet
      ? {
          availabilitySet: {
            id: `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.Compute/availabilitySets/${p.availabilitySet}`,
          },
        }
      : {}),
    ...(s.capacityReservationGroupID
      ? { capacityReservation: { capacityReservationGroup: { id: s.capacityReservationGroupID } } }
      : {}),
  };
  return {
    ok: true,
    request: {
      sub: p.sub,
      rg: p.rg,
      location: p.location,
      vmName: p.name,
      nics: builtNics,
      vm,
      ...(p.availabilitySet
        ? {
            availabilitySet: {
              name: p.availabilitySet,
              body: {
                location: p.location,
                sku: { name: 'Aligned' },
                platformFaultDomainCount: 2,
                platformUpdateDomainCount: 5,
                tags: { ...userTags, ...{ [`${CLUSTER_TAG_PREFIX}${p.clusterName}`]: 'owned' } },
              },
            },
          }
        : {}),
    },
  };
}
