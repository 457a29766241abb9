// The MachineSet handler: what wakes it and what it reconciles.
import {
  BOOTSTRAP_GROUP,
  CAPI_API_VERSION,
  CAPI_GROUP,
  INFRA_GROUP,
  Labels,
  PROVIDER_ID_HASH_LABEL,
} from '../../shared/api/capi/constants.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import {
  bootstrapConfigKinds,
  bootstrapTemplateKinds,
  infraMachineKinds,
  machineTemplateKinds,
} from '../../shared/api/provider-kinds.ts';
import { EVENT_ACCESS } from '../../shared/kube/events.ts';
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
      // Not a Machine's creation: a set's own clones are counted by the run that its intent's clearing wakes (a change
      // of the set), and any other Machine (an orphan to adopt, one restored with its owner) is heard at its first
      // change, which the Machine handler makes at once (its finalizer, its status; one it cannot reconcile at all,
      // its Cluster missing, is found at the drift check's next resync). A set woken by each of its own creations was
      // an invocation per Machine for nothing.
      events: ['modified', 'deleted', 'resync'],
      // The identity the Machine handler copies from its infrastructure machine, and the label indexing it: a set
      // reads neither (its status comes from the Machines' nodeRef and conditions, which change in their own writes).
      // Nor a Machine's deletion starting (a scale-down's own, or anyone's): a deleting Machine still counts, as
      // upstream counts it, until it is gone, and that (its deletion event) is when a replacement is due. What its
      // teardown changes in its conditions comes in its status writes.
      ignoring: [
        ['spec', 'providerID'],
        ['spec', 'failureDomain'],
        ['metadata', 'labels', PROVIDER_ID_HASH_LABEL],
        ['metadata', 'deletionTimestamp'],
        ['metadata', 'deletionGracePeriodSeconds'],
      ],
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
    ...bootstrapTemplateKinds().map((t) => ({
      group: t.group,
      kind: t.kind,
      statusChanges: false,
      map: listedBy(MACHINESET, (tpl) => ({
        filter: (ms) => {
          const r = (ms as MachineSet).spec.template?.spec.bootstrap?.configRef;
          return r?.kind === tpl.kind && r?.name === tpl.metadata.name;
        },
      })),
    })),
  ],
  writes: [
    // Its finalizer and its create intent (DESIGN.md rule 3), then its status.
    { group: CAPI_GROUP, kinds: ['MachineSet'], verbs: ['update'] },
    { group: CAPI_GROUP, kinds: ['MachineSet'], subresource: 'status', verbs: ['update'] },
    // Creates, adopts (ownerReference) and deletes Machines; marks a remediated one OwnerRemediated.
    // Propagates the template's in-place fields (server-side apply, a merge patch on a deleting Machine).
    { group: CAPI_GROUP, kinds: ['Machine'], verbs: ['create', 'update', 'patch', 'delete'] },
    { group: CAPI_GROUP, kinds: ['Machine'], subresource: 'status', verbs: ['update'] },
    EVENT_ACCESS,
    // The template is given its Cluster as owner, as upstream does, so it goes with the Cluster.
    { group: INFRA_GROUP, kinds: machineTemplateKinds().map((k) => k.kind), verbs: ['update'] },
    // Each Machine's infrastructure clone of the template, removed again when its Machine was never created; its
    // labels and annotations kept in step with the template (listed by set-name, applied).
    {
      group: INFRA_GROUP,
      kinds: infraMachineKinds().map((k) => k.kind),
      verbs: ['get', 'list', 'create', 'patch', 'delete'],
    },
    // The same for bootstrap: the template gets its Cluster as owner, each Machine its bootstrap config clone.
    { group: BOOTSTRAP_GROUP, kinds: bootstrapTemplateKinds().map((k) => k.kind), verbs: ['update'] },
    {
      group: BOOTSTRAP_GROUP,
      kinds: bootstrapConfigKinds().map((k) => k.kind),
      verbs: ['get', 'list', 'create', 'patch', 'delete'],
    },
  ],
  reconcile: reconcileMachineSet,
});
