// Cluster phase (capi-core-spec.md §1.3): recomputed every reconcile, later rules win.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import type { ClusterPhase } from '../../shared/api/capi/constants.ts';

export function endpointValid(e: { host?: string; port?: number } | undefined): boolean {
  return Boolean(e?.host) && Boolean(e?.port);
}

export function clusterPhase(c: Cluster): ClusterPhase {
  let phase: ClusterPhase = 'Pending';
  if (c.spec?.infrastructureRef || c.spec?.controlPlaneRef) phase = 'Provisioning';
  if (c.status?.infrastructureReady && endpointValid(c.spec?.controlPlaneEndpoint)) phase = 'Provisioned';
  if (c.status?.failureReason || c.status?.failureMessage) phase = 'Failed';
  if (c.metadata.deletionTimestamp) phase = 'Deleting';
  return phase;
}
