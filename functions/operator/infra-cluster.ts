// The infrastructure-cluster step (openshift-capi.md §1.6, "InfraCluster controller", 4.17+ semantics, and the
// per-platform table): what the operator creates in openshift-cluster-api before the Cluster, per platform, and
// which of those objects it marks ready itself.
import type { APIEndpoint } from '../../shared/api/capi/cluster.ts';
import { Annotations } from '../../shared/api/capi/constants.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { INFRACLUSTER_MANAGED_BY, Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';

/**
 * Providers for which capi-fn ships its own infrastructure handlers: their infrastructure cluster is created
 * WITHOUT the managed-by annotation, so the provider's handler reconciles it and owns `status.ready` (as CAPO does
 * for OpenStackCluster in 4.21+). For every other provider the operator annotates the object and marks it ready
 * itself, as 4.17+ does. Add a provider here when its handlers land.
 */
export const PROVIDERS_WITH_OWN_HANDLERS: ReadonlySet<ProviderName> = new Set<ProviderName>(['local', 'aws']);

/** Azure: the Secret the AzureClusterIdentity points at (immutable; key `clientSecret`). */
export const AZURE_CLUSTER_CREDENTIAL_SECRET = 'capz-manager-cluster-credential';
/** vSphere: where the installer leaves the vCenter credentials (keys `<server>.username` / `<server>.password`). */
export const VSPHERE_CREDS = { namespace: 'kube-system', name: 'vsphere-creds' } as const;
/** OpenStack: the clouds.yaml Secret the Cloud Credential Operator writes into openshift-cluster-api. */
export const OPENSTACK_CREDENTIALS_SECRET = 'openstack-cloud-credentials';

export interface InfraClusterInputs {
  infrastructureName: string;
  provider: PlatformProvider;
  infrastructure: Pick<Infrastructure, 'spec' | 'status'>;
  /** Host and port of `status.apiServerInternalURI`. */
  endpoint: APIEndpoint | undefined;
  /**
   * The MAPI providerSpec (`spec.providerSpec.value`) the platform's extra settings come from: a control-plane
   * MAPI Machine's, else the first MAPI MachineSet's (capi-fn serves no ControlPlaneMachineSet kind).
   */
  mapiProviderSpec: Record<string, unknown> | undefined;
  /** Decoded data of the Secrets the platform needs (Azure bootstrap credentials, vSphere vCenter credentials). */
  secrets: {
    azureBootstrap?: Record<string, string> | undefined;
    vsphereCreds?: Record<string, string> | undefined;
  };
}

export type InfraClusterPlan =
  | {
      ok: true;
      /** Objects the infrastructure cluster refers to, created first and only when absent. */
      prerequisites: KubeObject[];
      infraCluster: KubeObject;
      /** True when the operator itself marks the object ready (the managed-by annotation is set). */
      managed: boolean;
    }
  | {
      ok: false;
      /** What is missing, in words ("Infrastructure status.platformStatus.aws.region", …). */
      missing: string[];
    };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function secret(name: string, data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: Namespaces.clusterAPI },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ...extra,
  };
}

/** The objects to create for `inputs.provider`, or what is missing to create them. */
export function planInfraCluster(inputs: InfraClusterInputs): InfraClusterPlan {
  const { infrastructureName: name, provider, infrastructure, endpoint, mapiProviderSpec: ps } = inputs;
  const missing: string[] = [];
  const need = <T>(v: T | undefined, what: string): T | undefined => {
    if (v === undefined) missing.push(what);
    return v;
  };
  const status = infrastructure.status?.platformStatus;
  const ep = () => need(endpoint, 'a parseable Infrastructure status.apiServerInternalURI');
  const prerequisites: KubeObject[] = [];
  let spec: Record<string, unknown>;

  switch (provider.provider) {
    case 'aws': {
      const region = need(str(status?.aws?.region), 'Infrastructure status.platformStatus.aws.region');
      spec = {
        region,
        controlPlaneEndpoint: ep(),
        identityRef: { kind: 'AWSClusterControllerIdentity', name: 'default' },
      };
      break;
    }
    case 'gcp': {
      // platformStatus first; the MAPI providerSpec is the documented fallback for the project.
      const project = need(
        str(status?.gcp?.projectID) ?? str(ps?.projectID),
        'Infrastructure status.platformStatus.gcp.projectID (or a MAPI providerSpec projectID)',
      );
      const region = need(str(status?.gcp?.region), 'Infrastructure status.platformStatus.gcp.region');
      const nics = Array.isArray(ps?.networkInterfaces) ? ps.networkInterfaces : [];
      const network = str(rec(nics[0])?.network);
      spec = { project, region, controlPlaneEndpoint: ep(), ...(network ? { network: { name: network } } : {}) };
      break;
    }
    case 'azure': {
      const creds = inputs.secrets.azureBootstrap;
      const clientID = str(creds?.azure_client_id);
      const tenantID = str(creds?.azure_tenant_id);
      const clientSecret = str(creds?.azure_client_secret);
      if (!clientID || !tenantID || !clientSecret) {
        missing.push(
          `Secret ${Namespaces.clusterAPI}/${provider.credentialsSecret} with keys azure_client_id, azure_tenant_id and azure_client_secret`,
        );
      }
      const location = need(str(ps?.location), 'a MAPI providerSpec location (control-plane Machine or MachineSet)');
      const resourceGroup = str(ps?.resourceGroup) ?? str(status?.azure?.resourceGroupName);
      const vnet = str(ps?.vnet);
      const vnetRG = str(ps?.networkResourceGroup) ?? str(status?.azure?.networkResourceGroupName) ?? resourceGroup;
      prerequisites.push(
        secret(AZURE_CLUSTER_CREDENTIAL_SECRET, { clientSecret: clientSecret ?? '' }, { immutable: true }),
        {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'AzureClusterIdentity',
          metadata: { name, namespace: Namespaces.clusterAPI },
          spec: {
            type: 'ServicePrincipal',
            allowedNamespaces: { list: [Namespaces.clusterAPI] },
            clientID,
            tenantID,
            clientSecret: { name: AZURE_CLUSTER_CREDENTIAL_SECRET, namespace: Namespaces.clusterAPI },
          },
        },
      );
      spec = {
        location,
        azureEnvironment: str(status?.azure?.cloudName) ?? 'AzurePublicCloud',
        identityRef: { kind: 'AzureClusterIdentity', name, namespace: Namespaces.clusterAPI },
        ...(resourceGroup ? { resourceGroup } : {}),
        networkSpec: {
          ...(vnet ? { vnet: { name: vnet, ...(vnetRG ? { resourceGroup: vnetRG } : {}) } } : {}),
          nodeOutboundLB: { name, backendPool: { name } },
        },
        controlPlaneEndpoint: ep(),
      };
      break;
    }
    case 'vsphere': {
      const server = need(
        str(infrastructure.spec?.platformSpec?.vsphere?.vcenters?.[0]?.server) ?? str(rec(ps?.workspace)?.server),
        'Infrastructure spec.platformSpec.vsphere.vcenters[0].server (or a MAPI providerSpec workspace.server)',
      );
      if (server) {
        const creds = inputs.secrets.vsphereCreds;
        const username = str(creds?.[`${server}.username`]);
        const password = str(creds?.[`${server}.password`]);
        if (!username || !password) {
          missing.push(
            `Secret ${VSPHERE_CREDS.namespace}/${VSPHERE_CREDS.name} with keys ${server}.username and ${server}.password`,
          );
        } else {
          prerequisites.push(secret(name, { username, password }));
        }
      }
      spec = { server, identityRef: { kind: 'Secret', name }, controlPlaneEndpoint: ep() };
      break;
    }
    case 'openstack': {
      // 4.21+: the endpoint is the first internal API VIP on 6443; a user-managed load balancer has no such VIP.
      const os = status?.openstack;
      if (os?.loadBalancer?.type === 'UserManaged') {
        missing.push(
          'an OpenShift-managed API load balancer (platformStatus.openstack.loadBalancer.type is UserManaged)',
        );
      }
      const vip = need(
        str(os?.apiServerInternalIPs?.[0]),
        'Infrastructure status.platformStatus.openstack.apiServerInternalIPs[0]',
      );
      spec = {
        controlPlaneEndpoint: vip ? { host: vip, port: 6443 } : undefined,
        disableAPIServerFloatingIP: true,
        identityRef: { name: OPENSTACK_CREDENTIALS_SECRET, cloudName: str(os?.cloudName) ?? 'openstack' },
        tags: [`openshiftClusterID=${name}`],
      };
      break;
    }
    case 'metal3':
      spec = { controlPlaneEndpoint: ep(), noCloudProvider: true };
      break;
    case 'local':
      spec = { controlPlaneEndpoint: ep() };
      break;
  }
  if (!name) missing.unshift('Infrastructure status.infrastructureName (the cluster ID)');
  if (missing.length > 0) return { ok: false, missing };

  const managed = !PROVIDERS_WITH_OWN_HANDLERS.has(provider.provider);
  const infraCluster: KubeObject = {
    apiVersion: provider.infraClusterAPIVersion,
    kind: provider.infraClusterKind,
    metadata: {
      name,
      namespace: Namespaces.clusterAPI,
      ...(managed ? { annotations: { [Annotations.managedBy]: INFRACLUSTER_MANAGED_BY } } : {}),
    },
    spec: JSON.parse(JSON.stringify(spec)) as Record<string, unknown>,
  };
  return { ok: true, prerequisites, infraCluster, managed };
}

/**
 * 4.17+ ownership: the operator marks ready only objects whose managed-by annotation carries exactly its value.
 * Absent annotation: the provider owns readiness; another value: someone else does.
 */
export function operatorOwnsReadiness(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[Annotations.managedBy] === INFRACLUSTER_MANAGED_BY;
}

/** True when the object is the operator's to mark ready and is not ready yet. */
export function needsReadyMark(obj: KubeObject): boolean {
  if (!operatorOwnsReadiness(obj) || obj.metadata.deletionTimestamp) return false;
  return (obj.status as { ready?: boolean } | undefined)?.ready !== true;
}
