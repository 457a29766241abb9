// What a handler needs inside a cloud function, built once per warm instance from the environment:
// the Kubernetes client (credentials as credentials.ts says) and a logger.
import { KubeClient } from '../kube/client.ts';
import { createKubeClient } from '../kube/index.ts';
import { loadConnection } from '../kube/kubeconfig.ts';
import { LazyTransport } from '../kube/lazy-transport.ts';
import { HttpsTransport } from '../kube/transport.ts';
import { createLogger, type Logger } from '../runtime/logger.ts';
import { kubeconfigSource, kubeconfigText, secretReader, writePrivateKubeconfig } from './credentials.ts';

export interface FunctionEnv {
  kube: KubeClient;
  log: Logger;
}

let cached: FunctionEnv | undefined;

/** The function's Kubernetes client and logger, built on first use (credentials.ts: where they come from). */
export function functionEnv(env: NodeJS.ProcessEnv = process.env): FunctionEnv {
  if (cached) return cached;
  const context = env.CAPI_FN_CONTEXT ? { context: env.CAPI_FN_CONTEXT } : {};
  const source = kubeconfigSource(env);
  let kube: KubeClient;
  if (source.kind === 'secrets-manager') {
    // Fetched from the host's secret store on the first request, then kept for the warm instance.
    kube = new KubeClient(
      new LazyTransport(async () => {
        const kubeconfig = writePrivateKubeconfig(kubeconfigText(await secretReader()(source.secretId)));
        return new HttpsTransport(loadConnection({ kubeconfig, ...context }));
      }),
    );
  } else {
    const kubeconfig =
      source.kind === 'file'
        ? source.path
        : source.kind === 'inline'
          ? writePrivateKubeconfig(kubeconfigText(source.data))
          : undefined;
    kube = createKubeClient({ ...(kubeconfig ? { kubeconfig } : {}), ...context });
  }
  cached = { kube, log: createLogger({ name: 'capi-fn' }) };
  return cached;
}

/** Tests swap the environment without touching process.env. */
export function setFunctionEnv(e: FunctionEnv | undefined): void {
  cached = e;
}
