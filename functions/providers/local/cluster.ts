// LocalCluster on the kit: the simulated cloud's "network" always exists; ready, with the configured zones
// as failure domains.
import type { LocalCluster } from '../../../shared/api/providers/local.ts';
import type { InfraClusterDefinition, InfraClusterObject } from '../kit/definition.ts';

export const LOCAL_CLUSTER_MANAGER = 'capi-fn-local-provider';

export const localClusterDefinition: InfraClusterDefinition<unknown, InfraClusterObject> = {
  name: 'local',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalCluster' },
  fieldManager: 'capi-local-provider',
  manager: LOCAL_CLUSTER_MANAGER,
  checks: [],
  async assess(ic) {
    const spec = (ic as LocalCluster).spec;
    const zones = spec?.failureDomains?.length ? spec.failureDomains : ['local-a'];
    return { checks: {}, failureDomains: Object.fromEntries(zones.map((z) => [z, { controlPlane: true }])) };
  },
};
