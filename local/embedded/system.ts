// The embedded default in one process: the API server on a persistent data folder, the in-process
// bus, the bridge, every handler, the local provider's simulated cloud, the periodic drift check, and
// the sample. `capi-fn up` (npm start) drives it; tests start it in-process.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import { LocalCloud } from '../../functions/providers/local/cloud.ts';
import { localOrphanScanner } from '../../functions/providers/local/orphans.ts';
import { coreHandlers, localProviderHandlers } from '../../functions/registry.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import { coreKinds, openshiftKinds, providerKinds } from '../../shared/api/registry.ts';
import { InProcessBus } from '../../shared/bus/in-process.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { Connection } from '../../shared/kube/kubeconfig.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import { type ApiServer, startApiServer } from '../apiserver/index.ts';
import { type Host, startHost } from '../host/host.ts';
import { lockDataDir } from './lock.ts';
import { createMissing, sampleObjects } from './sample.ts';

export const PLATFORMS = ['local', 'aws', 'gcp', 'azure', 'openstack', 'vsphere', 'baremetal'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface EmbeddedOptions {
  dataDir: string;
  /** 0 = any free port. */
  port: number;
  platform: Platform;
  sample: boolean;
  sampleReplicas?: number;
  /** Simulated boot time of local instances. */
  bootDelayMs?: number;
  log?: Logger;
  /** Period of the drift check (resync of every object + orphan scan). */
  driftIntervalMs?: number;
}

export interface Embedded {
  api: ApiServer;
  kube: KubeClient;
  bus: InProcessBus;
  cloud: LocalCloud;
  host: Host;
  dataDir: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  readonly port: number;
  constructor(port: number) {
    super(`port ${port} on 127.0.0.1 is already in use; choose another with --port N (or --port 0 for any free port)`);
    this.name = 'PortInUseError';
    this.port = port;
  }
}

const PROVIDER_OF: Record<Platform, ProviderName> = {
  local: 'local',
  aws: 'aws',
  gcp: 'gcp',
  azure: 'azure',
  openstack: 'openstack',
  vsphere: 'vsphere',
  baremetal: 'metal3',
};

export function connectionFor(api: ApiServer): Connection {
  return {
    server: api.url,
    ca: api.caPem,
    namespace: 'default',
    credentials: async () => ({ headers: { authorization: `Bearer ${api.token}` } }),
    description: 'embedded API server',
  };
}

export async function startEmbedded(o: EmbeddedOptions): Promise<Embedded> {
  const log = o.log ?? silentLogger;
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [release];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    // What an OpenShift cluster already serves (config.openshift.io, the Machine API) plus capi-fn's kinds.
    const kinds = new Set([
      ...openshiftKinds,
      ...coreKinds,
      ...providerKinds.local,
      ...providerKinds[PROVIDER_OF[o.platform]],
    ]);
    const crds = [...kinds].map((k) => toCrd(k));
    let api: ApiServer;
    try {
      api = await startApiServer({
        dataDir: join(dataDir, 'apiserver'),
        port: o.port,
        crds,
        logger: (l) => log.debug({}, l),
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(o.port);
      throw e;
    }
    cleanups.push(() => api.stop());
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfigPath);
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'capi-fn-up' });
    const cloud = new LocalCloud({
      kube,
      stateFile: join(dataDir, 'local-cloud.json'),
      defaultBootDelayMs: o.bootDelayMs ?? 3_000,
      log,
    });
    cleanups.push(() => cloud.close());
    const bus = new InProcessBus({ concurrency: 16, serializeBySubject: true, maxAttempts: 12 });
    cleanups.push(() => bus.close());
    const handlers = [...coreHandlers, ...localProviderHandlers(() => cloud)];
    const host = await startHost({
      kube,
      bus,
      handlers,
      log,
      source: 'capi-fn/embedded',
      checkpoint: { namespace: 'kube-system', name: 'capi-fn-bridge' },
    });
    cleanups.push(() => host.stop());

    // A restart may have dropped delayed events that lived only in memory: resync everything once.
    const drift = () =>
      runDriftCheck({
        kube,
        bus,
        kinds: host.kinds,
        source: 'capi-fn/drift',
        scanners: [localOrphanScanner(cloud)],
        log,
      }).catch((e: unknown) => log.warn({ err: String(e) }, 'drift check failed'));
    await drift();
    const timer = setInterval(() => void drift(), o.driftIntervalMs ?? 5 * 60_000);
    cleanups.push(() => clearInterval(timer));

    // The sample is applied once per data folder: what the user deletes or changes later stays so.
    const marker = join(dataDir, 'sample-applied');
    if (o.sample && o.platform === 'local' && !existsSync(marker)) {
      await createMissing(kube, sampleObjects({ replicas: o.sampleReplicas ?? 3 }));
      writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    return {
      api,
      kube,
      bus,
      cloud,
      host,
      dataDir,
      kubeconfigPath,
      stop: undo,
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
