// Which service principal a reconcile uses: the AzureClusterIdentity the AzureCluster names, else the
// operator's bootstrap Secret, else the process's client; never a Secret's value in an error.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { AzureCluster } from '../../../shared/api/providers/azure.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { ArmApi, AzureClients, ServicePrincipal } from './client.ts';
import { connectAzure } from './credentials.ts';

const NS = 'openshift-cluster-api';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeWith(objects: KubeObject[]): KubeClient {
  return {
    find: async (ref: { kind: string; namespace?: string; name: string }) =>
      objects.find(
        (o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace,
      ),
  } as unknown as KubeClient;
}

function clients(): AzureClients & { bound: Array<{ p: ServicePrincipal; version: string }> } {
  const bound: Array<{ p: ServicePrincipal; version: string }> = [];
  return {
    bound,
    withPrincipal(p: ServicePrincipal, version: string) {
      bound.push({ p, version });
      return { bound: p } as unknown as ArmApi;
    },
  } as unknown as AzureClients & { bound: typeof bound };
}

const cluster = (spec: Partial<AzureCluster['spec']> = {}): AzureCluster =>
  ({ metadata: { name: 'c', namespace: NS }, spec: { location: 'eastus', ...spec } }) as AzureCluster;

const identity: KubeObject = {
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'AzureClusterIdentity',
  metadata: { name: 'c', namespace: NS, resourceVersion: '7' },
  spec: { type: 'ServicePrincipal', clientID: 'cid', tenantID: 'tid', clientSecret: { name: 'cred', namespace: NS } },
} as KubeObject;
const credential = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'cred', namespace: NS, resourceVersion: '3' },
  data: { clientSecret: b64('s3cret') },
} as KubeObject;
const bootstrap = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'capz-manager-bootstrap-credentials', namespace: NS, resourceVersion: '9' },
  data: {
    azure_client_id: b64('bid'),
    azure_tenant_id: b64('btid'),
    azure_client_secret: b64('bsecret'),
    azure_subscription_id: b64('bsub'),
  },
} as KubeObject;

describe('connectAzure', () => {
  it('the AzureClusterIdentity the AzureCluster names, with its Secret', async () => {
    const c = clients();
    const ref = { kind: 'AzureClusterIdentity', name: 'c', namespace: NS };
    await connectAzure(c, kubeWith([identity, credential, bootstrap]), cluster({ identityRef: ref }), NS);
    expect(c.bound).toEqual([{ p: { tenantId: 'tid', clientId: 'cid', clientSecret: 's3cret' }, version: '7/3' }]);
  });

  it('a named identity that is missing or has no secret is an error naming it, never a secret', async () => {
    const ref = { kind: 'AzureClusterIdentity', name: 'c', namespace: NS };
    await expect(connectAzure(clients(), kubeWith([]), cluster({ identityRef: ref }), NS)).rejects.toThrow(
      'AzureCluster spec.identityRef names AzureClusterIdentity openshift-cluster-api/c, which does not exist',
    );
    await expect(connectAzure(clients(), kubeWith([identity]), cluster({ identityRef: ref }), NS)).rejects.toThrow(
      'spec.clientSecret names no Secret with a clientSecret key',
    );
  });

  it('else the operator’s bootstrap Secret; else the process’s client', async () => {
    const c = clients();
    await connectAzure(c, kubeWith([bootstrap]), cluster(), NS);
    expect(c.bound).toEqual([
      { p: { tenantId: 'btid', clientId: 'bid', clientSecret: 'bsecret' }, version: 'bootstrap/9' },
    ]);
    const plain = clients();
    expect(await connectAzure(plain, kubeWith([]), cluster(), NS)).toBe(plain);
    expect(plain.bound).toEqual([]);
  });
});
