// What a provider plugs into the kit's lifecycles. Everything that does not depend on the cloud —
// finalizer, pause, waiting for the Cluster and the bootstrap data, intent and lease, lookup before
// create, ownership, conditions, outside changes, deletion until gone — is written once in this folder;
// a provider supplies only its port, its error classifier, the spec → request translation and the
// instance → status details, and its infrastructure-cluster readiness rule.
import type { Cluster } from '../../../shared/api/capi/cluster.ts';
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { Condition, ConditionSeverity } from '../../../shared/api/conditions.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { KubeAccess, Watch } from '../../../shared/runtime/handler.ts';
import type { Logger } from '../../../shared/runtime/logger.ts';
import type { ClassifiedError } from './errors.ts';
import type { LaunchIntent } from './intent.ts';
import type { CloudInstance, CloudPort, MachineIdentity } from './port.ts';

export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** The status fields of the Cluster API v1beta1 infrastructure-machine contract, plus a provider's own. */
export interface InfraMachineStatus {
  ready?: boolean | undefined;
  instanceState?: string | undefined;
  addresses?: MachineAddress[] | undefined;
  failureReason?: string | undefined;
  failureMessage?: string | undefined;
  conditions?: Condition[] | undefined;
  [field: string]: unknown;
}

export interface InfraMachine extends KubeObject {
  spec: { providerID?: string | undefined; failureDomain?: string | undefined; [field: string]: unknown };
  status?: InfraMachineStatus | undefined;
}

export interface InfraClusterObject extends KubeObject {
  spec?: { controlPlaneEndpoint?: { host?: string; port?: number } | undefined; [field: string]: unknown } | undefined;
  status?:
    | {
        ready?: boolean | undefined;
        failureDomains?: Record<string, { controlPlane?: boolean; attributes?: Record<string, string> }> | undefined;
        conditions?: Condition[] | undefined;
        [field: string]: unknown;
      }
    | undefined;
}

export type ConditionValue =
  | { status: 'True' }
  | { status: 'False'; reason: string; severity: ConditionSeverity; message: string };

/** The timing of the lifecycles. Defaults suit real clouds; tests shorten them (behaviour, not speed, is asserted). */
export interface KitTimings {
  /**
   * How long a claimed create blocks others (intent.ts). Must exceed a create call including the client's
   * retries, and fit in the runtime's retry budget (waiters wait by retrying). 0: the cloud deduplicates
   * creates by key perfectly, so none is needed.
   */
  launchLeaseMs: number;
  /** After a create, how long a lookup may not see the instance yet (eventual consistency). */
  notFoundGraceMs: number;
  /** Re-check interval while input is bad or a dependency is missing (nothing in Kubernetes announces a fix in the cloud). */
  badInputRetryMs: number;
  /** Re-check interval while an instance is pending, stopping or shutting down. */
  transitionPollMs: number;
  /** Re-check interval while deletion waits for the instance to be gone. */
  terminatePollMs: number;
  /** Re-check interval for an infrastructure cluster that is not ready. */
  clusterRetryMs: number;
}

export const DEFAULT_TIMINGS: KitTimings = {
  launchLeaseMs: 60_000,
  notFoundGraceMs: 120_000,
  badInputRetryMs: 30_000,
  transitionPollMs: 5_000,
  terminatePollMs: 10_000,
  clusterRetryMs: 30_000,
};

/** What the infrastructure machine's reconcile knows besides the object itself. */
export interface MachineScope<IM extends InfraMachine = InfraMachine, IC extends KubeObject = KubeObject> {
  im: IM;
  machine?: Machine | undefined;
  cluster?: Cluster | undefined;
  infraCluster?: IC | undefined;
  intent?: LaunchIntent | undefined;
  /** The Machine UID (from the controller owner reference, so it outlives the Machine). */
  machineUid?: string | undefined;
  clusterName?: string | undefined;
  /** Where the instance lives (region, project/zone …), from `locate`. */
  location: string | undefined;
}

/** The Machine's bootstrap data (Secret `value` and `format`). */
export interface BootstrapData {
  secretName: string;
  value: Buffer;
  /** `ignition` (OpenShift) or `cloud-config`; empty when the Secret does not say. */
  format: string;
}

export interface LaunchScope<Client, IM extends InfraMachine = InfraMachine, IC extends KubeObject = KubeObject>
  extends MachineScope<IM, IC> {
  client: Client;
  machine: Machine;
  cluster: Cluster;
  machineUid: string;
  identity: MachineIdentity;
  role: 'node' | 'control-plane';
  bootstrap: BootstrapData;
  /** The idempotency key the create will carry. */
  key: string;
  kube: KubeClient;
  log: Logger;
  now: Date;
}

export type Prepared<Req> =
  | {
      ok: true;
      request: Req;
      /** Conditions of the provider's own that the prepared request satisfies (AWS SecurityGroupsReady). */
      conditions?: Record<string, ConditionValue>;
      /**
       * Status fields the request rests on (OpenStack's `status.resolved`), written before the intent and the
       * create, so a later pass reuses them instead of resolving again.
       */
      status?: Partial<InfraMachineStatus>;
    }
  | {
      ok: false;
      /** InstanceReady's reason (`ImageNotFound`, `InvalidSpec`). */
      reason: string;
      /** What is wrong, naming the field and the fix. */
      message: string;
      severity?: ConditionSeverity;
      /** Look again after this long (default: the bad-input retry). */
      retryAfterMs?: number;
      /** A failure nothing will fix (upstream's CreateError): failureReason/Message are set and nothing retries. */
      terminal?: boolean;
      /** Other conditions to set (the provider's own condition that the problem belongs to). */
      conditions?: Record<string, ConditionValue>;
    };

export interface InfraMachineDefinition<
  Client,
  Req,
  IM extends InfraMachine = InfraMachine,
  IC extends KubeObject = KubeObject,
> {
  /** Handler names are `<name>-machine` and `<name>-cluster`. */
  name: string;
  machine: TypeRef;
  /** The infrastructure cluster kind `Cluster.spec.infrastructureRef` names for this provider. */
  clusterKind: string;
  finalizer: string;
  fieldManager: string;
  /** What the cloud is called in messages (`EC2`, `Compute Engine`) and what it calls an instance (`EC2 instance`). */
  cloudName: string;
  instanceNoun: string;
  /** False when the kind's status has no `instanceState` (Metal3Machine): a field the schema prunes would be rewritten forever. */
  reportsInstanceState?: boolean;
  /** The cloud's word for an instance it was just asked to delete (`shutting-down`); default `terminating`. */
  deletingState?: string;
  /** The spec field a recorded cloud ID lives in (`spec.instanceID`), for messages. */
  recordedIdField?: string;
  /** Conditions of the provider's own summarised into Ready besides InstanceReady. */
  extraConditions?: string[];
  /**
   * More events that wake the machine handler, when the provider's "cloud" is in the cluster (Metal3's
   * BareMetalHosts: a host becoming available wakes the machines waiting for one).
   */
  watches?: Watch[];
  /** What the provider's own steps read and write in the cluster besides the kit's (Metal3's hosts and Nodes). */
  reads?: KubeAccess[];
  writes?: KubeAccess[];
  timings?: Partial<KitTimings>;
  /**
   * The domain port over the provider's client, bound to one location. `im` is the infrastructure machine being
   * reconciled (absent for the orphan scan): a provider that follows a cloud task across invocations (vSphere's
   * clone) finds the one it recorded in the status there.
   */
  port(client: Client, location: string | undefined, im?: IM): CloudPort<Req>;
  classify(e: unknown): ClassifiedError;
  /** Where the machine's instance lives: from the infrastructure cluster, the intent, or the providerID. */
  locate(s: {
    im: IM;
    machine?: Machine | undefined;
    infraCluster?: IC | undefined;
    intent?: LaunchIntent | undefined;
  }): string | undefined;
  /**
   * The client to use for this machine, when credentials come from the cluster (a Secret the infrastructure
   * cluster or the platform names) rather than from the process: reads them and returns a client bound to them.
   */
  connect?(client: Client, s: { kube: KubeClient; im: IM; infraCluster?: IC | undefined }): Promise<Client>;
  /** The cloud ID recorded in the spec; a recorded instance is looked up by it, never created again. */
  recordedId?(im: IM): string | undefined;
  /** Writes what identifies the instance into the spec (providerID, the cloud ID, the failure domain). */
  recordIdentity(spec: IM['spec'], instance: CloudInstance): void;
  /** The create request, with every reference resolved; a problem names the spec field and the fix. */
  prepare(s: LaunchScope<Client, IM, IC>): Promise<Prepared<Req>>;
  /**
   * Deletion, once no instance is live and before the finalizer goes: deletes what the instance leaves behind
   * (Azure's NIC and the disks not set to go with the VM; OpenStack's ports, trunks and volumes) and says what is
   * still there. Idempotent: it runs on every deletion poll until nothing is left. `machineUid` is the scope's, or
   * the one the create intent's key carries.
   */
  cleanUp?(s: MachineScope<IM, IC> & { client: Client; log: Logger }): Promise<{ remaining: string[] }>;
  /** Provider-specific status from the instance (extra fields, richer addresses); may call the client. */
  observe?(
    instance: CloudInstance,
    s: MachineScope<IM, IC> & { client: Client; log: Logger; now: Date; kube: KubeClient },
    status: InfraMachineStatus,
  ): Promise<void>;
}

export type CheckResult = { ok: true } | { ok: false; reason: string; message: string };

export interface ClusterAssessment {
  /** One condition per check, in the order given by `checks`; a check left out is not set this time. */
  checks: Partial<Record<string, CheckResult>>;
  /** Failure domains to publish (zone → controlPlane), when the provider knows them. */
  failureDomains?: Record<string, { controlPlane: boolean }>;
  /** Status fields of the provider's own (OpenStackCluster's `status.network`), merged in. */
  status?: Record<string, unknown>;
}

export interface InfraClusterDefinition<Client, IC extends InfraClusterObject = InfraClusterObject> {
  name: string;
  cluster: TypeRef;
  fieldManager: string;
  /** The `cluster.x-k8s.io/managed-by` value meaning "this provider"; absent means the same. */
  manager: string;
  /** The checks whose conditions are summarised into Ready (none: ready once assessed). */
  checks: string[];
  timings?: Partial<KitTimings>;
  /**
   * The readiness rule: read-only checks against the cloud; nothing is created. `kube` reads what the provider's
   * failure domains are made of in the cluster (vSphere's VSphereDeploymentZones), declared in `reads`.
   */
  assess(ic: IC, client: Client, log: Logger, o: { kube: KubeClient }): Promise<ClusterAssessment>;
  /**
   * What `connect` and `assess` read in the cluster besides the infrastructure cluster and its credentials (Azure's
   * AzureClusterIdentity, vSphere's VSphereDeploymentZones).
   */
  reads?: KubeAccess[];
  /** As the machine definition's `connect`: the client bound to credentials the cluster holds. */
  connect?(client: Client, s: { kube: KubeClient; ic: IC }): Promise<Client>;
}
