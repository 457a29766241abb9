// The local provider's handlers: LocalCluster and LocalMachine on the simulated cloud.
import { CAPI_GROUP, INFRA_GROUP, Labels } from '../../../shared/api/capi/constants.ts';
import type { ObjectRef, ResourceEvent } from '../../../shared/events/resource-event.ts';
import type { MapContext } from '../../../shared/runtime/handler.ts';
import { defineHandler } from '../../../shared/runtime/handler.ts';
import { eventObject, listedBy } from '../../../shared/runtime/mappers.ts';
import type { LocalCloudApi } from './cloud.ts';
import { reconcileLocalCluster } from './cluster.ts';
import { reconcileLocalMachine } from './machine.ts';

const LOCAL_MACHINE = { apiVersion: `${INFRA_GROUP}/v1beta1`, kind: 'LocalMachine' };

/** A Machine event wakes the LocalMachine it points at (bootstrap data arriving, deletion). */
async function machineToLocalMachine(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const m = await eventObject(event, ctx);
  const ref = (m?.spec as { infrastructureRef?: { kind?: string; name?: string; apiVersion?: string } } | undefined)
    ?.infrastructureRef;
  if (!m || ref?.kind !== 'LocalMachine' || !ref.name) return [];
  return [{ ...LOCAL_MACHINE, namespace: m.metadata.namespace!, name: ref.name }];
}

export function localMachineHandler(cloud: () => LocalCloudApi) {
  return defineHandler<LocalCloudApi>({
    name: 'local-machine',
    reconciles: LOCAL_MACHINE,
    cloud,
    watches: [
      { group: INFRA_GROUP, kind: 'LocalMachine', statusChanges: false },
      { group: CAPI_GROUP, kind: 'Machine', statusChanges: false, map: machineToLocalMachine },
      // Instances wait for the Cluster's infrastructure to be ready (a status change).
      {
        group: CAPI_GROUP,
        kind: 'Cluster',
        map: listedBy(LOCAL_MACHINE, (c) => ({ labelSelector: `${Labels.clusterName}=${c.metadata.name}` })),
      },
    ],
    reconcile: reconcileLocalMachine,
  });
}

/** A Cluster's spec change (unpausing) wakes its LocalCluster, which a paused run left as it was. */
async function clusterToLocalCluster(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const c = await eventObject(event, ctx);
  const ref = (c?.spec as { infrastructureRef?: { kind?: string; name?: string; namespace?: string } } | undefined)
    ?.infrastructureRef;
  if (!c || ref?.kind !== 'LocalCluster' || !ref.name) return [];
  return [
    {
      apiVersion: `${INFRA_GROUP}/v1beta1`,
      kind: 'LocalCluster',
      namespace: ref.namespace ?? c.metadata.namespace!,
      name: ref.name,
    },
  ];
}

export const localClusterHandler = defineHandler({
  name: 'local-cluster',
  reconciles: { apiVersion: `${INFRA_GROUP}/v1beta1`, kind: 'LocalCluster' },
  watches: [
    { group: INFRA_GROUP, kind: 'LocalCluster', statusChanges: false },
    { group: CAPI_GROUP, kind: 'Cluster', statusChanges: false, map: clusterToLocalCluster },
  ],
  reconcile: reconcileLocalCluster,
});
