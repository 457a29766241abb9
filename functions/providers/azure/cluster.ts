// AzureCluster on the kit, in OpenShift's externally managed mode: nothing is created. Ready when the location
// offers VM sizes to the subscription and the cluster's virtual network exists; the location's availability zones
// become the failure domains ("1", "2", "3"; none in a region without zones, where machines go to availability sets).
import { INFRA_GROUP } from '../../../shared/api/capi/constants.ts';
import type { AzureCluster } from '../../../shared/api/providers/azure.ts';
import type { CheckResult, InfraClusterDefinition } from '../kit/definition.ts';
import { reasonFromCode } from '../kit/errors.ts';
import type { ArmApi } from './client.ts';
import { connectAzure } from './credentials.ts';
import { classifyAzureError } from './errors.ts';
import { AZURE_FIELD_MANAGER, zonesOf } from './machine.ts';

export const AZURE_CLUSTER_MANAGER = 'capi-fn-azure-provider';
export const NETWORK_READY = 'NetworkInfrastructureReady';

export const azureClusterDefinition: InfraClusterDefinition<ArmApi, AzureCluster> = {
  name: 'azure',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AzureCluster' },
  fieldManager: AZURE_FIELD_MANAGER,
  manager: AZURE_CLUSTER_MANAGER,
  checks: [NETWORK_READY],
  reads: [{ group: INFRA_GROUP, kinds: ['AzureClusterIdentity'], verbs: ['get'] }],
  connect: (api, s) => connectAzure(api, s.kube, s.ic, s.ic.metadata.namespace!),
  async assess(ac, api) {
    const fail = (reason: string, message: string) => ({
      checks: { [NETWORK_READY]: { ok: false, reason, message } as CheckResult },
    });
    const sub = ac.spec.subscriptionID ?? process.env.AZURE_SUBSCRIPTION_ID;
    if (!sub)
      return fail(
        'SubscriptionNotSet',
        'no subscription: set spec.subscriptionID, or AZURE_SUBSCRIPTION_ID for the functions',
      );
    const location = ac.spec.location;
    let zones: string[];
    try {
      const skus = await api.listSkus(sub, location);
      if (!skus.length)
        return fail(
          'LocationNotFound',
          `location ${location} (spec.location) offers no VM sizes to subscription ${sub}`,
        );
      zones = [...new Set(skus.flatMap((k) => zonesOf(k, location)))].sort();
      const vnet = ac.spec.networkSpec?.vnet;
      if (vnet?.name) await api.getVirtualNetwork(sub, vnet.resourceGroup ?? ac.spec.resourceGroup ?? '', vnet.name);
    } catch (e) {
      const c = classifyAzureError(e);
      if (c.class === 'unknown') throw e;
      const what = c.class === 'not-found' ? 'spec.networkSpec.vnet' : `location ${location} of subscription ${sub}`;
      return fail(reasonFromCode(c.code), `${what}: ${c.code}: ${c.message}`);
    }
    const wanted = Object.keys(ac.spec.failureDomains ?? {}).length ? Object.keys(ac.spec.failureDomains!) : zones;
    return {
      checks: { [NETWORK_READY]: { ok: true } },
      failureDomains: Object.fromEntries(wanted.map((z) => [z, { controlPlane: true }])),
    };
  },
};
