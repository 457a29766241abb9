// The MachineSet handler: what wakes it and what it reconciles.
import { CAPI_API_VERSION, CAPI_GROUP, Labels } from '../../shared/api/capi/constants.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import { machineTemplateKinds } from '../../shared/api/provider-kinds.ts';
import { matchesSelector } from '../../shared/kube/selectors.ts';
import { controllerOf } from '../../shared/reconcile/owner-refs.ts';
import { defineHandler } from '../../shared/runtime/handler.ts';
import { all, controllerOwner, listedBy } from '../../shared/runtime/mappers.ts';
import { reconcileMachineSet } from './reconcile.ts';

const MACHINESET = { apiVersion: CAPI_API_VERSION, kind: 'MachineSet' };

export const machineSetHandler = defineHandler({
  name: 'machineset',
  reconciles: MACHINESET,
  watches: [
    // Its own status writes must not wake it again (DESIGN.md rule 1).
    { group: CAPI_GROUP, kind: 'MachineSet', statusChanges: false },
    {
      group: CAPI_GROUP,
      kind: 'Machine',
      // Owned Machines wake their controller; an orphan wakes every set whose selector matches it (adoption).
      map: all(
        controllerOwner(CAPI_GROUP, 'MachineSet'),
        listedBy(MACHINESET, (m) =>
          controllerOf(m)
            ? undefined
            : { filter: (ms) => matchesSelector(m.metadata.labels, (ms as MachineSet).spec.selector) },
        ),
      ),
    },
    {
      group: CAPI_GROUP,
      kind: 'Cluster',
      statusChanges: false,
      map: listedBy(MACHINESET, (c) => ({ labelSelector: `${Labels.clusterName}=${c.metadata.name}` })),
    },
    // A template created after its MachineSet lets the set recover without waiting for the drift check.
    ...machineTemplateKinds().map((t) => ({
      group: t.group,
      kind: t.kind,
      statusChanges: false,
      map: listedBy(MACHINESET, (tpl) => ({
        filter: (ms) => {
          const r = (ms as MachineSet).spec.template?.spec.infrastructureRef;
          return r?.kind === tpl.kind && r?.name === tpl.metadata.name;
        },
      })),
    })),
  ],
  reconcile: reconcileMachineSet,
});
