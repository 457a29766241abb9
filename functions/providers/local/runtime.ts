// The local provider's runtime: its handlers over the simulated cloud, which `capi-fn up` keeps in the data
// folder. It has no default client: the simulated cloud exists only inside capi-fn up and the tests.
import { join } from 'node:path';
import type { ProviderRuntime } from '../kit/module.ts';
import { portScanner } from '../kit/orphans.ts';
import { LocalCloud, type LocalCloudApi } from './cloud.ts';
import { localProviderHandlers } from './handler.ts';
import { localPort } from './port.ts';

export const runtime: ProviderRuntime = {
  handlers(o) {
    if (!o?.client) throw new Error('the local provider needs its simulated cloud (it runs only inside capi-fn up)');
    return localProviderHandlers(o.client as () => LocalCloudApi, o.timings);
  },
  orphans({ cluster, client }) {
    if (!client) throw new Error('the local provider scans only its own simulated cloud (inside capi-fn up)');
    return portScanner('local', localPort(client as LocalCloudApi), cluster);
  },
  async embedded(o) {
    const cloud = new LocalCloud({
      kube: o.kube,
      stateFile: join(o.dataDir, 'local-cloud.json'),
      defaultBootDelayMs: o.bootDelayMs ?? 3_000,
      log: o.log,
    });
    return { client: cloud, handlers: localProviderHandlers(() => cloud), stop: () => cloud.close() };
  },
};
