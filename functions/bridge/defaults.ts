// A deployed bridge's defaults, apart from deployed.ts (which loads every handler) so the CLI's flags can name them.
export const DEFAULT_NAMESPACE = 'openshift-cluster-api';
export const DEFAULT_CHECKPOINT_NAME = 'capi-fn-bridge';
export const DEFAULT_SOURCE = 'capi-fn/bridge';
