// The Azure provider's runtime: its handlers on Azure Resource Manager, the orphan scan, and what
// `capi-fn up --platform azure` starts (against the endpoint AZURE_RESOURCE_MANAGER_ENDPOINT names, such as
// `capi-fn emulator azure`).
import type { AzureCluster } from '../../../shared/api/providers/azure.ts';
import { type ProviderRuntime, ProviderSetupError } from '../kit/module.ts';
import { startNodeSimulator } from '../kit/node-simulator.ts';
import { portScanner } from '../kit/orphans.ts';
import { type ArmApi, AzureSdkClients, DEFAULT_RESOURCE_MANAGER_ENDPOINT, resourceManagerEndpoint } from './client.ts';
import { connectAzure } from './credentials.ts';
import { azureProviderHandlers } from './handler.ts';
import { formatLocation } from './names.ts';
import { azurePort } from './port.ts';

const NO_AWS_RIGHTS = { actions: [], statements: [] };

/** What `capi-fn up --platform azure` needs, in words, when it is missing. */
export function missingAzureAccess(env: NodeJS.ProcessEnv): string | undefined {
  const missing: string[] = [];
  if (!env.AZURE_CLIENT_ID) missing.push('AZURE_CLIENT_ID');
  if (!env.AZURE_TENANT_ID) missing.push('AZURE_TENANT_ID');
  if (!env.AZURE_CLIENT_SECRET && !env.AZURE_FEDERATED_TOKEN_FILE)
    missing.push('AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE)');
  if (!env.AZURE_SUBSCRIPTION_ID) missing.push('AZURE_SUBSCRIPTION_ID');
  if (!missing.length) return undefined;
  const where =
    resourceManagerEndpoint(env) === DEFAULT_RESOURCE_MANAGER_ENDPOINT
      ? 'Azure Resource Manager'
      : `the endpoint AZURE_RESOURCE_MANAGER_ENDPOINT=${resourceManagerEndpoint(env)}`;
  return (
    `--platform azure needs a service principal for ${where}: set ${missing.join(', ')} ` +
    '(npx capi-fn emulator azure prints them for the emulator, with AZURE_RESOURCE_MANAGER_ENDPOINT, AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS)'
  );
}

function principal(env: NodeJS.ProcessEnv) {
  return env.AZURE_CLIENT_SECRET
    ? {
        principal: {
          tenantId: env.AZURE_TENANT_ID!,
          clientId: env.AZURE_CLIENT_ID!,
          clientSecret: env.AZURE_CLIENT_SECRET,
        },
      }
    : {};
}

export const runtime: ProviderRuntime = {
  handlers: (o) =>
    azureProviderHandlers({
      ...(o?.client ? { client: o.client as () => ArmApi } : {}),
      ...(o?.timings ? { timings: o.timings } : {}),
    }),
  // The functions call Azure, not AWS: their roles hold only their queues and their own kubeconfig.
  deploy: { aws: { cluster: NO_AWS_RIGHTS, machine: NO_AWS_RIGHTS } },
  orphans: ({ cluster, infraCluster, client }) => {
    const ac = infraCluster as AzureCluster | undefined;
    const sub = ac?.spec?.subscriptionID ?? process.env.AZURE_SUBSCRIPTION_ID;
    const rg = ac?.spec?.resourceGroup;
    return portScanner(
      'azure',
      azurePort(
        (client as ArmApi | undefined) ?? new AzureSdkClients(),
        sub && rg ? formatLocation(sub, rg) : undefined,
      ),
      cluster,
    );
  },
  async embedded(o) {
    const missing = missingAzureAccess(o.env);
    if (missing) throw new ProviderSetupError(missing);
    const api = new AzureSdkClients({ env: o.env, ...principal(o.env) });
    const sim = o.simulateNodes
      ? startNodeSimulator({
          kube: o.kube,
          name: 'azure-node-simulator',
          log: o.log,
          list: async () => {
            const clusters = await o.kube
              .listAll<AzureCluster>({ apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AzureCluster' })
              .catch(() => ({ items: [] as AzureCluster[] }));
            const out = [];
            for (const c of clusters.items) {
              const sub = c.spec.subscriptionID ?? o.env.AZURE_SUBSCRIPTION_ID;
              if (!sub || !c.spec.resourceGroup) continue;
              const bound = await connectAzure(api, o.kube, c, c.metadata.namespace!);
              out.push(...(await azurePort(bound, formatLocation(sub, c.spec.resourceGroup)).listOwned({})));
            }
            return out;
          },
        })
      : undefined;
    return {
      client: api,
      handlers: azureProviderHandlers({ client: () => api }),
      async stop() {
        await sim?.stop();
      },
    };
  },
};
