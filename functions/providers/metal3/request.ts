// What a claim writes into a BareMetalHost, from the Metal3Machine (reference §3.3).
import type { BareMetalHostSpec, Metal3MachineSpec } from '../../../shared/api/providers/metal3.ts';
import type { HostSelector } from './hosts.ts';

export interface ClaimRequest {
  hostSelector: HostSelector | undefined;
  image?: BareMetalHostSpec['image'];
  customDeploy?: BareMetalHostSpec['customDeploy'];
  userData: { name: string; namespace: string };
  metaData?: { name: string; namespace: string };
  networkData?: { name: string; namespace: string };
  automatedCleaningMode?: Metal3MachineSpec['automatedCleaningMode'];
  /**
   * The Metal3DataTemplate the host's metaData and networkData are rendered from: the claim then takes the host
   * without provisioning it (the data needs the host), and provisioning follows once the Secrets exist.
   */
  dataTemplate?: { name: string; namespace: string };
  /** The Metal3Machine, for the host's controller owner reference. */
  owner: { apiVersion: string; uid: string };
}

/** What makes a claimed host provision: the image or custom deploy, the user data, the rendered data. */
export function provisioningSpec(
  req: Pick<ClaimRequest, 'image' | 'customDeploy' | 'userData' | 'metaData' | 'networkData'>,
): Partial<BareMetalHostSpec> {
  return {
    ...(req.image ? { image: req.image } : {}),
    ...(req.customDeploy ? { customDeploy: req.customDeploy } : {}),
    userData: req.userData,
    ...(req.metaData ? { metaData: req.metaData } : {}),
    ...(req.networkData ? { networkData: req.networkData } : {}),
  };
}
