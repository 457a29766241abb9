// The Machine handler: what wakes it and what it reconciles.
import {
  Annotations,
  BOOTSTRAP_GROUP,
  CAPI_API_VERSION,
  CAPI_GROUP,
  INFRA_GROUP,
  Labels,
} from '../../shared/api/capi/constants.ts';
import { bootstrapConfigKinds, infraMachineKinds } from '../../shared/api/provider-kinds.ts';
import type { ObjectRef, ResourceEvent } from '../../shared/events/resource-event.ts';
import { EVENT_ACCESS } from '../../shared/kube/events.ts';
import { defineHandler, type MapContext } from '../../shared/runtime/handler.ts';
import { controllerOwner, eventObject, listedBy } from '../../shared/runtime/mappers.ts';
import { PROVIDER_ID_HASH_LABEL, providerIdHash } from './node-lookup.ts';
import type { NodeLike } from './node-sync.ts';
import { reconcileMachine } from './reconcile.ts';

const MACHINE = { apiVersion: CAPI_API_VERSION, kind: 'Machine' };
const NOT_ADDED: Array<'modified' | 'deleted' | 'resync'> = ['modified', 'deleted', 'resync'];
/** What `metadataChanges: false` skips, as ignored paths (to combine with others in one flag). */
const METADATA_BUT_DELETION = [
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'finalizers'],
  ['metadata', 'ownerReferences'],
];

/** Node → Machine: the annotations the Machine wrote on it, else the providerID index label. */
export async function nodeToMachines(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const node = (await eventObject(event, ctx)) as NodeLike | undefined;
  if (!node) return [];
  const a = node.metadata.annotations ?? {};
  const name = a[Annotations.nodeMachine];
  const namespace = a[Annotations.nodeClusterNamespace];
  if (name && namespace) return [{ ...MACHINE, namespace, name }];
  const providerID = node.spec?.providerID;
  if (!providerID) return [];
  const list = await ctx.kube.listAll(MACHINE, {
    labelSelector: `${PROVIDER_ID_HASH_LABEL}=${providerIdHash(providerID)}`,
  });
  return list.items
    .filter((m) => (m.spec as { providerID?: string } | undefined)?.providerID === providerID)
    .map((m) => ({ ...MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name!, uid: m.metadata.uid! }));
}

export const machineHandler = defineHandler({
  name: 'machine',
  reconciles: MACHINE,
  watches: [
    // Not its own deletion: a Machine is removed only once this handler has released its finalizer, so the event
    // finds nothing to reconcile (a Machine stripped of its finalizer by hand leaves its infrastructure machine and
    // bootstrap config to the garbage collector, which deletes what it controlled).
    {
      group: CAPI_GROUP,
      kind: 'Machine',
      statusChanges: false,
      events: ['added', 'modified', 'resync'],
      // What it copies from the infrastructure machine itself, in the reconcile that then looks for the Node: its echo
      // has nothing to add.
      ignoring: [
        ['spec', 'providerID'],
        ['spec', 'failureDomain'],
        ['metadata', 'labels', PROVIDER_ID_HASH_LABEL],
      ],
    },
    // Its spec (providerID, failure domain) and status move the Machine on. Metadata-only changes do not wake it:
    // the provider's finalizer and intent, and the owner reference and label this handler sets itself. A label or
    // owner stripped by hand is put back at the next reconcile of the Machine: a spec or status change of this
    // object, a non-status change of the Machine, or a change of its Node (a kubelet reports its status at least
    // every few minutes). The drift check does not look for it.
    //
    // Nor does its creation: a MachineSet's clone, like one written by hand, has no Machine controller yet (this
    // handler sets it), so the event maps to no Machine and was an invocation for nothing. One created already
    // controlled (a restore) is found by its Machine's next reconcile: the Machine waits for a missing reference
    // with a requeue, and the object's first change wakes it.
    //
    // Nor the identity a provider records before it reports readiness (providerID, failure domain, AWS's instanceID):
    // the Machine copies them once the object is ready, a status change, which the provider writes after them.
    ...infraMachineKinds().map((k) => ({
      group: k.group,
      kind: k.kind,
      map: controllerOwner(CAPI_GROUP, 'Machine'),
      metadataChanges: false,
      ignoring: [
        ...METADATA_BUT_DELETION,
        // The deletion this handler asks for itself (or anyone's): what moves the Machine on is the object gone.
        ['metadata', 'deletionTimestamp'],
        ['metadata', 'deletionGracePeriodSeconds'],
        ['spec', 'providerID'],
        ['spec', 'failureDomain'],
        ['spec', 'instanceID'],
      ],
      // Nor anything of it while its Machine is being deleted (the provider's teardown status): a deleting Machine
      // waits for the object to be gone, and reads nothing else of it. One deleted by hand while its Machine lives is
      // still heard: what the provider writes while tearing it down is mirrored, as upstream mirrors it.
      ignoringWhileControllerDeleting: { group: CAPI_GROUP, kind: 'Machine' },
      events: NOT_ADDED,
    })),
    // A bootstrap config turning ready (its data secret written) moves its Machine on.
    ...bootstrapConfigKinds().map((k) => ({
      group: k.group,
      kind: k.kind,
      map: controllerOwner(CAPI_GROUP, 'Machine'),
      metadataChanges: false,
      events: NOT_ADDED,
    })),
    // A Node's spec (providerID, taints), status and deletion move its Machine on. Its labels and annotations do
    // not: the ones that matter are written by this handler (the Machine annotations and synced labels), and its own
    // patch woke it once more per Machine for nothing. One stripped by hand comes back at the Machine's next
    // reconcile, at the latest at the kubelet's next status report (nodeStatusReportFrequency, 5 minutes by default).
    // Nor its cordon, which this handler sets itself and drains in the same run (a drain that must wait polls).
    {
      group: '',
      kind: 'Node',
      version: 'v1',
      map: nodeToMachines,
      metadataChanges: false,
      ignoring: [...METADATA_BUT_DELETION, ['spec', 'unschedulable']],
    },
    {
      group: CAPI_GROUP,
      kind: 'Cluster',
      statusChanges: false,
      map: listedBy(MACHINE, (c) => ({ labelSelector: `${Labels.clusterName}=${c.metadata.name}` })),
    },
  ],
  reads: [
    // Draining a Node: the Pods on it, and whether a Pod's controller is a DaemonSet (those stay).
    { group: '', kinds: ['Pod'], verbs: ['list'] },
    { group: 'apps', kinds: ['DaemonSet'], verbs: ['get'] },
    // The volume-detach wait: what is attached to the Node, matched to PersistentVolumes.
    { group: '', kinds: ['PersistentVolume'], verbs: ['list'] },
    { group: 'storage.k8s.io', kinds: ['VolumeAttachment'], verbs: ['list'] },
    // MachineDrainRules of the Machine's namespace, and namespaces' labels when a rule selects pods by them.
    { group: CAPI_GROUP, kinds: ['MachineDrainRule'], verbs: ['list'] },
    { group: '', kinds: ['Namespace'], verbs: ['list'] },
  ],
  writes: [
    { group: CAPI_GROUP, kinds: ['Machine'], verbs: ['update'] },
    { group: CAPI_GROUP, kinds: ['Machine'], subresource: 'status', verbs: ['update'] },
    // Becomes the infrastructure machine's (and bootstrap config's) controller, and deletes it when the Machine goes.
    { group: INFRA_GROUP, kinds: infraMachineKinds().map((k) => k.kind), verbs: ['update', 'delete'] },
    { group: BOOTSTRAP_GROUP, kinds: bootstrapConfigKinds().map((k) => k.kind), verbs: ['update', 'delete'] },
    // Labels and annotations on its Node, cordon before drain, and the Node's removal after the instance is gone.
    { group: '', kinds: ['Node'], verbs: ['patch', 'delete'] },
    { group: '', kinds: ['Pod'], subresource: 'eviction', verbs: ['create'] },
    // Upstream's Machine Events (SuccessfulSetNodeRef).
    EVENT_ACCESS,
  ],
  reconcile: reconcileMachine,
});
