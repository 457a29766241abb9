// What an installed OpenShift cluster already has in its subscription, by the installer's names: the resource group
// `<cluster>-rg`, the virtual network `<cluster>-vnet` with its worker and master subnets, the RHCOS image in the
// gallery `gallery_<cluster with _>` (definition `<cluster>-gen2`, the docs' image.id ends in `versions/latest`),
// and the user-assigned identity `<cluster>-identity` the docs' template names.
import type { ArmState } from './state.ts';

export interface InstalledCluster {
  rg: string;
  vnet: string;
  workerSubnet: string;
  gallery: string;
  imageDefinition: string;
  identity: string;
  /** The docs' `image.id`. */
  imageID: string;
}

export function seedInstalledCluster(state: ArmState, cluster: string, location = 'eastus'): InstalledCluster {
  const sub = state.subscriptionId;
  const rg = `${cluster}-rg`;
  const vnet = `${cluster}-vnet`;
  const workerSubnet = `${cluster}-worker-subnet`;
  const gallery = `gallery_${cluster.replace(/-/g, '_')}`;
  const imageDefinition = `${cluster}-gen2`;
  const identity = `${cluster}-identity`;
  state.seedNetwork({
    rg,
    location,
    vnet,
    subnets: { [workerSubnet]: '10.0.128.0/17', [`${cluster}-master-subnet`]: '10.0.0.0/17' },
  });
  state.seed(sub, rg, 'Microsoft.Compute', ['galleries', gallery], { location, properties: {} });
  state.seed(sub, rg, 'Microsoft.Compute', ['galleries', gallery, 'images', imageDefinition], {
    location,
    properties: {
      osType: 'Linux',
      hyperVGeneration: 'V2',
      identifier: { publisher: 'RedHat', offer: 'rhcos', sku: 'gen2' },
    },
  });
  state.seed(
    sub,
    rg,
    'Microsoft.Compute',
    ['galleries', gallery, 'images', imageDefinition, 'versions', '418.94.202507150'],
    {
      location,
      properties: { publishingProfile: { targetRegions: [{ name: location }] } },
    },
  );
  state.seed(sub, rg, 'Microsoft.ManagedIdentity', ['userAssignedIdentities', identity], { location });
  return {
    rg,
    vnet,
    workerSubnet,
    gallery,
    imageDefinition,
    identity,
    imageID: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gallery}/images/${imageDefinition}/versions/latest`,
  };
}
