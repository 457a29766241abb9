// The vSphere provider's runtime: its handlers on vCenter, the orphan scan, and what `capi-fn up --platform
// vsphere` starts (against the vCenter VSPHERE_SERVER names, such as `capi-fn emulator vsphere`, i.e. vcsim).
import type { VSphereCluster } from '../../../shared/api/providers/vsphere.ts';
import { type ProviderRuntime, ProviderSetupError } from '../kit/module.ts';
import { startNodeSimulator } from '../kit/node-simulator.ts';
import { portScanner } from '../kit/orphans.ts';
import { deferredPort } from '../kit/port.ts';
import type { VSphereApi } from './client.ts';
import { connectVSphere, credentialsFromEnv, VSphereClients } from './credentials.ts';
import { sharedVSphereClients, vsphereProviderHandlers } from './handler.ts';
import { vspherePort } from './port.ts';
import { vcsimGuestList } from './vcsim-guest.ts';

const NO_AWS_RIGHTS = { actions: [], statements: [] };

/** What `capi-fn up --platform vsphere` needs, in words, when it is missing. */
export function missingVSphereAccess(env: NodeJS.ProcessEnv): string | undefined {
  const c = credentialsFromEnv(env);
  if (!('missing' in c)) return undefined;
  return (
    `--platform vsphere needs a vCenter: set ${c.missing.join(', ')} ` +
    '(npx capi-fn emulator vsphere starts vcsim and prints them; add VSPHERE_INSECURE=true for its self-signed certificate)'
  );
}

export const runtime: ProviderRuntime = {
  handlers: (o) =>
    vsphereProviderHandlers({
      ...(o?.client ? { client: o.client as () => VSphereApi } : {}),
      ...(o?.timings ? { timings: o.timings } : {}),
    }),
  // The functions call vCenter, not AWS: their roles hold only their queues and their own kubeconfig.
  deploy: {
    aws: { cluster: NO_AWS_RIGHTS, machine: NO_AWS_RIGHTS },
    // The orphan scan's vCenter credentials: each cluster's identity Secret, else the installer's vsphere-creds.
    kubeOrphanScan: [
      { group: '', kinds: ['Secret'], namespaces: 'workload', verbs: ['get'] },
      { group: '', kinds: ['Secret'], namespaces: ['kube-system'], names: ['vsphere-creds'], verbs: ['get'] },
    ],
  },
  // The scan reaches each cluster's vCenter with the credentials its machines use (identity Secret, the
  // installer's vsphere-creds, else the process's VSPHERE_*), read when the scan runs.
  orphans: ({ cluster, infraCluster, client, kube }) =>
    portScanner(
      'vsphere',
      deferredPort(async () => {
        const vc = infraCluster as VSphereCluster | undefined;
        const api = await connectVSphere((client as VSphereApi | undefined) ?? sharedVSphereClients(), kube, {
          cluster: vc,
          namespace: vc?.metadata.namespace ?? 'default',
        });
        return vspherePort(api);
      }),
      cluster,
    ),
  async embedded(o) {
    const missing = missingVSphereAccess(o.env);
    if (missing) throw new ProviderSetupError(missing);
    const api = new VSphereClients(o.env);
    // vcsim's guests report no address: the simulated kubelets come with a simulated DHCP server.
    const sim = o.simulateNodes
      ? startNodeSimulator({ kube: o.kube, name: 'vsphere-node-simulator', log: o.log, list: vcsimGuestList(api) })
      : undefined;
    return {
      client: api,
      handlers: vsphereProviderHandlers({ client: () => api }),
      async stop() {
        await sim?.stop();
        await api.logout();
      },
    };
  },
};
