// The OpenStack provider's runtime: its handlers, the orphan scan (servers carrying capi-fn's metadata for the
// cluster, with the identityRef's credentials), and what `capi-fn up --platform openstack` starts against the
// cloud OS_CLOUD (or OS_*) names, such as `capi-fn emulator openstack`.
import type { OpenStackCluster } from '../../../shared/api/providers/openstack.ts';
import { type ProviderRuntime, ProviderSetupError } from '../kit/module.ts';
import { startNodeSimulator } from '../kit/node-simulator.ts';
import { portScanner } from '../kit/orphans.ts';
import { type CloudPort, deferredPort } from '../kit/port.ts';
import { OpenStackApi } from './api.ts';
import { OpenStackRest } from './client.ts';
import { apiOf, connectOpenStack, type OpenStackClient, processClient } from './credentials.ts';
import { openstackProviderHandlers } from './handler.ts';
import { openstackPort } from './port.ts';
import type { ServerRequest } from './request.ts';

const NO_AWS_RIGHTS = { actions: [], statements: [] };

/** A port whose credentials are read (from the identityRef Secret) on first use; a failed read is tried again. */
function lazyPort(api: () => Promise<OpenStackApi>): CloudPort<ServerRequest> {
  return deferredPort(async () => openstackPort(await api()));
}

/** What `capi-fn up --platform openstack` needs, in words, when it is missing. */
export function missingOpenStackAccess(env: NodeJS.ProcessEnv): string | undefined {
  const c = processClient(new OpenStackRest(), env);
  if (c.cloud) return undefined;
  return (
    c.problem ??
    '--platform openstack needs an OpenStack cloud: set OS_CLOUD to a clouds.yaml entry (npx capi-fn emulator openstack ' +
      '--clouds-yaml FILE writes one for cloud capi-fn-emulator; OS_CLIENT_CONFIG_FILE=FILE) or the OS_* variables'
  );
}

export const runtime: ProviderRuntime = {
  handlers: (o) =>
    openstackProviderHandlers({
      ...(o?.client ? { transport: o.client as () => OpenStackClient['transport'] } : {}),
      ...(o?.timings ? { timings: o.timings } : {}),
    }),
  // The functions call OpenStack, not AWS: their roles hold only their queues and their own kubeconfig.
  deploy: { aws: { cluster: NO_AWS_RIGHTS, machine: NO_AWS_RIGHTS } },
  orphans: ({ cluster, infraCluster, client, kube }) => {
    const base = (client as OpenStackClient | undefined) ?? processClient(new OpenStackRest(), process.env);
    const oc = infraCluster as OpenStackCluster | undefined;
    return portScanner(
      'openstack',
      lazyPort(async () =>
        apiOf(await connectOpenStack(base, kube, oc?.metadata.namespace ?? '', oc?.spec?.identityRef)),
      ),
      cluster,
    );
  },
  async embedded(o) {
    const missing = missingOpenStackAccess(o.env);
    if (missing) throw new ProviderSetupError(missing);
    const transport = new OpenStackRest();
    const client = processClient(transport, o.env);
    const api = new OpenStackApi(transport, client.cloud!);
    const sim = o.simulateNodes
      ? startNodeSimulator({
          kube: o.kube,
          name: 'openstack-node-simulator',
          log: o.log,
          list: () => openstackPort(api).listOwned({}),
        })
      : undefined;
    return {
      client,
      handlers: openstackProviderHandlers({ transport: () => transport, env: o.env }),
      async stop() {
        await sim?.stop();
      },
    };
  },
};
