// What an AWSMachine reconcile reads besides the AWSMachine: its Machine, the Cluster, the
// AWSCluster, and from those the region (AWSCluster.spec.region, else where the launch went).

import type { Cluster } from '../../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION, Labels } from '../../../shared/api/capi/constants.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { AWSCluster, AWSMachine } from '../../../shared/api/providers/aws.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { findCluster } from '../../../shared/reconcile/cluster-of.ts';
import { controllerOf } from '../../../shared/reconcile/owner-refs.ts';
import type { RegionName } from './cloud.ts';
import { type LaunchIntent, parseIntent } from './intent.ts';
import { parseProviderID, regionOfZone } from './provider-id.ts';

export interface MachineContext {
  machine?: Machine | undefined;
  cluster?: Cluster | undefined;
  awsCluster?: AWSCluster | undefined;
  intent?: LaunchIntent | undefined;
  region: RegionName;
  /** The Machine UID: the instance's identity. From the controller ownerRef, so it survives the Machine. */
  machineUid?: string | undefined;
}

export async function loadMachineContext(kube: KubeClient, am: AWSMachine): Promise<MachineContext> {
  const ns = am.metadata.namespace!;
  const owner = controllerOf(am);
  const ownerIsMachine = owner?.kind === 'Machine';
  const machine = ownerIsMachine
    ? await kube.find<Machine>({ apiVersion: CAPI_API_VERSION, kind: 'Machine', namespace: ns, name: owner.name })
    : undefined;
  const clusterName = machine?.spec.clusterName ?? am.metadata.labels?.[Labels.clusterName];
  const cluster = await findCluster(kube, ns, clusterName);
  const infra = cluster?.spec?.infrastructureRef;
  const awsCluster =
    infra?.kind === 'AWSCluster' && infra.name
      ? await kube.find<AWSCluster>({
          apiVersion: infra.apiVersion ?? 'infrastructure.cluster.x-k8s.io/v1beta2',
          kind: 'AWSCluster',
          namespace: infra.namespace ?? ns,
          name: infra.name,
        })
      : undefined;
  const intent = parseIntent(am.metadata.annotations);
  const zone = parseProviderID(am.spec.providerID)?.availabilityZone;
  const region = awsCluster?.spec?.region ?? intent?.region ?? (zone ? regionOfZone(zone) : undefined);
  // A Machine replaced under the same name has a new UID: only the owner reference's UID counts.
  const machineUid = ownerIsMachine && (!machine || machine.metadata.uid === owner.uid) ? owner.uid : undefined;
  return { machine, cluster, awsCluster, intent, region, machineUid };
}
