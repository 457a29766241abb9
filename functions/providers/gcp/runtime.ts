// The GCP provider's runtime: its handlers on Compute Engine, the orphan scan, and what
// `capi-fn up --platform gcp` starts (against the endpoint CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE names,
// such as `capi-fn emulator gcp`).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GCPCluster } from '../../../shared/api/providers/gcp.ts';
import { type ProviderRuntime, ProviderSetupError } from '../kit/module.ts';
import { startNodeSimulator } from '../kit/node-simulator.ts';
import { portScanner } from '../kit/orphans.ts';
import { computeEndpoint, DEFAULT_COMPUTE_ENDPOINT, type GceApi } from './client.ts';
import { GcpRestClients } from './credentials.ts';
import { gcpProviderHandlers } from './handler.ts';
import { gcpPort } from './port.ts';

const NO_AWS_RIGHTS = { actions: [], statements: [] };

/** What `capi-fn up --platform gcp` needs, in words, when it is missing. */
export function missingGcpAccess(env: NodeJS.ProcessEnv): string | undefined {
  if (computeEndpoint(env) !== DEFAULT_COMPUTE_ENDPOINT) return undefined;
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return undefined;
  if (existsSync(join(homedir(), '.config', 'gcloud', 'application_default_credentials.json'))) return undefined;
  return (
    '--platform gcp needs Compute Engine: set CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE to an endpoint ' +
    '(npx capi-fn emulator gcp prints it) or GOOGLE_APPLICATION_CREDENTIALS to a service-account key'
  );
}

export const runtime: ProviderRuntime = {
  handlers: (o) =>
    gcpProviderHandlers({
      ...(o?.client ? { client: o.client as () => GceApi } : {}),
      ...(o?.timings ? { timings: o.timings } : {}),
    }),
  // The functions call Google, not AWS: their AWS roles hold only their queues and their own kubeconfig. On
  // Google Cloud: the cluster handler lists zones; the machine handler reads images, machine types and subnets and
  // creates and deletes instances that run as the template's service account; the orphan scan lists and deletes.
  deploy: {
    aws: { cluster: NO_AWS_RIGHTS, machine: NO_AWS_RIGHTS },
    gcp: {
      cluster: ['roles/compute.viewer'],
      machine: ['roles/compute.instanceAdmin.v1', 'roles/iam.serviceAccountUser'],
    },
    gcpOrphanScan: ['roles/compute.instanceAdmin.v1'],
  },
  orphans: ({ cluster, infraCluster, client }) =>
    portScanner(
      'gcp',
      gcpPort(
        (client as GceApi | undefined) ?? new GcpRestClients(),
        (infraCluster as GCPCluster | undefined)?.spec?.project,
      ),
      cluster,
    ),
  async embedded(o) {
    const missing = missingGcpAccess(o.env);
    if (missing) throw new ProviderSetupError(missing);
    const api = new GcpRestClients();
    const sim = o.simulateNodes
      ? startNodeSimulator({
          kube: o.kube,
          name: 'gcp-node-simulator',
          log: o.log,
          list: async () => {
            const clusters = await o.kube
              .listAll<GCPCluster>({ apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'GCPCluster' })
              .catch(() => ({ items: [] as GCPCluster[] }));
            const projects = [...new Set(clusters.items.map((c) => c.spec.project))];
            return (await Promise.all(projects.map((p) => gcpPort(api, p).listOwned({})))).flat();
          },
        })
      : undefined;
    return {
      client: api,
      handlers: gcpProviderHandlers({ client: () => api }),
      async stop() {
        await sim?.stop();
      },
    };
  },
};
