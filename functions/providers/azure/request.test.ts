import { describe, expect, it } from 'vitest';
import type { AzureMachineSpec } from '../../../shared/api/providers/azure.ts';
import { buildCreateRequest, type CreatePlan, decodeSshKey, imageReference } from './request.ts';

const SUB = '00000000-0000-4000-8000-0000005ab5c0';
const KEY_LINE = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host';
// The OpenShift docs' AzureMachineTemplate sample.
const spec: AzureMachineSpec = {
  disableExtensionOperations: true,
  identity: 'UserAssigned',
  image: {
    id: `/subscriptions/${SUB}/resourceGroups/ocp-rg/providers/Microsoft.Compute/galleries/gallery_ocp/images/ocp-gen2/versions/latest`,
  },
  networkInterfaces: [{ acceleratedNetworking: true, privateIPConfigs: 1, subnetName: 'ocp-worker-subnet' }],
  osDisk: { diskSizeGB: 128, managedDisk: { storageAccountType: 'Premium_LRS' }, osType: 'Linux' },
  sshPublicKey: Buffer.from(KEY_LINE).toString('base64'),
  userAssignedIdentities: [
    {
      providerID: `azure:///subscriptions/${SUB}/resourcegroups/ocp-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ocp-identity`,
    },
  ],
  vmSize: 'Standard_D4s_v3',
};

const plan = (over: Partial<CreatePlan> = {}, s: Partial<AzureMachineSpec> = {}): CreatePlan => ({
  name: 'ocp-worker-eastus-x7p2k',
  sub: SUB,
  rg: 'ocp-rg',
  location: 'eastus',
  spec: { ...spec, ...s },
  cluster: {
    resourceGroup: 'ocp-rg',
    networkSpec: {
      vnet: { name: 'ocp-vnet', resourceGroup: 'net-rg' },
      nodeOutboundLB: { name: 'ocp', backendPool: { name: 'ocp' } },
    },
    additionalTags: { team: 'infra' },
  },
  clusterName: 'ocp',
  machineUid: 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
  role: 'node',
  skuAcceleratedNetworking: true,
  bootstrap: Buffer.from('{"ignition":{"version":"3.4.0"}}'),
  ...over,
});

const built = (over: Partial<CreatePlan> = {}, s: Partial<AzureMachineSpec> = {}) => {
  const r = buildCreateRequest(plan(over, s));
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.request;
};

describe('buildCreateRequest', () => {
  it('the docs’ template: the NIC in the cluster’s vnet with accelerated networking and the node backend pool', () => {
    const r = built();
    expect(r.nics).toEqual([
      {
        name: 'ocp-worker-eastus-x7p2k-nic',
        body: {
          location: 'eastus',
          tags: {
            team: 'infra',
            Name: 'ocp-worker-eastus-x7p2k-nic',
            'sigs.k8s.io_cluster-api-provider-azure_cluster_ocp': 'owned',
            'capi-fn-machine-uid': 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
          },
          enableAcceleratedNetworking: true,
          ipConfigurations: [
            {
              name: 'pipConfig',
              primary: true,
              privateIPAllocationMethod: 'Dynamic',
              subnet: {
                id: `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/ocp-vnet/subnets/ocp-worker-subnet`,
              },
              loadBalancerBackendAddressPools: [
                {
                  id: `/subscriptions/${SUB}/resourceGroups/ocp-rg/providers/Microsoft.Network/loadBalancers/ocp/backendAddressPools/ocp`,
                },
              ],
            },
          ],
        },
      },
    ]);
  });

  it('the docs’ template: the VM with size, image, OS disk, identity, ssh key, customData and CAPZ’s tags', () => {
    const vm = built().vm;
    expect(vm).toMatchObject({
      location: 'eastus',
      hardwareProfile: { vmSize: 'Standard_D4s_v3' },
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: {
          [`/subscriptions/${SUB}/resourcegroups/ocp-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ocp-identity`]:
            {},
        },
      },
      storageProfile: {
        imageReference: { id: spec.image!.id },
        osDisk: {
          name: 'ocp-worker-eastus-x7p2k_OSDisk',
          osType: 'Linux',
          createOption: 'FromImage',
          deleteOption: 'Delete',
          diskSizeGB: 128,
          caching: 'None',
          managedDisk: { storageAccountType: 'Premium_LRS' },
        },
        dataDisks: [],
      },
      osProfile: {
        computerName: 'ocp-worker-eastus-x7p2k',
        adminUsername: 'capi',
        customData: Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64'),
        allowExtensionOperations: false,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: '/home/capi/.ssh/authorized_keys', keyData: KEY_LINE }] },
        },
      },
      networkProfile: {
        networkInterfaces: [
          {
            id: `/subscriptions/${SUB}/resourceGroups/ocp-rg/providers/Microsoft.Network/networkInterfaces/ocp-worker-eastus-x7p2k-nic`,
            primary: true,
            deleteOption: 'Detach',
          },
        ],
      },
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
      tags: {
        team: 'infra',
        Name: 'ocp-worker-eastus-x7p2k',
        'sigs.k8s.io_cluster-api-provider-azure_role': 'node',
        'kubernetes.io_cluster_ocp': 'owned',
        'sigs.k8s.io_cluster-api-provider-azure_cluster_ocp': 'owned',
        'capi-fn-machine-uid': 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
      },
    });
    expect(vm.zones).toBeUndefined();
    expect(vm.availabilitySet).toBeUndefined();
  });

  it('a zone from the failure domain; an availability set when the location has none', () => {
    expect(built({ zone: '2' }).vm.zones).toEqual(['2']);
    const r = built({ availabilitySet: 'ocp_ocp-worker-as' });
    expect(r.vm.availabilitySet?.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/ocp-rg/providers/Microsoft.Compute/availabilitySets/ocp_ocp-worker-as`,
    );
    expect(r.availabilitySet).toMatchObject({
      name: 'ocp_ocp-worker-as',
      body: { sku: { name: 'Aligned' }, location: 'eastus' },
    });
  });

  it('the fields beyond the docs: data disks, ephemeral OS disk, spot, security, capacity reservation, diagnostics, DNS, IP forwarding', () => {
    const r = built(
      { role: 'control-plane' },
      {
        dataDisks: [
          {
            nameSuffix: 'etcddisk',
            diskSizeGB: 256,
            cachingType: 'ReadWrite',
            managedDisk: { storageAccountType: 'Premium_LRS' },
          },
        ],
        osDisk: {
          osType: 'Linux',
          diskSizeGB: 64,
          diffDiskSettings: { option: 'Local', placement: 'ResourceDisk' },
          managedDisk: { storageAccountType: 'Standard_LRS' },
        },
        spotVMOptions: { maxPrice: '0.05', evictionPolicy: 'Delete' },
        securityProfile: {
          encryptionAtHost: true,
          securityType: 'TrustedLaunch',
          uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
        },
        capacityReservationGroupID: `/subscriptions/${SUB}/resourceGroups/ocp-rg/providers/Microsoft.Compute/capacityReservationGroups/crg`,
        diagnostics: { boot: { storageAccountType: 'Disabled' } },
        dnsServers: ['10.0.0.10'],
        enableIPForwarding: true,
        additionalTags: { cost: 'lab' },
      },
    );
    expect(r.vm.storageProfile?.dataDisks).toEqual([
      {
        name: 'ocp-worker-eastus-x7p2k_etcddisk',
        createOption: 'Empty',
        diskSizeGB: 256,
        lun: 0,
        deleteOption: 'Delete',
        caching: 'ReadWrite',
        managedDisk: { storageAccountType: 'Premium_LRS' },
      },
    ]);
    expect(r.vm.storageProfile?.osDisk).toMatchObject({
      caching: 'ReadOnly',
      diffDiskSettings: { option: 'Local', placement: 'ResourceDisk' },
    });
    expect(r.vm).toMatchObject({
      priority: 'Spot',
      evictionPolicy: 'Delete',
      billingProfile: { maxPrice: 0.05 },
      securityProfile: {
        encryptionAtHost: true,
        securityType: 'TrustedLaunch',
        uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
      },
      capacityReservation: {
        capacityReservationGroup: { id: expect.stringMatching(/capacityReservationGroups\/crg$/) },
      },
      diagnosticsProfile: { bootDiagnostics: { enabled: false } },
      tags: { cost: 'lab', 'sigs.k8s.io_cluster-api-provider-azure_role': 'control-plane' },
    });
    // Control-plane machines are not in the node outbound pool.
    expect(r.nics[0]!.body).toMatchObject({ enableIPForwarding: true, dnsSettings: { dnsServers: ['10.0.0.10'] } });
    expect(r.nics[0]!.body.ipConfigurations![0]!.loadBalancerBackendAddressPools).toBeUndefined();
  });

  it('several NICs and IP configurations are named as CAPZ names them', () => {
    const r = built(
      {},
      {
        networkInterfaces: [
          { subnetName: 'a', privateIPConfigs: 2 },
          { subnetName: 'b', acceleratedNetworking: false },
        ],
      },
    );
    expect(
      r.nics.map((n) => [n.name, n.body.ipConfigurations!.map((c) => c.name), n.body.enableAcceleratedNetworking]),
    ).toEqual([
      ['ocp-worker-eastus-x7p2k-nic-0', ['pipConfig', 'ocp-worker-eastus-x7p2k-nic-0-1'], true],
      ['ocp-worker-eastus-x7p2k-nic-1', ['pipConfig'], false],
    ]);
    expect(r.vm.networkProfile?.networkInterfaces?.map((n) => n.primary)).toEqual([true, false]);
  });

  it('problems name the field: no subnet, no image, bootstrap data over 64 KiB', () => {
    const r = buildCreateRequest(
      plan({ bootstrap: Buffer.alloc(70_000) }, { networkInterfaces: [{}], image: undefined }),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([
      'spec.networkInterfaces[0].subnetName is not set (an externally managed AzureCluster lists no subnets): name the worker subnet',
      'spec.image is not set: name the RHCOS image (image.id of the gallery image version)',
      "the bootstrap data is 70000 bytes; Azure's customData holds at most 65535",
    ]);
  });
});

describe('imageReference', () => {
  it.each([
    [
      { id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i' },
      { ref: { id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i' } },
    ],
    [
      {
        marketplace: {
          publisher: 'RedHat',
          offer: 'rh-ocp-worker',
          sku: 'rh-ocp-worker',
          version: '4.18.1',
          thirdPartyImage: true,
        },
      },
      {
        ref: { publisher: 'RedHat', offer: 'rh-ocp-worker', sku: 'rh-ocp-worker', version: '4.18.1' },
        plan: { name: 'rh-ocp-worker', publisher: 'RedHat', product: 'rh-ocp-worker' },
      },
    ],
    [
      { computeGallery: { gallery: 'g', name: 'n', version: '1' } },
      { ref: { communityGalleryImageId: '/CommunityGalleries/g/Images/n/Versions/1' } },
    ],
    [
      { computeGallery: { gallery: 'g', name: 'n', version: '1', resourceGroup: 'r' } },
      {
        ref: {
          id: `/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/n/versions/1`,
        },
      },
    ],
    [
      {
        sharedGallery: {
          subscriptionID: 's',
          resourceGroup: 'r',
          gallery: 'g',
          name: 'n',
          version: '1',
          publisher: 'p',
          offer: 'o',
          sku: 'k',
        },
      },
      {
        ref: { id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/n/versions/1' },
        plan: { name: 'k', publisher: 'p', product: 'o' },
      },
    ],
  ])('%j', (image, want) => {
    expect(imageReference(image as AzureMachineSpec['image'], SUB)).toEqual(want);
  });
});

describe('decodeSshKey', () => {
  it('accepts base64 of an OpenSSH key line, nothing else', () => {
    expect(decodeSshKey(Buffer.from(KEY_LINE).toString('base64'))).toBe(KEY_LINE);
    expect(decodeSshKey(Buffer.from('-----BEGIN PUBLIC KEY-----').toString('base64'))).toBeUndefined();
    expect(decodeSshKey(KEY_LINE)).toBeUndefined();
  });
});
