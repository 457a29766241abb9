// VSphereCluster on the kit, in OpenShift's externally managed mode: nothing is created. Ready when vCenter
// answers a login with the cluster's credentials (CAPV's VCenterAvailable); the VSphereDeploymentZones of the
// cluster's server become its failure domains (CAPV: one per zone, controlPlane as the zone says), so a
// MachineSet's failureDomain can name one.
import type { VSphereCluster } from '../../../shared/api/providers/vsphere.ts';
import type { CheckResult, InfraClusterDefinition } from '../kit/definition.ts';
import { reasonFromCode } from '../kit/errors.ts';
import type { VSphereApi } from './client.ts';
import { connectVSphere } from './credentials.ts';
import { classifyVSphereError } from './errors.ts';
import { VSPHERE_FIELD_MANAGER } from './machine.ts';
import { deploymentZones } from './zones.ts';

export const VSPHERE_CLUSTER_MANAGER = 'capi-fn-vsphere-provider';
export const VCENTER_AVAILABLE = 'VCenterAvailable';
export const vsphereClusterDefinition: InfraClusterDefinition<VSphereApi, VSphereCluster> = {
  name: 'vsphere',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereCluster' },
  fieldManager: VSPHERE_FIELD_MANAGER,
  manager: VSPHERE_CLUSTER_MANAGER,
  checks: [VCENTER_AVAILABLE],
  reads: [
    {
      group: 'infrastructure.cluster.x-k8s.io',
      kinds: ['VSphereDeploymentZone', 'VSphereFailureDomain'],
      verbs: ['get', 'list'],
    },
    // The installer's vCenter credentials, when the VSphereCluster names no identity Secret.
    { group: '', kinds: ['Secret'], namespaces: ['kube-system'], names: ['vsphere-creds'], verbs: ['get'] },
  ],
  connect: (api, s) =>
    connectVSphere(api, s.kube, { server: s.ic.spec?.server, cluster: s.ic, namespace: s.ic.metadata.namespace! }),
  async assess(vc, api, _log, { kube }) {
    const server = vc.spec?.server;
    let check: CheckResult;
    try {
      const sc = await api.serviceContent();
      // Any call in the session proves the login.
      await api.retrieve([sc.rootFolder], { Folder: ['name'] });
      check = { ok: true };
    } catch (e) {
      const c = classifyVSphereError(e);
      if (c.class === 'unknown') throw e;
      check = {
        ok: false,
        reason: reasonFromCode(c.code),
        message: `cannot log in to vCenter ${server ?? api.server} (spec.server): ${c.code}: ${c.message}`,
      };
      return { checks: { [VCENTER_AVAILABLE]: check } };
    }
    const zones = await deploymentZones(kube, server);
    return {
      checks: { [VCENTER_AVAILABLE]: check },
      ...(zones.length
        ? {
            failureDomains: Object.fromEntries(
              zones.map((z) => [z.metadata.name!, { controlPlane: z.spec.controlPlane !== false }]),
            ),
          }
        : {}),
    };
  },
};
