// The Azure provider (CAPZ's AzureCluster and AzureMachine on Azure Resource Manager): its descriptor for the
// provider list — the operator's plan (credential Secret and AzureClusterIdentity first), the simulated installer,
// the admission rules and the doctor checks. The handlers are in runtime.ts.
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
import { azureMachineRules, azureMachineTemplateRules } from './admission.ts';
import { defaultSshPublicKey } from './ssh.ts';

/** The Secret the AzureClusterIdentity points at (immutable; key `clientSecret`). */
export const AZURE_CLUSTER_CREDENTIAL_SECRET = 'capz-manager-cluster-credential';
const BOOTSTRAP = { namespace: Namespaces.clusterAPI, name: PLATFORM_PROVIDERS.Azure!.credentialsSecret };

export const azureProvider: ProviderModule = {
  name: 'azure',
  cliPlatform: 'azure',
  platformType: 'Azure',
  kinds: { cluster: 'AzureCluster', machine: 'AzureMachine', machineTemplate: 'AzureMachineTemplate' },
  hasRuntime: true,
  credentialCheck(env) {
    const ok = Boolean(
      env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && (env.AZURE_CLIENT_SECRET || env.AZURE_FEDERATED_TOKEN_FILE),
    );
    return credentialCheck('Azure credentials', ok, {
      ok: `service principal ${env.AZURE_CLIENT_ID} of tenant ${env.AZURE_TENANT_ID} in the environment${env.AZURE_SUBSCRIPTION_ID ? `, subscription ${env.AZURE_SUBSCRIPTION_ID}` : ''}`,
      missing:
        'AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret (AZURE_CLIENT_SECRET) or federated token (AZURE_FEDERATED_TOKEN_FILE) are not all set',
      fix: 'export AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET and AZURE_SUBSCRIPTION_ID (npx capi-fn emulator azure prints them for the emulator)',
    });
  },
  async endpointCheck(env) {
    const e = env.AZURE_RESOURCE_MANAGER_ENDPOINT;
    if (!e) return undefined;
    const base = e.endsWith('/') ? e : `${e}/`;
    try {
      // Unauthenticated: ARM answers 401 with its error shape, which proves the endpoint speaks ARM over TLS.
      const r = await fetch(new URL('subscriptions?api-version=2022-12-01', base), {
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await r.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      const speaksArm = r.ok || Boolean(body?.error?.code);
      return speaksArm
        ? {
            name: 'Azure Resource Manager endpoint',
            status: 'ok',
            detail: `${base} answers (HTTP ${r.status}${body?.error?.code ? ` ${body.error.code}` : ''})`,
          }
        : {
            name: 'Azure Resource Manager endpoint',
            status: 'fail',
            detail: `${base} answers HTTP ${r.status} without ARM's error shape`,
            fix: 'point AZURE_RESOURCE_MANAGER_ENDPOINT at Azure Resource Manager (or npx capi-fn emulator azure)',
          };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(String(cause));
      return {
        name: 'Azure Resource Manager endpoint',
        status: 'fail',
        detail: `AZURE_RESOURCE_MANAGER_ENDPOINT=${base} does not answer (${cause})`,
        fix: tls
          ? 'trust its CA: export NODE_EXTRA_CA_CERTS=<the file capi-fn emulator azure --ca-out wrote>'
          : 'start it (npx capi-fn emulator azure prints the endpoint) or unset the variable to use Azure',
      };
    }
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
      // OpenShift leaves spec.subscriptionID unset (CAPZ reads AZURE_SUBSCRIPTION_ID); capi-fn's functions have no
      // such deployment, so the subscription the operator's Secret names goes into the AzureCluster.
      const subscriptionID = str(creds?.azure_subscription_id);
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
          ...(subscriptionID ? { subscriptionID } : {}),
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
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/AzureMachine': azureMachineRules,
    'infrastructure.cluster.x-k8s.io/AzureMachineTemplate': azureMachineTemplateRules,
  },
  webhookDefaults: {
    // CAPZ's AzureMachine defaulting: a generated key when the spec has none (templates stay as written).
    'infrastructure.cluster.x-k8s.io/AzureMachine': defaultSshPublicKey,
  },
  quickStart: ({ k }) => [
    `      ${k} apply -f examples/azure/machineset.yaml   (an AzureMachineTemplate and a MachineSet; the README says what to create first)`,
  ],
  simulatedInstall({ infrastructureName: infraName, env }) {
    const rg = `${infraName}-rg`;
    return {
      platformSpec: { type: 'Azure', azure: {} },
      platformStatus: {
        type: 'Azure',
        azure: { cloudName: 'AzurePublicCloud', resourceGroupName: rg, networkResourceGroupName: rg },
      },
      objects: [
        secretObject(BOOTSTRAP.name, {
          // The service principal `capi-fn up` was given (the emulator's, printed by `capi-fn emulator azure`).
          azure_client_id: env.AZURE_CLIENT_ID ?? '00000000-0000-4000-8000-00000000c11d',
          azure_tenant_id: env.AZURE_TENANT_ID ?? '00000000-0000-4000-8000-0000000a7e17',
          azure_client_secret: env.AZURE_CLIENT_SECRET ?? 'simulated-client-secret',
          azure_subscription_id: env.AZURE_SUBSCRIPTION_ID ?? '00000000-0000-4000-8000-0000005ab5c0',
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
