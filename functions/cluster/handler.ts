// The Cluster handler: what wakes it and what it reconciles.
import {
  CAPI_API_VERSION,
  CAPI_GROUP,
  CONTROL_PLANE_GROUP,
  INFRA_GROUP,
  Labels,
} from '../../shared/api/capi/constants.ts';
import { controlPlaneKinds, infraClusterKinds } from '../../shared/api/provider-kinds.ts';
import type { ObjectRef, ResourceEvent } from '../../shared/events/resource-event.ts';
import { EVENT_ACCESS } from '../../shared/kube/events.ts';
import { defineHandler } from '../../shared/runtime/handler.ts';
import { controllerOwner } from '../../shared/runtime/mappers.ts';
import { reconcileCluster } from './reconcile.ts';

const CLUSTER = { apiVersion: CAPI_API_VERSION, kind: 'Cluster' };

/** A descendant's deletion can unblock a deleting Cluster; other changes of workers do not concern it. */
function deletedDescendantToCluster(event: ResourceEvent): ObjectRef[] {
  if (event.type !== 'io.capifn.resource.deleted') return [];
  const labels = (event.data.object?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
  const name = labels?.[Labels.clusterName];
  const namespace = event.data.ref.namespace;
  return name && namespace ? [{ ...CLUSTER, namespace, name }] : [];
}

const DELETING_CLUSTER = { group: CAPI_GROUP, kind: 'Cluster', deleting: true };

export const clusterHandler = defineHandler({
  name: 'cluster',
  reconciles: CLUSTER,
  watches: [
    { group: CAPI_GROUP, kind: 'Cluster', statusChanges: false },
    ...infraClusterKinds().map((k) => ({ group: k.group, kind: k.kind, map: controllerOwner(CAPI_GROUP, 'Cluster') })),
    ...controlPlaneKinds().map((k) => ({ group: k.group, kind: k.kind, map: controllerOwner(CAPI_GROUP, 'Cluster') })),
    // A deleting Cluster waits for its workers to go: only their deletions concern it, and only while a Cluster of
    // their namespace is deleting (its own deletion event wakes it first); the rest is never delivered.
    {
      group: CAPI_GROUP,
      kind: 'MachineSet',
      statusChanges: false,
      events: ['deleted'],
      whenExists: DELETING_CLUSTER,
      map: deletedDescendantToCluster,
    },
    {
      group: CAPI_GROUP,
      kind: 'MachineDeployment',
      statusChanges: false,
      events: ['deleted'],
      whenExists: DELETING_CLUSTER,
      map: deletedDescendantToCluster,
    },
    {
      group: CAPI_GROUP,
      kind: 'Machine',
      statusChanges: false,
      events: ['deleted'],
      whenExists: DELETING_CLUSTER,
      map: deletedDescendantToCluster,
    },
  ],
  writes: [
    // Its finalizer, the controlPlaneEndpoint it copies, its status.
    { group: CAPI_GROUP, kinds: ['Cluster'], verbs: ['update'] },
    { group: CAPI_GROUP, kinds: ['Cluster'], subresource: 'status', verbs: ['update'] },
    // Becomes the infrastructure cluster's controller, and deletes it last when the Cluster goes.
    { group: INFRA_GROUP, kinds: infraClusterKinds().map((k) => k.kind), verbs: ['update', 'delete'] },
    // The same for a control plane (spec.controlPlaneRef), deleted after the workers and before the infrastructure.
    { group: CONTROL_PLANE_GROUP, kinds: controlPlaneKinds().map((k) => k.kind), verbs: ['update', 'delete'] },
    // A deleting Cluster deletes its workers first.
    { group: CAPI_GROUP, kinds: ['MachineDeployment', 'MachineSet', 'Machine'], verbs: ['delete'] },
    // Upstream's Cluster Events: phase changes, InfrastructureReady, Deleted.
    EVENT_ACCESS,
  ],
  reconcile: reconcileCluster,
});
