// Subscriptions whose kinds ask for some event types only, and events of every type for them: the cases each
// routing form (Event Grid filter sets, Pub/Sub filters) is compared with routing.ts on.

import type { Subscription } from '../../shared/bus/types.ts';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';

const G = 'cluster.x-k8s.io';
/** A watch's flag for "nothing it looks at changed" (its value does not matter to routing, only its presence). */
const UNCHANGED_MACHINE = 'capifnnone0a1b2c3d4e';
const MACHINE_UNCHANGED = { [UNCHANGED_MACHINE]: 'true' } as const;

export const TYPED_SUBSCRIPTIONS: Subscription[] = [
  {
    // A watch that asks for some event types only (the Cluster hears its workers' deletions).
    handler: 'cluster',
    kinds: [
      { group: G, kind: 'Machine', types: ['io.capifn.resource.deleted'] },
      { group: G, kind: 'MachineSet', types: ['io.capifn.resource.deleted', 'io.capifn.resource.modified'] },
      { group: '', kind: 'Node', types: ['io.capifn.resource.added', 'io.capifn.resource.resync'] },
    ],
    statusChanges: false,
  },
  {
    handler: 'typed-status',
    kinds: [{ group: G, kind: 'MachineSet', types: ['io.capifn.resource.modified'] }],
    statusChanges: true,
  },
  {
    // Status-only changes wanted for one kind and not another (the Machine handler: its infrastructure
    // machine's status, never its own).
    handler: 'per-kind-status',
    kinds: [
      { group: G, kind: 'Machine', statusChanges: false },
      { group: G, kind: 'MachineSet' },
      {
        group: '',
        kind: 'Node',
        types: ['io.capifn.resource.added', 'io.capifn.resource.modified'],
        statusChanges: false,
      },
    ],
    statusChanges: true,
  },
  {
    // The reverse: the subscription skips status-only changes but one kind wants them.
    handler: 'per-kind-status-rev',
    kinds: [
      { group: G, kind: 'Machine' },
      { group: G, kind: 'MachineSet', statusChanges: true },
    ],
    statusChanges: false,
  },
  {
    // Kinds that matter only while a MachineHealthCheck exists (the MachineHealthCheck handler's `whenExists`).
    handler: 'gated',
    kinds: [
      { group: G, kind: 'MachineHealthCheck', statusChanges: false },
      { group: G, kind: 'Machine', whenExists: { group: G, kind: 'MachineHealthCheck' } },
      {
        group: '',
        kind: 'Node',
        types: ['io.capifn.resource.added', 'io.capifn.resource.modified'],
        statusChanges: false,
        whenExists: { group: G, kind: 'MachineHealthCheck' },
      },
    ],
    statusChanges: true,
  },
  {
    // A deleting gate (the Cluster handler's: its workers' deletions matter only while a Cluster is being deleted),
    // beside an exists gate on the same kind of event.
    handler: 'gated-deleting',
    kinds: [
      {
        group: G,
        kind: 'Machine',
        types: ['io.capifn.resource.deleted'],
        statusChanges: false,
        whenExists: { group: G, kind: 'Cluster', deleting: true },
      },
      { group: G, kind: 'MachineSet', whenExists: { group: G, kind: 'MachineHealthCheck' } },
    ],
    statusChanges: true,
  },
  {
    // A watch that ignores some paths: the bridge flags the modifications that changed nothing else.
    handler: 'ignoring',
    kinds: [
      { group: G, kind: 'Machine', statusChanges: false, unchanged: UNCHANGED_MACHINE },
      { group: G, kind: 'MachineSet', types: ['io.capifn.resource.deleted'] },
    ],
    statusChanges: true,
  },
  {
    // Metadata-only changes skipped for some kinds (the Machine handler's infrastructure machines), alone and with
    // the status-only skip, typed and not.
    handler: 'meta',
    kinds: [
      { group: G, kind: 'Machine', metadataChanges: false },
      { group: G, kind: 'MachineSet', statusChanges: false, metadataChanges: false },
      {
        group: '',
        kind: 'Node',
        types: ['io.capifn.resource.modified', 'io.capifn.resource.added'],
        metadataChanges: false,
      },
    ],
    statusChanges: true,
  },
];

/** The bridge's flag for "no MachineHealthCheck where this object lives". */
const NO_MHC = { capifnnonemachinehea: 'true' } as const;
/** The bridge's flag for "no Cluster being deleted where this object lives". */
const NO_DELETING_CLUSTER = { capifnnonedelcluster: 'true' } as const;

/** `ev` makes a modification of the kind (with `statusOnly` when asked); the others are derived from it. */
export function typedEvents(
  ev: (apiVersion: string, kind: string, extra?: { statusOnly?: boolean; metaOnly?: boolean }) => ResourceEvent,
): ResourceEvent[] {
  return [
    { ...ev(`${G}/v1beta1`, 'Machine'), type: 'io.capifn.resource.added' },
    ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }),
    ev(`${G}/v1beta1`, 'Machine', { statusOnly: false }),
    ev('v1', 'Node', { statusOnly: true }),
    ev('v1', 'Node', { statusOnly: false }),
    { ...ev(`${G}/v1beta1`, 'MachineSet'), type: 'io.capifn.resource.deleted' },
    ev(`${G}/v1beta1`, 'MachineSet'),
    ev(`${G}/v1beta1`, 'MachineSet', { statusOnly: true }),
    ev(`${G}/v1beta1`, 'MachineSet', { statusOnly: false }),
    { ...ev(`${G}/v1beta1`, 'MachineSet'), type: 'io.capifn.resource.added' },
    { ...ev('v1', 'Node'), type: 'io.capifn.resource.added' },
    { ...ev('v1', 'Node'), type: 'io.capifn.resource.resync' },
    { ...ev(`${G}/v1beta1`, 'Machine'), ...NO_MHC },
    { ...ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }), ...NO_MHC },
    { ...ev(`${G}/v1beta1`, 'Machine'), type: 'io.capifn.resource.deleted', ...NO_MHC },
    { ...ev('v1', 'Node', { statusOnly: false }), ...NO_MHC },
    { ...ev('v1', 'Node'), type: 'io.capifn.resource.added', ...NO_MHC },
    { ...ev(`${G}/v1beta1`, 'MachineSet'), ...NO_MHC },
    { ...ev(`${G}/v1beta1`, 'Machine'), type: 'io.capifn.resource.deleted', ...NO_DELETING_CLUSTER },
    { ...ev(`${G}/v1beta1`, 'Machine'), type: 'io.capifn.resource.deleted', ...NO_DELETING_CLUSTER, ...NO_MHC },
    { ...ev(`${G}/v1beta1`, 'MachineSet'), ...NO_DELETING_CLUSTER },
    { ...ev(`${G}/v1beta1`, 'Machine', { statusOnly: false }), ...MACHINE_UNCHANGED },
    { ...ev(`${G}/v1beta1`, 'Machine', { statusOnly: false, metaOnly: true }), ...MACHINE_UNCHANGED },
    { ...ev(`${G}/v1beta1`, 'MachineSet'), type: 'io.capifn.resource.deleted', ...MACHINE_UNCHANGED },
    ev(`${G}/v1beta1`, 'Machine', { statusOnly: false, metaOnly: true }),
    ev(`${G}/v1beta1`, 'Machine', { statusOnly: false, metaOnly: false }),
    ev(`${G}/v1beta1`, 'MachineSet', { statusOnly: false, metaOnly: true }),
    ev(`${G}/v1beta1`, 'MachineSet', { statusOnly: true, metaOnly: false }),
    ev(`${G}/v1beta1`, 'MachineSet', { statusOnly: false, metaOnly: false }),
    ev('v1', 'Node', { statusOnly: false, metaOnly: true }),
    { ...ev('v1', 'Node', { statusOnly: false, metaOnly: true }), type: 'io.capifn.resource.added' },
  ];
}
