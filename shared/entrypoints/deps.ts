// What a handler needs inside a cloud function, built once per warm instance from the environment:
// the Kubernetes client (kubeconfig path or inline, else the in-cluster service account) and a logger.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../kube/client.ts';
import { createKubeClient } from '../kube/index.ts';
import { createLogger, type Logger } from '../runtime/logger.ts';

export interface FunctionEnv {
  kube: KubeClient;
  log: Logger;
}

let cached: FunctionEnv | undefined;

/**
 * `CAPI_FN_KUBECONFIG` (a path) or `CAPI_FN_KUBECONFIG_DATA` (the YAML, or base64 of it — what a
 * secret manager hands a function), else KUBECONFIG / ~/.kube/config / in-cluster.
 */
export function functionEnv(env: NodeJS.ProcessEnv = process.env): FunctionEnv {
  if (cached) return cached;
  let kubeconfig = env.CAPI_FN_KUBECONFIG;
  const data = env.CAPI_FN_KUBECONFIG_DATA;
  if (!kubeconfig && data) {
    const text = /^\s*(apiVersion|kind|clusters|current-context)\s*:/m.test(data)
      ? data
      : Buffer.from(data, 'base64').toString('utf8');
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'capi-fn-')), 'kubeconfig');
    writeFileSync(kubeconfig, text, { mode: 0o600 });
  }
  cached = {
    kube: createKubeClient({
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(env.CAPI_FN_CONTEXT ? { context: env.CAPI_FN_CONTEXT } : {}),
    }),
    log: createLogger({ name: 'capi-fn' }),
  };
  return cached;
}

/** Tests swap the environment without touching process.env. */
export function setFunctionEnv(e: FunctionEnv | undefined): void {
  cached = e;
}
