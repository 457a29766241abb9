// What an infrastructure machine's reconcile reads besides the object: its Machine, the Cluster, the
// infrastructure cluster, the create intent, and from those the Machine UID and the location.
import type { Cluster } from '../../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION, Labels } from '../../../shared/api/capi/constants.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { controllerOf } from '../../../shared/reconcile/owner-refs.ts';
import type { InfraMachine, InfraMachineDefinition, MachineScope } from './definition.ts';
import { parseIntent } from './intent.ts';
import type { MachineIdentity } from './port.ts';

/** The infrastructure cluster a Cluster points at, when it is this provider's kind. */
export async function infraClusterOf<IC extends KubeObject>(
  kube: KubeClient,
  cluster: Cluster | undefined,
  kind: string,
  namespace: string,
): Promise<IC | undefined> {
  const ref = cluster?.spec?.infrastructureRef;
  if (ref?.kind !== kind || !ref.name || !ref.apiVersion) return undefined;
  return kube.find<IC>({ apiVersion: ref.apiVersion, kind, namespace: ref.namespace ?? namespace, name: ref.name });
}

export async function loadScope<IM extends InfraMachine, IC extends KubeObject>(
  def: InfraMachineDefinition<unknown, unknown, IM, IC>,
  kube: KubeClient,
  im: IM,
): Promise<MachineScope<IM, IC>> {
  const ns = im.metadata.namespace!;
  const owner = controllerOf(im);
  const ownerIsMachine = owner?.kind === 'Machine';
  const machine = ownerIsMachine
    ? await kube.find<Machine>({ apiVersion: CAPI_API_VERSION, kind: 'Machine', namespace: ns, name: owner.name })
    : undefined;
  const clusterName = machine?.spec.clusterName ?? im.metadata.labels?.[Labels.clusterName];
  const cluster = await findCluster(kube, ns, clusterName);
  const infraCluster = await infraClusterOf<IC>(kube, cluster, def.clusterKind, ns);
  const intent = parseIntent(im.metadata.annotations);
  // A Machine replaced under the same name has a new UID: only the owner reference's UID counts.
  const machineUid = ownerIsMachine && (!machine || machine.metadata.uid === owner.uid) ? owner.uid : undefined;
  const location = def.locate({ im, machine, infraCluster, intent });
  return { im, machine, cluster, infraCluster, intent, machineUid, clusterName, location };
}

export function identityOf(im: InfraMachine, machineUid: string, clusterName: string | undefined): MachineIdentity {
  return { machineUid, clusterName: clusterName ?? '', namespace: im.metadata.namespace!, name: im.metadata.name! };
}
