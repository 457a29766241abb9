// What the emulated subscription offers: locations (with or without availability zones), VM sizes with the
// capabilities CAPZ checks, and a few marketplace images. Tests may add more through the state.

export interface SkuInfo {
  name: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
  premiumIO: boolean;
  acceleratedNetworking: boolean;
  encryptionAtHost: boolean;
  ephemeralOSDisk: boolean;
  trustedLaunch: boolean;
}

const sku = (name: string, family: string, vCPUs: number, memoryGB: number, o: Partial<SkuInfo> = {}): SkuInfo => ({
  name,
  family,
  vCPUs,
  memoryGB,
  premiumIO: true,
  acceleratedNetworking: vCPUs >= 2,
  encryptionAtHost: true,
  ephemeralOSDisk: vCPUs >= 4,
  trustedLaunch: true,
  ...o,
});

export const DEFAULT_SKUS: SkuInfo[] = [
  sku('Standard_D2s_v3', 'standardDSv3Family', 2, 8),
  sku('Standard_D4s_v3', 'standardDSv3Family', 4, 16),
  sku('Standard_D8s_v3', 'standardDSv3Family', 8, 32),
  sku('Standard_D4s_v5', 'standardDSv5Family', 4, 16),
  sku('Standard_B1s', 'standardBSFamily', 1, 1, { acceleratedNetworking: false, ephemeralOSDisk: false }),
  sku('Standard_A2_v2', 'standardAv2Family', 2, 4, {
    premiumIO: false,
    acceleratedNetworking: false,
    trustedLaunch: false,
  }),
];

/** Location → its availability zones (none: the region has no zones, and VMs go to availability sets). */
export const DEFAULT_LOCATIONS: Record<string, string[]> = {
  eastus: ['1', '2', '3'],
  westeurope: ['1', '2', '3'],
  northcentralus: [],
};

export interface MarketplaceImage {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

export const DEFAULT_MARKETPLACE: MarketplaceImage[] = [
  { publisher: 'RedHat', offer: 'rh-ocp-worker', sku: 'rh-ocp-worker', version: '4.18.2025071500' },
  { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: '22.04.202507010' },
];
