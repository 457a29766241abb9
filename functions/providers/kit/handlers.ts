// The two handlers every provider gets from its definitions, with the same watches: an infrastructure
// machine is woken by itself, by its Machine (bootstrap data, its deletion starting) and by its Cluster
// (infrastructure readiness, pause); an infrastructure cluster by itself and by its Cluster.
import { CAPI_GROUP, Labels } from '../../../shared/api/capi/constants.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { apiGroupOf, type ObjectRef, type ResourceEvent } from '../../../shared/events/resource-event.ts';
import {
  defineHandler,
  type HandlerDefinition,
  type KubeAccess,
  type MapContext,
} from '../../../shared/runtime/handler.ts';
import { eventObject, listedBy } from '../../../shared/runtime/mappers.ts';
import { reconcileInfraCluster } from './cluster.ts';
import type {
  InfraClusterDefinition,
  InfraClusterObject,
  InfraMachine,
  InfraMachineDefinition,
  KitTimings,
  TypeRef,
} from './definition.ts';
import { CREATE_INTENT_ANNOTATION } from './intent.ts';
import { reconcileInfraMachine, timingsOf } from './machine.ts';

interface RefHolder {
  spec?: { infrastructureRef?: { kind?: string; name?: string; namespace?: string } };
}

/** A Machine event wakes the infrastructure machine it points at. */
function machineToInfraMachine(target: TypeRef) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const m = await eventObject(event, ctx);
    const ref = (m as RefHolder | undefined)?.spec?.infrastructureRef;
    if (!m || ref?.kind !== target.kind || !ref.name) return [];
    return [{ ...target, namespace: m.metadata.namespace!, name: ref.name }];
  };
}

/** A Cluster event (pause, endpoint) wakes its infrastructure cluster. */
function clusterToInfraCluster(target: TypeRef) {
  return async (event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> => {
    const c = await eventObject(event, ctx);
    const ref = (c as RefHolder | undefined)?.spec?.infrastructureRef;
    if (!c || ref?.kind !== target.kind || !ref.name) return [];
    return [{ ...target, namespace: ref.namespace ?? c.metadata.namespace!, name: ref.name }];
  };
}

/** The reconciled kind's finalizer, identity fields and annotations, and its status. */
function ownWrites(t: TypeRef): KubeAccess[] {
  const group = apiGroupOf(t.apiVersion);
  return [
    { group, kinds: [t.kind], verbs: ['update'] },
    { group, kinds: [t.kind], subresource: 'status', verbs: ['update'] },
  ];
}

export interface KitHandlerOptions<Client> {
  /** The provider's cloud client, built once per process (credentials from the platform's standard chain). */
  client: () => Client | Promise<Client>;
  timings?: Partial<KitTimings>;
}

/** What a provider's `recordIdentity` may write: the providerID, its own recorded id field, and (local) the failure domain. */
function identityPaths(recordedIdField: string | undefined): string[][] {
  const paths = [
    ['spec', 'providerID'],
    ['spec', 'failureDomain'],
  ];
  const own = recordedIdField?.split('.');
  if (own && !paths.some((p) => p.join('.') === recordedIdField)) paths.push(own);
  return paths;
}

export function infraMachineHandler<Client, Req, IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<Client, Req, IM, IC>,
  o: KitHandlerOptions<Client>,
): HandlerDefinition<Client> {
  const t = timingsOf(def, o.timings);
  return defineHandler<Client>({
    name: `${def.name}-machine`,
    reconciles: def.machine,
    cloud: o.client,
    watches: [
      // Not its own removal: it goes only after this handler has released its finalizer, the instance gone, so the
      // event finds nothing (one whose finalizer is stripped by hand leaves its instance to the drift check's orphan
      // scan). Nor its own writes of the create intent, the finalizer and the instance's identity: the reconcile that
      // writes them goes on to create and report in the same run (a run that fails there is retried by its own
      // delivery). An identity edited by hand is seen at the next reconcile (the requeue of a foreign instance, any
      // other change, the drift check's resync); so is a finalizer stripped by hand from a running machine.
      // Nor its creation before a Machine controls it (a MachineSet's clone): nothing can be done for it until then,
      // and the owner reference the Machine handler adds is a modification of it, which wakes this handler.
      {
        group: apiGroupOf(def.machine.apiVersion),
        kind: def.machine.kind,
        statusChanges: false,
        events: ['added', 'modified', 'resync'],
        addedOnceControlledBy: { group: CAPI_GROUP, kind: 'Machine' },
        ignoring: [
          ['metadata', 'annotations', CREATE_INTENT_ANNOTATION],
          ['metadata', 'finalizers'],
          ...identityPaths(def.recordedIdField),
        ],
      },
      // Not a Machine's creation: nothing is created before the Machine is the infrastructure machine's controller,
      // and that owner reference (written after the Machine exists, by the Machine handler or a mover) is an event
      // of the infrastructure machine itself. Nor its removal: the Machine handler deletes the infrastructure machine
      // first (its own event), and with its Machine gone a reconcile has nothing to create for.
      // Nor what the Machine copies from the infrastructure machine (its providerID and failure domain), nor its
      // metadata, its deletion included: what a create reads of it is its spec (bootstrap data, failure domain,
      // cluster), read fresh then, and its deletion deletes the infrastructure machine first.
      {
        group: CAPI_GROUP,
        kind: 'Machine',
        statusChanges: false,
        events: ['modified', 'resync'],
        ignoring: [['metadata'], ['spec', 'providerID'], ['spec', 'failureDomain']],
        map: machineToInfraMachine(def.machine),
      },
      // Creates wait for the Cluster's infrastructure to be ready (a status change) and stop when it pauses.
      {
        group: CAPI_GROUP,
        kind: 'Cluster',
        map: listedBy(def.machine, (c) => ({ labelSelector: `${Labels.clusterName}=${c.metadata.name}` })),
      },
      ...(def.watches ?? []),
    ],
    reads: [
      // The infrastructure cluster says where instances live; the bootstrap data Secret is named by the Machine.
      { group: apiGroupOf(def.machine.apiVersion), kinds: [def.clusterKind], verbs: ['get'] },
      { group: '', kinds: ['Secret'], namespaces: 'workload', verbs: ['get'] },
      ...(def.reads ?? []),
    ],
    writes: [...ownWrites(def.machine), ...(def.writes ?? [])],
    reconcile: (ref, ctx) => reconcileInfraMachine(def, ref, ctx, t),
  });
}

export function infraClusterHandler<Client, IC extends InfraClusterObject>(
  def: InfraClusterDefinition<Client, IC>,
  o: KitHandlerOptions<Client>,
): HandlerDefinition<Client> {
  const t = timingsOf(def, o.timings);
  return defineHandler<Client>({
    name: `${def.name}-cluster`,
    reconciles: def.cluster,
    cloud: o.client,
    watches: [
      { group: apiGroupOf(def.cluster.apiVersion), kind: def.cluster.kind, statusChanges: false },
      { group: CAPI_GROUP, kind: 'Cluster', statusChanges: false, map: clusterToInfraCluster(def.cluster) },
    ],
    // Credentials from the cluster (`connect`) are a Secret the infrastructure cluster names, in its namespace.
    reads: [
      ...(def.connect
        ? [{ group: '', kinds: ['Secret'], namespaces: 'workload' as const, verbs: ['get' as const] }]
        : []),
      ...(def.reads ?? []),
    ],
    writes: ownWrites(def.cluster),
    reconcile: (ref, ctx) => reconcileInfraCluster(def, ref, ctx, t),
  });
}
