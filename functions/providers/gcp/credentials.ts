// Which credentials a GCP reconcile uses: the Secret the GCPCluster names (`spec.credentialsRef`), else the
// one OpenShift's Cloud Credential Operator writes for Cluster API (`openshift-cluster-api/gcp-cloud-credentials`,
// key `service_account.json`), else the process's Application Default Credentials. Clients are cached per
// Secret version, so a warm function does not rebuild them; the key never leaves the client.

import type { KubeObject } from '../../../shared/api/meta.ts';
import { Namespaces } from '../../../shared/api/openshift/constants.ts';
import type { GCPCluster } from '../../../shared/api/providers/gcp.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { type GceApi, GceRest } from './client.ts';

export const OPENSHIFT_GCP_CREDENTIALS = { namespace: Namespaces.clusterAPI, name: 'gcp-cloud-credentials' };
const KEYS = ['service_account.json', 'credentials', 'credentials.json'];

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/** A GCE client that can bind itself to a service-account key from a Secret. */
export interface GcpClients extends GceApi {
  withCredentials(key: Record<string, unknown>, version: string): GceApi;
}

export class GcpRestClients extends GceRest implements GcpClients {
  private readonly bound = new Map<string, GceApi>();
  withCredentials(key: Record<string, unknown>, version: string): GceApi {
    let c = this.bound.get(version);
    if (!c) {
      c = new GceRest({ endpoint: this.endpoint, credentials: key });
      this.bound.clear();
      this.bound.set(version, c);
    }
    return c;
  }
}

export async function connectGcp(
  clients: GceApi,
  kube: KubeClient,
  cluster: GCPCluster | undefined,
  namespace: string,
): Promise<GceApi> {
  if (!('withCredentials' in clients)) return clients;
  const ref = cluster?.spec?.credentialsRef;
  const key = ref ? { namespace: ref.namespace || namespace, name: ref.name } : OPENSHIFT_GCP_CREDENTIALS;
  const secret = await kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', ...key });
  const field = KEYS.find((k) => secret?.data?.[k]);
  if (!secret || !field) {
    if (ref)
      throw new Error(
        `GCPCluster spec.credentialsRef ${key.namespace}/${key.name} has no service-account key (${KEYS.join(', ')})`,
      );
    return clients;
  }
  const json = JSON.parse(Buffer.from(secret.data![field]!, 'base64').toString('utf8')) as Record<string, unknown>;
  return (clients as GcpClients).withCredentials(
    json,
    `${key.namespace}/${key.name}@${secret.metadata.resourceVersion}`,
  );
}
