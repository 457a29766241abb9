// The OpenStack (RHOSP) platform (CAPO's OpenStackCluster): the operator's plan (4.21+ contents) and the
// simulated installer. No machine provider yet: OpenStackMachines wait in Provisioning.
import type { ProviderModule } from '../kit/module.ts';
import { needer, SIMULATED_ON_PREM, SIMULATED_VIP, secretObject, str } from '../kit/plan.ts';

/** The clouds.yaml Secret the Cloud Credential Operator writes into openshift-cluster-api. */
export const OPENSTACK_CREDENTIALS_SECRET = 'openstack-cloud-credentials';

export const openstackProvider: ProviderModule = {
  name: 'openstack',
  cliPlatform: 'openstack',
  platformType: 'OpenStack',
  kinds: { cluster: 'OpenStackCluster', machine: 'OpenStackMachine', machineTemplate: 'OpenStackMachineTemplate' },
  hasRuntime: false,
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      const need = needer(missing);
      // 4.21+: the endpoint is the first internal API VIP on 6443; a user-managed load balancer has no such VIP.
      const os = inputs.infrastructure.status?.platformStatus?.openstack;
      if (os?.loadBalancer?.type === 'UserManaged') {
        missing.push(
          'an OpenShift-managed API load balancer (platformStatus.openstack.loadBalancer.type is UserManaged)',
        );
      }
      const vip = need(
        str(os?.apiServerInternalIPs?.[0]),
        'Infrastructure status.platformStatus.openstack.apiServerInternalIPs[0]',
      );
      return {
        spec: {
          controlPlaneEndpoint: vip ? { host: vip, port: 6443 } : undefined,
          disableAPIServerFloatingIP: true,
          identityRef: { name: OPENSTACK_CREDENTIALS_SECRET, cloudName: str(os?.cloudName) ?? 'openstack' },
          tags: [`openshiftClusterID=${inputs.infrastructureName}`],
        },
        prerequisites: [],
        missing,
      };
    },
  },
  simulatedInstall: () => ({
    platformSpec: { type: 'OpenStack', openstack: { apiServerInternalIPs: [SIMULATED_VIP], ingressIPs: ['10.0.0.7'] } },
    platformStatus: { type: 'OpenStack', openstack: { ...SIMULATED_ON_PREM, cloudName: 'openstack' } },
    objects: [
      secretObject(OPENSTACK_CREDENTIALS_SECRET, {
        'clouds.yaml': 'clouds:\n  openstack:\n    auth:\n      auth_url: https://keystone.capi-fn.local:5000/v3\n',
      }),
    ],
  }),
};
