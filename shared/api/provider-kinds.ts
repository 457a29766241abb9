// Provider kinds by role: core handlers watch every provider's infrastructure objects without naming a
// provider. From the plain kind table, so handlers do not load the schemas.
import { BOOTSTRAP_GROUP, CONTROL_PLANE_GROUP, INFRA_GROUP } from './capi/constants.ts';
import { customKinds } from './kind-table.ts';

export interface GroupKind {
  group: string;
  kind: string;
}

function byRole(suffix: 'MachineTemplate' | 'Machine' | 'Cluster'): GroupKind[] {
  return customKinds
    .map(([group, , kind]) => ({ group, kind }))
    .filter(
      (k) =>
        k.group === INFRA_GROUP &&
        k.kind.endsWith(suffix) &&
        !(suffix === 'Machine' && k.kind.endsWith('MachineTemplate')),
    )
    .filter((k) => suffix !== 'Cluster' || !k.kind.endsWith('ClusterIdentity'))
    .map((k) => ({ group: k.group, kind: k.kind }));
}

export const machineTemplateKinds = () => byRole('MachineTemplate');
export const infraMachineKinds = () => byRole('Machine');
export const infraClusterKinds = () => byRole('Cluster');

/**
 * Bootstrap providers' kinds that MachineSets clone and Machines follow (spec.bootstrap.configRef). capi-fn ships no
 * bootstrap provider (OpenShift's machines use dataSecretName); these are the kinds of the upstream kubeadm bootstrap
 * provider, whose CRDs it installs. Another bootstrap provider's kinds are one line each here (and in the resource
 * table, shared/kube/resources.ts), as every kind a function touches is named in its RBAC.
 */
export const bootstrapConfigKinds = (): GroupKind[] => [{ group: BOOTSTRAP_GROUP, kind: 'KubeadmConfig' }];
export const bootstrapTemplateKinds = (): GroupKind[] => [{ group: BOOTSTRAP_GROUP, kind: 'KubeadmConfigTemplate' }];

/**
 * Control-plane providers' kinds a Cluster's spec.controlPlaneRef may name (outside OpenShift's mode, where the
 * control plane is not Cluster API's): the upstream kubeadm control-plane provider's, as for bootstrap above.
 */
export const controlPlaneKinds = (): GroupKind[] => [{ group: CONTROL_PLANE_GROUP, kind: 'KubeadmControlPlane' }];
