// The Cluster CAPI Operator: what the local host and `capi-fn up` need.
export {
  DEFAULT_RELEASE_VERSION,
  OPERATOR_HANDLER_NAME,
  operatorHandler,
  operatorResyncEvent,
  webhookFromEnv,
} from './handler.ts';
export type { KubeconfigSource } from './kubeconfig.ts';
export { CLUSTER_OPERATOR_REF, type OperatorOptions } from './reconcile.ts';
export { type SeedOptions, seedOpenShiftObjects } from './seed.ts';
export type { WebhookEndpoint } from './webhook-config.ts';
