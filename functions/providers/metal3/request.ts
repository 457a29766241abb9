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
  /** The Metal3Machine, for the host's controller owner reference. */
  owner: { apiVersion: string; uid: string };
}
