// The Cluster CAPI Operator as one handler: everything it cares about maps to ClusterOperator `cluster-api`, the
// one object it reconciles. A targeted resync event (the schedule) for that object runs it too.
import { CAPI_GROUP } from '../../shared/api/capi/constants.ts';
import {
  CLUSTER_OPERATOR_NAME,
  CLUSTER_SINGLETON_NAME,
  CONFIG_GROUP,
  MAPI_GROUP,
  Namespaces,
  OperatorNames,
  PLATFORM_PROVIDERS,
} from '../../shared/api/openshift/constants.ts';
import { infraClusterKinds } from '../../shared/api/provider-kinds.ts';
import { newResourceEvent, type ObjectRef, type ResourceEvent } from '../../shared/events/resource-event.ts';
import { defineHandler, type HandlerDefinition, type Watch } from '../../shared/runtime/handler.ts';
import { providers } from '../providers/index.ts';
import { secretKey } from '../providers/kit/plan.ts';
import { WEBHOOK_TOKEN_SECRET } from '../webhooks/token.ts';
import { allInstallableCrdNames } from './platform.ts';
import { CLUSTER_OPERATOR_REF, type OperatorOptions, reconcileOperator } from './reconcile.ts';
import { WEBHOOK_CONFIGURATION_NAME, type WebhookEndpoint } from './webhook-config.ts';

export const OPERATOR_HANDLER_NAME = 'cluster-capi-operator';
/** What `status.versions` reports when RELEASE_VERSION is not set: the release whose behaviour capi-fn follows. */
export const DEFAULT_RELEASE_VERSION = '4.20.0';

const toOperator =
  (when: (ref: ObjectRef) => boolean) =>
  (event: ResourceEvent): ObjectRef[] =>
    when(event.data.ref) ? [{ ...CLUSTER_OPERATOR_REF }] : [];

const inClusterAPINamespace = (r: ObjectRef) => r.namespace === Namespaces.clusterAPI;

/** The Secrets provider modules read to plan their infrastructure cluster (vSphere's kube-system/vsphere-creds). */
const PROVIDER_SECRETS = new Set(providers.flatMap((p) => (p.infraCluster.secrets ?? []).map(secretKey)));

/** Where the operator's Secrets live: its two namespaces and wherever a provider's installer credentials are. */
export const OPERATOR_SECRET_NAMESPACES = [
  ...new Set([
    Namespaces.clusterAPI,
    Namespaces.machineAPI,
    ...providers.flatMap((p) => (p.infraCluster.secrets ?? []).map((r) => r.namespace)),
  ]),
].sort();

const CREDENTIAL_SECRETS = new Set(
  Object.values(PLATFORM_PROVIDERS)
    .map((p) => p?.credentialsSecret)
    .filter((n): n is string => Boolean(n)),
);

/**
 * The Secrets the operator reads or writes: the user-data source and copy, `<infraName>-kubeconfig`, the webhook
 * token, and the credentials an infrastructure cluster is built from (so one arriving late un-blocks it at once).
 */
function operatorSecret(r: ObjectRef): boolean {
  if (r.name === OperatorNames.userDataSecret) {
    return r.namespace === Namespaces.machineAPI || r.namespace === Namespaces.clusterAPI;
  }
  if (PROVIDER_SECRETS.has(`${r.namespace}/${r.name}`)) return true;
  // Deleted or edited, the webhook token is made whole again at once (every admission is refused without it).
  if (r.namespace === WEBHOOK_TOKEN_SECRET.namespace && r.name === WEBHOOK_TOKEN_SECRET.name) return true;
  return r.namespace === Namespaces.clusterAPI && (r.name.endsWith('-kubeconfig') || CREDENTIAL_SECRETS.has(r.name));
}

export function operatorWatches(): Watch[] {
  const crdNames = allInstallableCrdNames();
  return [
    { group: CONFIG_GROUP, kind: 'FeatureGate', map: toOperator((r) => r.name === CLUSTER_SINGLETON_NAME) },
    { group: CONFIG_GROUP, kind: 'Infrastructure', map: toOperator((r) => r.name === CLUSTER_SINGLETON_NAME) },
    // Its own status writes must not wake it: status-only changes are ignored (deletion still recreates it).
    {
      group: CONFIG_GROUP,
      kind: 'ClusterOperator',
      statusChanges: false,
      map: toOperator((r) => r.name === CLUSTER_OPERATOR_NAME),
    },
    {
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      statusChanges: false,
      map: toOperator((r) => crdNames.has(r.name)),
    },
    ...(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const).map((kind) => ({
      group: 'admissionregistration.k8s.io',
      kind,
      map: toOperator((r) => r.name === WEBHOOK_CONFIGURATION_NAME),
    })),
    { group: CAPI_GROUP, kind: 'Cluster', statusChanges: false, map: toOperator(inClusterAPINamespace) },
    ...infraClusterKinds().map((k) => ({
      group: k.group,
      kind: k.kind,
      statusChanges: false,
      map: toOperator(inClusterAPINamespace),
    })),
    // Only the namespaces the operator reads Secrets in: no other Secret of the cluster is watched or published.
    { group: '', kind: 'Secret', namespaces: OPERATOR_SECRET_NAMESPACES, map: toOperator(operatorSecret) },
    // The MAPI providerSpec some infrastructure clusters are built from; only spec changes matter.
    ...(['MachineSet', 'Machine'] as const).map((kind) => ({
      group: MAPI_GROUP,
      kind,
      statusChanges: false,
      map: toOperator((r) => r.namespace === Namespaces.machineAPI),
    })),
  ];
}

/** Webhook endpoint from the environment: CAPI_FN_WEBHOOK_URL plus CAPI_FN_WEBHOOK_CA_BUNDLE (base64 PEM). */
export function webhookFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookEndpoint | undefined {
  const url = env.CAPI_FN_WEBHOOK_URL;
  if (!url) return undefined;
  const bundle = env.CAPI_FN_WEBHOOK_CA_BUNDLE;
  return { url, ...(bundle ? { caPem: Buffer.from(bundle, 'base64').toString('utf8') } : {}) };
}

export function operatorHandler(opts: Partial<OperatorOptions> = {}): HandlerDefinition<undefined> {
  const webhook = opts.webhook ?? webhookFromEnv();
  const options: OperatorOptions = {
    releaseVersion: opts.releaseVersion ?? process.env.RELEASE_VERSION ?? DEFAULT_RELEASE_VERSION,
    ...(webhook ? { webhook } : {}),
    ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
  };
  return defineHandler({
    name: OPERATOR_HANDLER_NAME,
    reconciles: { apiVersion: CLUSTER_OPERATOR_REF.apiVersion, kind: CLUSTER_OPERATOR_REF.kind },
    watches: operatorWatches(),
    reconcile: (_ref, ctx) => reconcileOperator(options, ctx),
  });
}

/** The targeted event the schedule sends to run the operator even when nothing changed. */
export function operatorResyncEvent(source = 'capi-fn/schedule'): ResourceEvent {
  return newResourceEvent({
    type: 'io.capifn.resource.resync',
    source,
    ref: { ...CLUSTER_OPERATOR_REF },
    targetHandler: OPERATOR_HANDLER_NAME,
  });
}
