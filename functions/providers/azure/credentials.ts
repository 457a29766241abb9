// Which service principal an Azure reconcile uses: the AzureClusterIdentity the AzureCluster names
// (`spec.identityRef`, type ServicePrincipal, its `clientSecret` Secret with key `clientSecret` — what OpenShift's
// operator creates), else the Secret the operator itself reads (`openshift-cluster-api/
// capz-manager-bootstrap-credentials`: azure_client_id, azure_tenant_id, azure_client_secret), else the process's
// standard variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE,
// through @azure/identity). The subscription is the AzureCluster's spec.subscriptionID (the operator copies the
// Secret's azure_subscription_id there), else AZURE_SUBSCRIPTION_ID. Secrets are read per reconcile, never logged,
// never on the bus.
import type { KubeObject } from '../../../shared/api/meta.ts';
import { Namespaces, PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import type { AzureCluster, AzureClusterIdentity } from '../../../shared/api/providers/azure.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { ArmApi, AzureClients } from './client.ts';

export const BOOTSTRAP_CREDENTIALS = {
  namespace: Namespaces.clusterAPI,
  name: PLATFORM_PROVIDERS.Azure!.credentialsSecret,
};
export const AZURE_IDENTITY_API_VERSION = 'infrastructure.cluster.x-k8s.io/v1beta1';

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

const decode = (v: string | undefined) => (v ? Buffer.from(v, 'base64').toString('utf8').trim() : undefined);

async function secret(kube: KubeClient, ref: { namespace: string; name: string }): Promise<SecretLike | undefined> {
  return kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', ...ref });
}

export async function connectAzure(
  clients: ArmApi,
  kube: KubeClient,
  cluster: AzureCluster | undefined,
  namespace: string,
): Promise<ArmApi> {
  if (!('withPrincipal' in clients)) return clients;
  const bind = (p: { tenantId: string; clientId: string; clientSecret: string }, version: string) =>
    (clients as AzureClients).withPrincipal(p, version);
  const ref = cluster?.spec?.identityRef;
  if (ref?.name) {
    const ns = ref.namespace || namespace;
    const id = await kube.find<AzureClusterIdentity>({
      apiVersion: AZURE_IDENTITY_API_VERSION,
      kind: 'AzureClusterIdentity',
      namespace: ns,
      name: ref.name,
    });
    if (!id)
      throw new Error(
        `AzureCluster spec.identityRef names AzureClusterIdentity ${ns}/${ref.name}, which does not exist`,
      );
    if (id.spec.type !== 'ServicePrincipal' && id.spec.type !== 'ManualServicePrincipal')
      throw new Error(
        `AzureClusterIdentity ${ns}/${ref.name} has type ${id.spec.type}; capi-fn supports ServicePrincipal`,
      );
    const sref = id.spec.clientSecret;
    const s = sref?.name ? await secret(kube, { namespace: sref.namespace || ns, name: sref.name }) : undefined;
    const clientSecret = decode(s?.data?.clientSecret);
    if (!s || !clientSecret)
      throw new Error(
        `AzureClusterIdentity ${ns}/${ref.name} spec.clientSecret names no Secret with a clientSecret key`,
      );
    return bind(
      { tenantId: id.spec.tenantID, clientId: id.spec.clientID, clientSecret },
      `${id.metadata.resourceVersion}/${s.metadata.resourceVersion}`,
    );
  }
  const s = await secret(kube, BOOTSTRAP_CREDENTIALS);
  const clientId = decode(s?.data?.azure_client_id);
  const tenantId = decode(s?.data?.azure_tenant_id);
  const clientSecret = decode(s?.data?.azure_client_secret);
  if (s && clientId && tenantId && clientSecret)
    return bind({ tenantId, clientId, clientSecret }, `bootstrap/${s.metadata.resourceVersion}`);
  return clients;
}
