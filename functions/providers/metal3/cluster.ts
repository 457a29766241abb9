// Metal3Cluster on the kit: nothing in the "cloud" belongs to it; ready once its control-plane endpoint is
// set (what CAPM3 itself checks). OpenShift's externally managed one keeps the operator's endpoint.
import type { Metal3Cluster } from '../../../shared/api/providers/metal3.ts';
import type { InfraClusterDefinition } from '../kit/definition.ts';
import { METAL3_FIELD_MANAGER } from './machine.ts';

export const METAL3_CLUSTER_MANAGER = 'capi-fn-metal3-provider';
export const ENDPOINT_READY = 'ControlPlaneEndpointReady';

export const metal3ClusterDefinition: InfraClusterDefinition<unknown, Metal3Cluster> = {
  name: 'metal3',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'Metal3Cluster' },
  fieldManager: METAL3_FIELD_MANAGER,
  manager: METAL3_CLUSTER_MANAGER,
  checks: [ENDPOINT_READY],
  async assess(mc) {
    const e = mc.spec?.controlPlaneEndpoint;
    return {
      checks: {
        [ENDPOINT_READY]:
          e?.host && e.port
            ? { ok: true }
            : {
                ok: false,
                reason: 'EndpointNotSet',
                message: 'spec.controlPlaneEndpoint.host and .port must be set (the cluster API endpoint)',
              },
      },
    };
  },
};
