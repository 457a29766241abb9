// A provider's descriptor: everything the rest of capi-fn needs to know about it, so the registry, the
// embedded default, the deployment generators, `doctor`, the operator and the webhooks iterate one list
// (functions/providers/index.ts) instead of branching per platform. It comes in two halves: the
// descriptor (`<p>/index.ts`: platform facts, light, read by the webhooks and the operator, whose bundles
// must not carry a cloud SDK) and the runtime (`<p>/runtime.ts`: handlers, clients, orphan scan, the
// embedded default), which functions/providers/runtimes.ts collects — generated from the list.
import type { APIEndpoint } from '../../../shared/api/capi/cluster.ts';
import type { ProviderName } from '../../../shared/api/kind.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { PlatformType } from '../../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../../shared/api/openshift/infrastructure.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { HandlerDefinition, KubeAccess } from '../../../shared/runtime/handler.ts';
import type { Logger } from '../../../shared/runtime/logger.ts';
import type { InfraClusterObject, KitTimings } from './definition.ts';
import type { OrphanScanner } from './orphans.ts';

/** What a provider's admission rule sees: the write, and what the webhook knows of the cluster. */
export interface ProviderRuleInput {
  operation: 'CREATE' | 'UPDATE';
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown> | undefined;
  /** The cluster ID on OpenShift (Infrastructure status.infrastructureName), when known. */
  infrastructureName?: string | undefined;
  /** The webhook function's environment (deployment-time allow-lists). */
  env: NodeJS.ProcessEnv;
}

/** A refused field, as the webhook shows it: which field, what the rule is, what to do instead. */
export interface ProviderViolation {
  field: string;
  type: 'Required' | 'Invalid' | 'Unsupported' | 'Forbidden' | 'Immutable';
  rule: string;
  fix: string;
}

/** One check `capi-fn doctor` prints, with the fix when it fails. */
export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** A Secret the operator reads to build the infrastructure cluster (its arrival wakes the operator). */
export interface SecretRef {
  namespace: string;
  name: string;
}

/** What the operator knows when it builds the infrastructure cluster (openshift-capi.md §1.6). */
export interface InfraClusterInputs {
  infrastructureName: string;
  infrastructure: Pick<Infrastructure, 'spec' | 'status'>;
  /** Host and port of `status.apiServerInternalURI`. */
  endpoint: APIEndpoint | undefined;
  /** The MAPI providerSpec (`spec.providerSpec.value`) of a control-plane Machine, else the first MachineSet's. */
  mapiProviderSpec: Record<string, unknown> | undefined;
  /** Decoded data of the Secrets the provider asked for, by `namespace/name`. */
  secrets: Record<string, Record<string, string> | undefined>;
}

export interface InfraClusterSpecPlan {
  spec: Record<string, unknown>;
  /** Objects the infrastructure cluster refers to, created first and only when absent. */
  prerequisites: KubeObject[];
  /** What is missing, in words ("Infrastructure status.platformStatus.aws.region"). */
  missing: string[];
}

/** Simulated installer output for the embedded default: what OpenShift's installer leaves for this platform. */
export interface SimulatedInstall {
  platformSpec: Record<string, unknown>;
  platformStatus: Record<string, unknown>;
  objects: KubeObject[];
}

export interface SimulatedInstallInputs {
  infrastructureName: string;
  env: NodeJS.ProcessEnv;
  /** The worker Ignition stub the installer writes (platforms that keep a copy of their own need it). */
  workerIgnition: string;
}

/** IAM for a provider's deployed functions: what its cloud calls need (serverless.yml). */
export interface AwsPermissions {
  /** Actions allowed on every resource (describes). */
  actions: string[];
  /** Further statements (conditions on tags, PassRole …); the generator adds queue and log rights. */
  statements: Array<Record<string, unknown>>;
}

export interface EmbeddedProviderOptions {
  kube: KubeClient;
  dataDir: string;
  log: Logger;
  /** Register a Ready Node for every running instance, as a kubelet would after ignition. */
  simulateNodes: boolean;
  bootDelayMs?: number | undefined;
  /** Bare metal: how many simulated hosts to register (`capi-fn up --hosts N`). */
  hosts?: number | undefined;
  env: NodeJS.ProcessEnv;
}

/** The embedded provider cannot start: what is missing, in words (credentials, an endpoint); no stack trace. */
export class ProviderSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderSetupError';
  }
}

export interface EmbeddedProvider {
  handlers: Array<HandlerDefinition<unknown>>;
  stop(): Promise<void> | void;
  /** The provider's cloud client, for tests and the embedded default's callers. */
  client?: unknown;
}

export interface ProviderModule {
  name: ProviderName;
  /** The `--platform` word of `capi-fn up` (`baremetal` for metal3). */
  cliPlatform: string;
  /** OpenShift's Infrastructure `status.platformStatus.type`. */
  platformType: PlatformType;
  /** The infrastructure kinds (`Cluster.spec.infrastructureRef`, the machine, the template). */
  kinds: { cluster: string; machine: string; machineTemplate: string };
  /**
   * Whether `<p>/runtime.ts` exists: the provider reconciles its own infrastructure cluster and machines (else
   * the operator marks the infrastructure cluster ready, as OpenShift 4.17+ does, and Machines stay Provisioning).
   */
  hasRuntime: boolean;
  /** The credentials check `capi-fn doctor` runs. */
  credentialCheck?(env: NodeJS.ProcessEnv): DoctorCheck;
  /** Whether the cloud endpoint the environment points at answers (`capi-fn doctor`); undefined: nothing to check. */
  endpointCheck?(env: NodeJS.ProcessEnv): Promise<DoctorCheck | undefined>;
  /** `capi-fn doctor`: whether what the cluster's machine templates name (image, flavor, network) exists in the cloud. */
  templateChecks?(env: NodeJS.ProcessEnv, kube: KubeClient): Promise<DoctorCheck[]>;
  /** The infrastructure cluster the operator creates for this platform, and what it needs to read first. */
  infraCluster: {
    secrets?: SecretRef[];
    needsProviderSpec?: boolean;
    plan(inputs: InfraClusterInputs): InfraClusterSpecPlan;
  };
  /** Admission defaults for this provider's kinds, by `group/Kind`. */
  webhookDefaults?: Record<string, (spec: Record<string, unknown>) => void>;
  /** Admission rules for this provider's kinds, by `group/Kind` (what a spec may not ask for, and why). */
  webhookRules?: Record<string, (i: ProviderRuleInput) => ProviderViolation[]>;
  /** What the embedded default seeds for this platform (a simulated installer). */
  simulatedInstall(o: SimulatedInstallInputs): SimulatedInstall;
  /** What `capi-fn up` prints as the next step once the Cluster exists (kubectl is `k`). */
  quickStart?(o: { k: string; infrastructureName: string; namespace: string }): string[];
}

/** The half of a provider that runs: its handlers and what the deployment and the embedded default start. */
export interface ProviderRuntime {
  /**
   * The provider's handlers (infrastructure cluster and machine). `client` overrides the cloud client (tests,
   * the embedded default); the default comes from the platform's standard credential chain.
   */
  handlers(o?: { client?: () => unknown; timings?: Partial<KitTimings> }): Array<HandlerDefinition<unknown>>;
  /**
   * Deployed as cloud functions (`<p>-cluster`, `<p>-machine`), with what their cloud calls need, and what the
   * drift check's orphan scan needs (list, and delete only what carries capi-fn's marker).
   */
  deploy?: {
    /** What each deployed handler's role may do in AWS, by handler name suffix (`cluster`, `machine`). */
    aws?: Record<string, AwsPermissions>;
    awsOrphanScan?: AwsPermissions;
    /** Predefined Google Cloud roles each deployed handler's service account holds on the project, by suffix. */
    gcp?: Record<string, string[]>;
    gcpOrphanScan?: string[];
    /** What the drift check's orphan scan does in the cluster for this provider, when its "cloud" is there. */
    kubeOrphanScan?: KubeAccess[];
  };
  /**
   * The orphan scanner of one Cluster (named `cluster`, whose infrastructure cluster is given), over `client`
   * or the provider's default client.
   */
  orphans?(o: {
    cluster: string;
    infraCluster: InfraClusterObject | undefined;
    client?: unknown;
    kube: KubeClient;
  }): OrphanScanner;
  /** Starts the provider inside `capi-fn up` (its cloud client, node simulator …). */
  embedded?(o: EmbeddedProviderOptions): Promise<EmbeddedProvider>;
}
