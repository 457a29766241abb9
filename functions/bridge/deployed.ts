// What a deployed bridge watches and where it keeps its resume point, shared by both of its shapes:
// the bounded scheduled function (aws.ts) and the long-lived process (`capi-fn bridge`, the
// Deployment in infra/bridge/). The ClusterRole in infra/bridge/ is generated from the same kinds.
import type { WatchedKind } from './bridge.ts';
import type { CheckpointRef } from './checkpoint.ts';
import { DEFAULT_CHECKPOINT_NAME, DEFAULT_NAMESPACE, DEFAULT_SOURCE } from './defaults.ts';
import { DEPLOYED_WATCHED_KINDS } from './watched-kinds.generated.ts';

export { DEFAULT_CHECKPOINT_NAME, DEFAULT_NAMESPACE, DEFAULT_SOURCE };

/** Every kind some deployed handler declares in its `watches` (generated: watch-list.ts). */
export function deployedWatchedKinds(): WatchedKind[] {
  return DEPLOYED_WATCHED_KINDS.map((k) => ({ ...k, ...(k.namespaces ? { namespaces: [...k.namespaces] } : {}) }));
}

/** The checkpoint ConfigMap: in `$CAPI_FN_NAMESPACE` (the Deployment sets it to its own namespace). */
export function defaultCheckpoint(env: NodeJS.ProcessEnv = process.env): CheckpointRef {
  return { namespace: env.CAPI_FN_NAMESPACE || DEFAULT_NAMESPACE, name: DEFAULT_CHECKPOINT_NAME };
}

/** The CloudEvents `source` naming this cluster. */
export function defaultSource(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPI_FN_SOURCE || DEFAULT_SOURCE;
}
