// Every handler capi-fn ships, in one list: the local host, the serverless.yml generator, the bus
// rules and `capi-fn invoke` read it. Provider handlers come from the provider list.
import { CAPI_GROUP, INFRA_GROUP } from '../shared/api/capi/constants.ts';
import {
  CLUSTER_OPERATOR_NAME,
  CLUSTER_SINGLETON_NAME,
  CONFIG_GROUP,
  Namespaces,
  OperatorNames,
} from '../shared/api/openshift/constants.ts';
import { infraClusterKinds } from '../shared/api/provider-kinds.ts';
import { EVENT_ACCESS } from '../shared/kube/events.ts';
import type { HandlerDefinition, KubeAccess } from '../shared/runtime/handler.ts';
import { type WatchedKind, watchedKinds } from '../shared/runtime/watched-kinds.ts';
import { DEFAULT_CHECKPOINT_NAME, DEFAULT_NAMESPACE } from './bridge/defaults.ts';
import { clusterHandler } from './cluster/handler.ts';
import { machineHandler } from './machine/handler.ts';
import { machineHealthCheckHandler } from './machinehealthcheck/handler.ts';
import { machineSetHandler } from './machineset/handler.ts';
import { operatorHandler } from './operator/index.ts';
import { allInstallableCrdNames } from './operator/platform.ts';
import { USER_DATA_SOURCE } from './operator/user-data.ts';
import { WEBHOOK_CONFIGURATION_NAME } from './operator/webhook-config.ts';
import { providers } from './providers/index.ts';
import type { ProviderModule } from './providers/kit/module.ts';
import { localProviderHandlers } from './providers/local/handler.ts';
import { runtimes } from './providers/runtimes.ts';
import { WEBHOOK_TOKEN_SECRET } from './webhooks/token.ts';

export { localProviderHandlers };

export const coreHandlers: Array<HandlerDefinition<unknown>> = [
  clusterHandler,
  machineSetHandler,
  machineHandler,
  machineHealthCheckHandler,
] as Array<HandlerDefinition<unknown>>;

/** One handler deployed as a cloud function. */
export interface CloudFunction {
  /**
   * Folder under `functions/` whose `lambda.ts`, `azure-functions.ts` and `cloud-functions.ts` expose the
   * handler. A folder may expose several handlers (a provider's): `lambda.ts` then exports one Lambda handler
   * per function.
   */
  dir: string;
  /** The export of `<dir>/lambda.ts` that is this function's Lambda handler (default `handler`). */
  awsExport?: string;
  def: HandlerDefinition<unknown>;
  /** The provider whose cloud the handler calls with the function's own identity (its role holds those rights). */
  provider?: ProviderModule;
  /**
   * At most one invocation at a time: the handler reconciles a singleton and, like the leader-elected
   * operator it replaces, must not race itself.
   */
  singleton?: boolean;
  /**
   * Resynced by a schedule of its own (a targeted resync of the one object it reconciles) rather than by
   * the drift check, which would otherwise resync every object of every kind it watches (all Secrets, CRDs).
   */
  ownSchedule?: boolean;
  /**
   * Most of its events are many objects waking one (a MachineSet's Machines): on AWS its SQS event source holds
   * records this many seconds to hand them over as one batch of up to 100, and its Lambda (built with
   * `oncePerBatch`, lambda.ts) reconciles each object once per batch. A lone event waits that long at most. The
   * local host gathers such events in its reconcile gate instead.
   */
  gatherSeconds?: number;
  /** What the function reads and writes besides its handler's own declaration (the operator's steps). */
  reads?: KubeAccess[];
  writes?: KubeAccess[];
}

/** A deployed provider's functions: `<name>-cluster` and `<name>-machine`, exported as `cluster` and `machine`. */
function providerFunctions(p: ProviderModule): CloudFunction[] {
  const runtime = runtimes[p.name];
  if (!runtime?.deploy) return [];
  return runtime.handlers().map((def) => ({
    dir: `providers/${p.name}`,
    awsExport: def.name.slice(p.name.length + 1),
    def,
    provider: p,
  }));
}

/**
 * The handlers deployed as cloud functions. The local provider is only for the embedded default and is
 * never deployed; the webhooks, the drift check and the bridge are functions without a handler
 * declaration (HTTP and schedules) and are listed by the deployment generators themselves.
 */
export const cloudFunctions: CloudFunction[] = [
  { dir: 'cluster', def: clusterHandler as HandlerDefinition<unknown> },
  { dir: 'machineset', def: machineSetHandler as HandlerDefinition<unknown>, gatherSeconds: 1 },
  { dir: 'machine', def: machineHandler as HandlerDefinition<unknown> },
  { dir: 'machinehealthcheck', def: machineHealthCheckHandler as HandlerDefinition<unknown> },
  ...providers.flatMap(providerFunctions),
  {
    dir: 'operator',
    def: operatorHandler() as HandlerDefinition<unknown>,
    singleton: true,
    ownSchedule: true,
    reads: operatorReads(),
    writes: operatorWrites(),
  },
];

/** The handlers whose watched objects the drift check resyncs. */
export function driftCheckedHandlers(): Array<HandlerDefinition<unknown>> {
  return cloudFunctions.filter((f) => !f.ownSchedule).map((f) => f.def);
}

/**
 * What the operator's steps read beyond its watches: the Secrets it copies or builds an infrastructure cluster from
 * (by name, where the name is fixed), the root CA for the kubeconfig it writes, and its own ServiceAccount.
 */
function operatorReads(): KubeAccess[] {
  const named = new Map<string, Set<string>>([[USER_DATA_SOURCE.namespace, new Set([USER_DATA_SOURCE.name])]]);
  for (const p of providers)
    for (const s of p.infraCluster.secrets ?? [])
      named.set(s.namespace, (named.get(s.namespace) ?? new Set()).add(s.name));
  return [
    ...[...named].map(([namespace, names]) => ({
      group: '',
      kinds: ['Secret'],
      namespaces: [namespace],
      names: [...names].sort(),
      verbs: ['get' as const],
    })),
    // `<infrastructureName>-kubeconfig` is named after the cluster: every Secret of its own namespace.
    { group: '', kinds: ['Secret'], namespaces: [Namespaces.clusterAPI], verbs: ['get'] },
    {
      group: '',
      kinds: ['ConfigMap'],
      namespaces: [Namespaces.clusterAPI],
      names: ['kube-root-ca.crt'],
      verbs: ['get'],
    },
    { group: '', kinds: ['Namespace'], names: [Namespaces.clusterAPI], verbs: ['get'] },
    {
      group: '',
      kinds: ['ServiceAccount'],
      namespaces: [Namespaces.clusterAPI],
      names: [OperatorNames.serviceAccount],
      verbs: ['get'],
    },
  ];
}

/** What the operator installs and keeps: its namespace, the CRDs, the webhook configurations, Cluster API objects. */
function operatorWrites(): KubeAccess[] {
  return [
    { group: '', kinds: ['Namespace'], verbs: ['create'] },
    // Server-side apply: patch, and create for the first apply.
    {
      group: 'apiextensions.k8s.io',
      kinds: ['CustomResourceDefinition'],
      names: [...allInstallableCrdNames()].sort(),
      verbs: ['patch', 'create'],
    },
    {
      group: 'admissionregistration.k8s.io',
      kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
      names: [WEBHOOK_CONFIGURATION_NAME],
      verbs: ['patch', 'create'],
    },
    // The user-data copy, `<infrastructureName>-kubeconfig` and the webhook token; an immutable one is replaced.
    { group: '', kinds: ['Secret'], namespaces: [Namespaces.clusterAPI], verbs: ['create', 'update', 'delete'] },
    // The kubeconfig's token is minted for the operator's own ServiceAccount only.
    { group: '', kinds: ['ServiceAccount'], namespaces: [Namespaces.clusterAPI], verbs: ['create'] },
    {
      group: '',
      kinds: ['ServiceAccount'],
      subresource: 'token',
      namespaces: [Namespaces.clusterAPI],
      names: [OperatorNames.serviceAccount],
      verbs: ['create'],
    },
    { group: CONFIG_GROUP, kinds: ['ClusterOperator'], verbs: ['create'] },
    {
      group: CONFIG_GROUP,
      kinds: ['ClusterOperator'],
      subresource: 'status',
      names: [CLUSTER_OPERATOR_NAME],
      verbs: ['update'],
    },
    { group: CAPI_GROUP, kinds: ['Cluster'], namespaces: [Namespaces.clusterAPI], verbs: ['create'] },
    {
      group: CAPI_GROUP,
      kinds: ['Cluster'],
      subresource: 'status',
      namespaces: [Namespaces.clusterAPI],
      verbs: ['update'],
    },
    {
      group: INFRA_GROUP,
      kinds: infraClusterKinds().map((k) => k.kind),
      namespaces: [Namespaces.clusterAPI],
      verbs: ['create'],
    },
    // Infrastructure clusters no provider reconciles are marked ready by the operator, as 4.17+ does.
    {
      group: INFRA_GROUP,
      kinds: infraClusterKinds().map((k) => k.kind),
      subresource: 'status',
      namespaces: [Namespaces.clusterAPI],
      verbs: ['update'],
    },
  ];
}

/**
 * A deployed function's Kubernetes identity (infra/rbac/<name>.yaml, `npm run gen:rbac`): what it watches (get,
 * list, watch), what else it reads, and what it writes.
 */
export interface KubeIdentity {
  name: string;
  watches: WatchedKind[];
  reads: KubeAccess[];
  writes: KubeAccess[];
}

/** The kinds the drift check resyncs. */
function driftKinds(): WatchedKind[] {
  return watchedKinds(driftCheckedHandlers());
}

/** Every deployed function's identity: the handlers', then the drift check, the bridge and the webhooks. */
export function kubeIdentities(): KubeIdentity[] {
  const deployedRuntimes = providers.map((p) => runtimes[p.name]).filter((r) => r?.deploy);
  return [
    ...cloudFunctions.map((f) => ({
      name: f.def.name,
      // A watch confined to namespaces (Secrets) gives the handler nothing: the bridge watches, and the handler
      // reads only the Secrets its `reads` name.
      watches: watchedKinds([f.def]).filter((k) => !k.namespaces),
      reads: [...(f.def.reads ?? []), ...(f.reads ?? [])],
      writes: [...(f.def.writes ?? []), ...(f.writes ?? [])],
    })),
    {
      name: 'drift',
      watches: driftKinds(),
      reads: [
        // The orphan scan: every Machine's UID, and each provider's Clusters and their infrastructure clusters.
        { group: INFRA_GROUP, kinds: infraClusterKinds().map((k) => k.kind), verbs: ['get'] },
      ],
      writes: [
        // An Event on the Cluster for each orphan.
        EVENT_ACCESS,
        ...deployedRuntimes.flatMap((r) => r!.deploy!.kubeOrphanScan ?? []),
      ],
    },
    {
      name: 'bridge',
      watches: watchedKinds(cloudFunctions.map((f) => f.def)),
      reads: [],
      writes: [
        // Its resume point (functions/bridge/checkpoint.ts): GET and PUT by name, POST the first time.
        {
          group: '',
          kinds: ['ConfigMap'],
          namespaces: [DEFAULT_NAMESPACE],
          names: [DEFAULT_CHECKPOINT_NAME],
          verbs: ['get', 'update', 'create'],
        },
      ],
    },
    {
      // WEBHOOKS_FUNCTION_NAME: serve.ts would bring the whole admission code into every bundle that loads this list.
      name: 'webhooks',
      watches: [],
      reads: [
        // The platform and cluster ID admission decisions depend on (functions/webhooks/context.ts).
        { group: CONFIG_GROUP, kinds: ['Infrastructure'], names: [CLUSTER_SINGLETON_NAME], verbs: ['get'] },
        // The tokens its URL accepts (functions/webhooks/token.ts).
        {
          group: '',
          kinds: ['Secret'],
          namespaces: [WEBHOOK_TOKEN_SECRET.namespace],
          names: [WEBHOOK_TOKEN_SECRET.name],
          verbs: ['get'],
        },
      ],
      writes: [],
    },
  ];
}
