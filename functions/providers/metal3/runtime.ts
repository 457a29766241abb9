// The Metal3 provider's runtime: its handlers over BareMetalHosts, the orphan scan (hosts claimed for Machines
// that are gone), and what `capi-fn up --platform baremetal` starts: a simulated baremetal-operator and
// `--hosts N` registered hosts.
import type { ProviderRuntime } from '../kit/module.ts';
import { portScanner } from '../kit/orphans.ts';
import { seedHosts, startBmoSimulator } from './bmo-simulator.ts';
import { metal3ProviderHandlers } from './handler.ts';
import { metal3Port } from './port.ts';

const NO_AWS_RIGHTS = { actions: [], statements: [] };
/** Where the embedded default registers its hosts: beside the docs' Metal3MachineTemplate. */
export const HOSTS_NAMESPACE = 'openshift-cluster-api';

export const runtime: ProviderRuntime = {
  handlers: (o) => metal3ProviderHandlers(o?.timings ? { timings: o.timings } : {}),
  // The hosts are Kubernetes objects: the functions need no cloud rights at all.
  deploy: {
    aws: { cluster: NO_AWS_RIGHTS, machine: NO_AWS_RIGHTS },
    // Reaping an orphan releases its host (the hosts are listed through the drift check's own watch list).
    kubeOrphanScan: [{ group: 'metal3.io', kinds: ['BareMetalHost'], namespaces: 'workload', verbs: ['update'] }],
  },
  orphans: ({ cluster, infraCluster, kube }) =>
    portScanner('metal3', metal3Port(kube, infraCluster?.metadata.namespace), cluster),
  async embedded(o) {
    const bmo = startBmoSimulator({ kube: o.kube, log: o.log });
    // The hosts' kind is installed by the operator: register them once it is served.
    let stopped = false;
    const seeding = (async () => {
      for (let attempt = 0; !stopped; attempt++) {
        try {
          await seedHosts(o.kube, { namespace: HOSTS_NAMESPACE, count: o.hosts ?? 3, prefix: 'worker-host' });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * (attempt + 1))));
        }
      }
    })();
    return {
      handlers: metal3ProviderHandlers(),
      async stop() {
        stopped = true;
        await seeding;
        await bmo.stop();
      },
    };
  },
};
