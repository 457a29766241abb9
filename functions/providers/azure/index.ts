// The Azure platform (CAPZ's AzureCluster): the operator's plan (credential Secret and AzureClusterIdentity
// first) and the simulated installer. No machine provider yet: AzureMachines wait in Provisioning.
import { Namespaces, PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import type { ProviderModule } from '../kit/module.ts';
import {
  credentialCheck,
  endpointOrMissing,
  mapiMachineSet,
  needer,
  secretKey,
  secretObject,
  str,
} from '../kit/plan.ts';

/** The Secret the AzureClusterIdentity points at (immutable; key `clientSecret`). */
export const AZURE_CLUSTER_CREDENTIAL_SECRET = 'capz-manager-cluster-credential';
const BOOTSTRAP = { namespace: Namespaces.clusterAPI, name: PLATFORM_PROVIDERS.Azure!.credentialsSecret };

export const azureProvider: ProviderModule = {
  name: 'azure',
  cliPlatform: 'azure',
  platformType: 'Azure',
  kinds: { cluster: 'AzureCluster', machine: 'AzureMachine', machineTemplate: 'AzureMachineTemplate' },
  hasRuntime: false,
  credentialCheck(env) {
    const ok = Boolean(env.AZURE_CLIENT_ID && (env.AZURE_CLIENT_SECRET || env.AZURE_FEDERATED_TOKEN_FILE));
    return credentialCheck('Azure credentials', ok, {
      ok: 'service principal in the environment',
      missing: 'AZURE_CLIENT_ID and a secret or federated token are not set',
      fix: 'export AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET',
    });
  },
  infraCluster: {
    needsProviderSpec: true,
    secrets: [BOOTSTRAP],
    plan(inputs) {
      const { infrastructureName: name, mapiProviderSpec: ps } = inputs;
      const missing: string[] = [];
      const need = needer(missing);
      const status = inputs.infrastructure.status?.platformStatus;
      const creds = inputs.secrets[secretKey(BOOTSTRAP)];
      const clientID = str(creds?.azure_client_id);
      const tenantID = str(creds?.azure_tenant_id);
      const clientSecret = str(creds?.azure_client_secret);
      if (!clientID || !tenantID || !clientSecret) {
        missing.push(
          `Secret ${BOOTSTRAP.namespace}/${BOOTSTRAP.name} with keys azure_client_id, azure_tenant_id and azure_client_secret`,
        );
      }
      const location = need(str(ps?.location), 'a MAPI providerSpec location (control-plane Machine or MachineSet)');
      const resourceGroup = str(ps?.resourceGroup) ?? str(status?.azure?.resourceGroupName);
      const vnet = str(ps?.vnet);
      const vnetRG = str(ps?.networkResourceGroup) ?? str(status?.azure?.networkResourceGroupName) ?? resourceGroup;
      return {
        prerequisites: [
          secretObject(AZURE_CLUSTER_CREDENTIAL_SECRET, { clientSecret: clientSecret ?? '' }, { immutable: true }),
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
        ],
        spec: {
          location,
          azureEnvironment: str(status?.azure?.cloudName) ?? 'AzurePublicCloud',
          identityRef: { kind: 'AzureClusterIdentity', name, namespace: Namespaces.clusterAPI },
          ...(resourceGroup ? { resourceGroup } : {}),
          networkSpec: {
            ...(vnet ? { vnet: { name: vnet, ...(vnetRG ? { resourceGroup: vnetRG } : {}) } } : {}),
            nodeOutboundLB: { name, backendPool: { name } },
          },
          controlPlaneEndpoint: endpointOrMissing(inputs, missing),
        },
        missing,
      };
    },
  },
  simulatedInstall({ infrastructureName: infraName }) {
    const rg = `${infraName}-rg`;
    return {
      platformSpec: { type: 'Azure', azure: {} },
      platformStatus: {
        type: 'Azure',
        azure: { cloudName: 'AzurePublicCloud', resourceGroupName: rg, networkResourceGroupName: rg },
      },
      objects: [
        secretObject(BOOTSTRAP.name, {
          azure_client_id: '00000000-0000-4000-8000-00000000c11d',
          azure_tenant_id: '00000000-0000-4000-8000-0000000a7e17',
          azure_client_secret: 'simulated-client-secret',
          azure_subscription_id: '00000000-0000-4000-8000-0000005ab5c0',
          azure_region: 'eastus',
        }),
        mapiMachineSet(infraName, {
          kind: 'AzureMachineProviderSpec',
          location: 'eastus',
          resourceGroup: rg,
          networkResourceGroup: rg,
          vnet: `${infraName}-vnet`,
          subnet: `${infraName}-worker-subnet`,
        }),
      ],
    };
  },
};
