// The Kubernetes client every handler, the bridge and the CLI use.
import { type ClientOptions, KubeClient } from './client.ts';
import { type Connection, loadConnection } from './kubeconfig.ts';
import { HttpsTransport } from './transport.ts';

export * from './client.ts';
export * from './errors.ts';
export * from './kubeconfig.ts';
export * from './selectors.ts';
export type { KubeRequest, KubeResponse, KubeStream, Transport } from './transport.ts';
export { HttpsTransport, TransportError } from './transport.ts';

export function clientFor(conn: Connection, opts?: ClientOptions): KubeClient {
  return new KubeClient(new HttpsTransport(conn), opts);
}

/** From --kubeconfig/--context, $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
export function createKubeClient(opts: { kubeconfig?: string; context?: string } & ClientOptions = {}): KubeClient {
  return clientFor(loadConnection(opts), opts);
}
