// The cloud port every provider implements: what the infrastructure-machine lifecycle needs from a
// cloud, in the domain's words rather than an SDK's. A provider adapts its own client (an SDK, a
// REST client, the Kubernetes API for bare metal) to this shape; the lifecycle in this folder is
// written once against it.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';

/**
 * One provider-neutral state. `gone` is an instance the cloud has finished deleting (EC2
 * `terminated`): it no longer stands for anything. `failed` is a state the cloud will not leave by
 * itself (an error, an unknown state).
 */
export type InstanceState = 'pending' | 'running' | 'stopped' | 'terminating' | 'gone' | 'failed';

/** What identifies the instance of one Machine, derived from the Machine's UID (DESIGN.md rule 4). */
export interface MachineIdentity {
  /** The Machine UID: carried by the instance as a tag, label, metadata key or name part. */
  machineUid: string;
  /** The Cluster's name: the ownership marker ("owned by this cluster") goes on the instance too. */
  clusterName: string;
  namespace: string;
  /** The infrastructure machine's name (GCP, Azure, OpenStack and vSphere name the instance after it). */
  name: string;
}

/** The ownership marker an instance carries, as the cloud reports it. */
export interface InstanceOwner {
  /** The cluster whose ownership marker it carries (e.g. `sigs.k8s.io/cluster-api-provider-aws/cluster/<name>=owned`). */
  cluster?: string | undefined;
  /** The Machine UID of capi-fn's identity marker. */
  machineUid?: string | undefined;
}

export interface CloudInstance {
  /** The cloud's ID (EC2 instance ID, server UUID, VM name …). */
  id: string;
  providerID: string;
  state: InstanceState;
  /** The cloud's own word for the state (`running`, `RUNNING`, `ACTIVE`): shown as `status.instanceState`. */
  nativeState: string;
  /** The cloud is moving it between states (EC2 `stopping`, GCP `STAGING`): look again soon. */
  transitioning?: boolean | undefined;
  /** When to look again while pending (a boot with a known end); the lifecycle's poll interval otherwise. */
  pollAfterMs?: number | undefined;
  addresses: MachineAddress[];
  failureDomain?: string | undefined;
  owner: InstanceOwner;
  /** RFC 3339; orphans younger than the drift check's grace period are left alone. */
  createdAt?: string | undefined;
  /** The host name a kubelet on it registers its Node as (node simulators use it). */
  hostname?: string | undefined;
  /** Instance type / size, when the cloud has one (Node label `node.kubernetes.io/instance-type`). */
  instanceType?: string | undefined;
  /** For `failed` and `gone`: the failure reason and message as upstream providers word them. */
  failureReason?: string | undefined;
  failureMessage?: string | undefined;
  /** The provider's own view of the instance, for its `observe` hook (never read by the lifecycle). */
  raw?: unknown;
}

/** An idempotency key: `<Machine UID>-<attempt>`, bumped only after the cloud definitively refused a create. */
export type IdempotencyKey = string;

/**
 * The port. Every method may throw; the provider's error classifier says what an error means.
 * `Req` is the provider's create request, built by its `prepare` from the spec.
 */
export interface CloudPort<Req> {
  /** Instances carrying this Machine's identity, in any state but `gone` (several only after a lost race). */
  find(identity: MachineIdentity): Promise<CloudInstance[]>;
  /** The instance with this cloud ID (recorded in the spec), `gone` ones included; undefined if unknown. */
  get(id: string): Promise<CloudInstance | undefined>;
  /** Creates the instance. The same key must never make a second instance where the cloud can prevent it. */
  create(request: Req, key: IdempotencyKey, identity: MachineIdentity): Promise<CloudInstance>;
  /** Starts deleting it; deleting what is already going or gone is not an error. */
  delete(instance: CloudInstance): Promise<void>;
  /** Everything carrying capi-fn's identity marker (for one cluster when named), `gone` ones excluded. */
  listOwned(scope: { clusterName?: string | undefined }): Promise<CloudInstance[]>;
}

/**
 * capi-fn's ownership rule, the same on every cloud (the audit's confused-deputy finding): an instance is this
 * Machine's only when it carries this Machine's identity marker or this cluster's ownership marker. Anything
 * else is never adopted, stopped or deleted, unless the user names it in the explicit adopt annotation.
 */
export function ownedBy(
  owner: InstanceOwner,
  who: { machineUid?: string | undefined; clusterName?: string | undefined },
): boolean {
  if (owner.machineUid !== undefined && who.machineUid !== undefined && owner.machineUid === who.machineUid) {
    return true;
  }
  return owner.cluster !== undefined && who.clusterName !== undefined && owner.cluster === who.clusterName;
}

/**
 * The annotation by which a user adopts an instance that does not carry capi-fn's markers (an instance made by
 * hand, or by another tool): its value must be the exact cloud ID recorded in the spec. Documented in the README;
 * on a deployed cloud the provider's role may still refuse to delete an instance without the cluster tag.
 */
export const ADOPT_ANNOTATION = 'infrastructure.capi-fn.io/adopt-instance';

/**
 * A port made on first use: for callers that are synchronous but whose client needs an async step first (the
 * drift check's orphan scan reading a cluster's credentials Secret before it can reach vCenter).
 */
export function deferredPort<Req>(make: () => Promise<CloudPort<Req>>): CloudPort<Req> {
  let port: Promise<CloudPort<Req>> | undefined;
  const get = () => {
    port ??= make().catch((e) => {
      port = undefined;
      throw e;
    });
    return port;
  };
  return {
    find: async (identity) => (await get()).find(identity),
    get: async (id) => (await get()).get(id),
    create: async (request, key, identity) => (await get()).create(request, key, identity),
    delete: async (instance) => (await get()).delete(instance),
    listOwned: async (scope) => (await get()).listOwned(scope),
  };
}
