// The AWS provider's handlers: AWSCluster and AWSMachine on EC2. `capi-fn up --platform aws` and the
// serverless deployment take them from `awsProviderHandlers()`.
import { CAPI_GROUP, INFRA_GROUP, Labels } from '../../../shared/api/capi/constants.ts';
import type { ObjectRef, ResourceEvent } from '../../../shared/events/resource-event.ts';
import { defineHandler, type HandlerDefinition, type MapContext } from '../../../shared/runtime/handler.ts';
import { eventObject, listedBy } from '../../../shared/runtime/mappers.ts';
import { type Ec2Api, Ec2Cloud } from './cloud.ts';
import { reconcileAwsCluster } from './cluster.ts';
import { reconcileAwsMachine } from './machine.ts';
import { type AwsProviderTimings, DEFAULT_TIMINGS } from './options.ts';

export const AWS_MACHINE = { apiVersion: `${INFRA_GROUP}/v1beta2`, kind: 'AWSMachine' };
export const AWS_CLUSTER = { apiVersion: `${INFRA_GROUP}/v1beta2`, kind: 'AWSCluster' };

interface RefHolder {
  spec?: { infrastructureRef?: { kind?: string; name?: string; namespace?: string } };
}

/** A Machine event wakes the AWSMachine it points at (bootstrap data arriving, adoption, deletion). */
async function machineToAwsMachine(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const m = await eventObject(event, ctx);
  const ref = (m as RefHolder | undefined)?.spec?.infrastructureRef;
  if (!m || ref?.kind !== 'AWSMachine' || !ref.name) return [];
  return [{ ...AWS_MACHINE, namespace: m.metadata.namespace!, name: ref.name }];
}

/** A Cluster event (pause, endpoint) wakes its AWSCluster. */
async function clusterToAwsCluster(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const c = await eventObject(event, ctx);
  const ref = (c as RefHolder | undefined)?.spec?.infrastructureRef;
  if (!c || ref?.kind !== 'AWSCluster' || !ref.name) return [];
  return [{ ...AWS_CLUSTER, namespace: ref.namespace ?? c.metadata.namespace!, name: ref.name }];
}

export interface AwsProviderOptions {
  /** The EC2 port (default: the SDK with the standard credential/region/endpoint chain). */
  cloud?: () => Ec2Api;
  timings?: Partial<AwsProviderTimings>;
}

export function awsMachineHandler(o: AwsProviderOptions = {}) {
  const t = { ...DEFAULT_TIMINGS, ...(o.timings ?? {}) };
  return defineHandler<Ec2Api>({
    name: 'aws-machine',
    reconciles: AWS_MACHINE,
    cloud: o.cloud ?? (() => new Ec2Cloud()),
    watches: [
      { group: INFRA_GROUP, kind: 'AWSMachine', statusChanges: false },
      { group: CAPI_GROUP, kind: 'Machine', statusChanges: false, map: machineToAwsMachine },
      // Launches wait for the Cluster's infrastructure to be ready (a status change) and stop when it pauses.
      {
        group: CAPI_GROUP,
        kind: 'Cluster',
        map: listedBy(AWS_MACHINE, (c) => ({ labelSelector: `${Labels.clusterName}=${c.metadata.name}` })),
      },
    ],
    reconcile: (ref, ctx) => reconcileAwsMachine(ref, ctx, t),
  });
}

export function awsClusterHandler(o: AwsProviderOptions = {}) {
  const t = { ...DEFAULT_TIMINGS, ...(o.timings ?? {}) };
  return defineHandler<Ec2Api>({
    name: 'aws-cluster',
    reconciles: AWS_CLUSTER,
    cloud: o.cloud ?? (() => new Ec2Cloud()),
    watches: [
      { group: INFRA_GROUP, kind: 'AWSCluster', statusChanges: false },
      { group: CAPI_GROUP, kind: 'Cluster', statusChanges: false, map: clusterToAwsCluster },
    ],
    reconcile: (ref, ctx) => reconcileAwsCluster(ref, ctx, t),
  });
}

/** Both AWS handlers. With no `cloud`, each builds one SDK-backed port per process. */
export function awsProviderHandlers(o: AwsProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  let shared: Ec2Api | undefined;
  const cloud = o.cloud ?? (() => (shared ??= new Ec2Cloud()));
  return [awsClusterHandler({ ...o, cloud }), awsMachineHandler({ ...o, cloud })] as Array<HandlerDefinition<unknown>>;
}
