// Machine phase (capi-core-spec.md §3.3): recomputed every reconcile, later rules win.
import type { MachinePhase } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';

export function machinePhase(m: Machine): MachinePhase {
  const s = m.status ?? {};
  let phase: MachinePhase = 'Pending';
  if (s.bootstrapReady && !s.infrastructureReady) phase = 'Provisioning';
  if (m.spec.providerID) phase = 'Provisioned';
  if (s.nodeRef && s.infrastructureReady) phase = 'Running';
  if (s.failureReason || s.failureMessage) phase = 'Failed';
  if (m.metadata.deletionTimestamp) phase = 'Deleting';
  return phase;
}
