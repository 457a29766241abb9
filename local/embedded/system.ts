// The embedded default in one process: the API server on a persistent data folder, the in-process
// bus, the bridge, every handler, the local provider's simulated cloud, the periodic drift check, and
// the sample. `capi-fn up` (npm start) drives it; tests start it in-process.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import { operatorHandler, operatorResyncEvent, seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { OPERATOR_FIELD_MANAGER } from '../../functions/operator/install.ts';
import { syncWebhookToken } from '../../functions/operator/sync-webhook-token.ts';
import {
  desiredMutatingConfiguration,
  desiredValidatingConfiguration,
  registeredToken,
  WEBHOOK_CONFIGURATION_NAME,
  type WebhookEndpoint,
} from '../../functions/operator/webhook-config.ts';
import { providerForCliPlatform } from '../../functions/providers/index.ts';
import type { EmbeddedProvider } from '../../functions/providers/kit/module.ts';
import { scannersFor } from '../../functions/providers/kit/orphans.ts';
import type { LocalCloud } from '../../functions/providers/local/cloud.ts';
import { runtimes } from '../../functions/providers/runtimes.ts';
import { coreHandlers } from '../../functions/registry.ts';
import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { CLUSTER_SINGLETON_NAME, CONFIG_API_VERSION, type FeatureSet } from '../../shared/api/openshift/constants.ts';
import { openshiftKinds } from '../../shared/api/registry.ts';
import { InProcessBus } from '../../shared/bus/in-process.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { KubeError } from '../../shared/kube/errors.ts';
import type { Connection } from '../../shared/kube/kubeconfig.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import type { HandlerDefinition } from '../../shared/runtime/handler.ts';
import { type Logger, silentLogger } from '../../shared/runtime/logger.ts';
import type { ApiServer } from '../apiserver/index.ts';
import { startApiServerInWorker } from '../apiserver/worker.ts';
import { type Host, startHost } from '../host/host.ts';
import { startWebhookServer, type WebhookServer, type WebhookTls } from '../webhook-server.ts';
import { lockDataDir } from './lock.ts';
import { ensurePrivateDir, makePrivate } from './private-files.ts';
import { createMissing, SAMPLE_NAMESPACE, sampleObjects } from './sample.ts';
import { type Platform, planSeed, platformTypeOf, type SeedFeatureSet, type SeedPlan } from './seed-plan.ts';

export { FEATURE_SETS, PLATFORMS, type Platform, type SeedFeatureSet } from './platforms.ts';

export interface EmbeddedOptions {
  dataDir: string;
  /** 0 = any free port. */
  port: number;
  /** Absent: what the data folder was seeded with (local on the first start). */
  platform?: Platform;
  /** Absent: what the data folder was seeded with (TechPreviewNoUpgrade on the first start). */
  featureSet?: SeedFeatureSet;
  /** Apply the sample machine template and MachineSet once the operator has made the Cluster (local platform). */
  sample: boolean;
  sampleReplicas?: number;
  /** Simulated boot time of local instances. */
  bootDelayMs?: number;
  log?: Logger;
  /** Period of the drift check (resync of every object + orphan scan) and of the operator's schedule. */
  driftIntervalMs?: number;
  /** Register a Ready Node for every running instance, as a kubelet would after ignition (clouds without kubelets). */
  simulateNodes?: boolean;
  /** Bare metal: how many simulated BareMetalHosts to register. */
  hosts?: number;
}

export interface Embedded {
  api: ApiServer;
  kube: KubeClient;
  bus: InProcessBus;
  /** The simulated cloud (local platform only). */
  cloud: LocalCloud | undefined;
  host: Host;
  operatorBus: InProcessBus;
  operatorHost: Host;
  webhook: WebhookServer;
  /** What was seeded: platform, feature set and the cluster ID (the Cluster's name). */
  seed: SeedPlan;
  /** Settles once the sample is in place (or at once when there is none to apply). */
  sampleApplied: Promise<void>;
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

/** The data folder's FeatureGate says no to the seed (TechPreviewNoUpgrade cannot be undone, as on OpenShift). */
export class SeedRejectedError extends Error {
  constructor(plan: SeedPlan, why: string) {
    super(
      `the data folder's OpenShift objects cannot be changed to platform ${plan.platform}, feature set ${plan.featureSet}: ` +
        `${why}. Start without --feature-set/--platform to keep what it has, or use a fresh --data-dir`,
    );
    this.name = 'SeedRejectedError';
  }
}

/** An admission webhook said no (not any 400: a plain bug must not read as "use a fresh data folder"). */
function isAdmissionDenial(e: unknown): e is KubeError {
  return e instanceof KubeError && /admission webhook .* denied the request/.test(e.message);
}

export function connectionFor(api: ApiServer): Connection {
  return {
    server: api.url,
    ca: api.caPem,
    namespace: 'default',
    credentials: async () => ({ headers: { authorization: `Bearer ${api.token}` } }),
    description: 'embedded API server',
  };
}

interface WebhookState extends WebhookTls {
  port: number;
}

/** The webhook server on the port and certificate of the previous run, so its registration stays valid. */
async function startPersistentWebhook(
  dataDir: string,
  kube: KubeClient,
  log: Logger,
  cleanups: Array<() => Promise<void> | void>,
): Promise<WebhookServer> {
  const file = join(dataDir, 'webhook.json');
  let saved: WebhookState | undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<WebhookState>;
    const pem = (v: unknown) => typeof v === 'string' && v.includes('-----BEGIN');
    // Anything incomplete is replaced with fresh material rather than served (every TLS handshake would fail).
    saved =
      pem(raw.caPem) && pem(raw.certPem) && pem(raw.keyPem) && Number.isInteger(raw.port)
        ? (raw as WebhookState)
        : undefined;
  } catch {
    saved = undefined;
  }
  let server: WebhookServer;
  try {
    server = await startWebhookServer({ kube, log, port: saved?.port ?? 0, ...(saved ? { tls: saved } : {}) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    // Taken by something else now: any free port; startEmbedded re-points the registered configurations.
    log.warn({ port: saved?.port }, 'webhook port of the previous run is in use; using another');
    server = await startWebhookServer({ kube, log, ...(saved ? { tls: saved } : {}) });
  }
  cleanups.push(() => server.stop());
  const state: WebhookState = { ...server.tls, port: Number(new URL(server.url).port) };
  writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
  makePrivate(file);
  return server;
}

/**
 * Points the webhook configurations a previous run registered (if any) at this run's server, with the token the
 * operator would register (made now when a data folder from before tokens has none: its configurations would
 * otherwise be refused, and with them the seed's own writes).
 */
async function repointWebhooks(kube: KubeClient, ep: WebhookEndpoint): Promise<void> {
  const kinds = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
  const existing = await Promise.all(
    kinds.map((kind) =>
      kube.find({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name: WEBHOOK_CONFIGURATION_NAME }),
    ),
  );
  if (!existing.some(Boolean)) return;
  const token = await syncWebhookToken(kube, new Date(), existing.map(registeredToken).find(Boolean));
  for (const desired of [
    desiredMutatingConfiguration(ep, token.register),
    desiredValidatingConfiguration(ep, token.register),
  ]) {
    // Applied as the operator, so its own next apply finds nothing to change.
    if (existing[kinds.indexOf(desired.kind!)])
      await kube.apply(desired, { fieldManager: OPERATOR_FIELD_MANAGER, force: true });
  }
}

async function readSeededState(kube: KubeClient) {
  const infra = await kube.find<
    KubeObject & { status?: { infrastructureName?: string; platformStatus?: { type?: string } } }
  >({ apiVersion: CONFIG_API_VERSION, kind: 'Infrastructure', name: CLUSTER_SINGLETON_NAME });
  const fg = await kube.find<KubeObject & { spec?: { featureSet?: FeatureSet } }>({
    apiVersion: CONFIG_API_VERSION,
    kind: 'FeatureGate',
    name: CLUSTER_SINGLETON_NAME,
  });
  return {
    ...(infra?.status?.platformStatus?.type !== undefined ? { platformType: infra.status.platformStatus.type } : {}),
    ...(infra?.status?.infrastructureName ? { infrastructureName: infra.status.infrastructureName } : {}),
    ...(fg ? { featureSet: fg.spec?.featureSet ?? '' } : {}),
  };
}

/**
 * Applies the sample machine template and MachineSet once the operator has created the Cluster they belong to
 * (it does so only under TechPreviewNoUpgrade, so with the Default feature set this waits until the user turns
 * it on). Once per data folder: what the user deletes or changes later stays so.
 */
async function applySampleWhenReady(o: {
  kube: KubeClient;
  infrastructureName: string;
  replicas: number;
  marker: string;
  stopped: () => boolean;
  log: Logger;
}): Promise<void> {
  const objects = sampleObjects({ cluster: o.infrastructureName, replicas: o.replicas, withoutCluster: true }).filter(
    (x) => x.kind === 'LocalMachineTemplate' || x.kind === 'MachineSet',
  );
  let lastError = '';
  while (!o.stopped()) {
    try {
      const cluster = await o.kube.find({
        apiVersion: CAPI_API_VERSION,
        kind: 'Cluster',
        namespace: SAMPLE_NAMESPACE,
        name: o.infrastructureName,
      });
      if (cluster) {
        const created = await createMissing(o.kube, objects);
        writeFileSync(o.marker, `${new Date().toISOString()}\n`);
        o.log.info({ created }, 'sample applied');
        return;
      }
    } catch (e) {
      // Kinds not served yet, a webhook not registered yet: the operator is still installing.
      const msg = String((e as Error).message ?? e);
      if (msg !== lastError) o.log.info({ err: msg }, 'sample not applied yet; retrying');
      lastError = msg;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function startEmbedded(o: EmbeddedOptions): Promise<Embedded> {
  const log = o.log ?? silentLogger;
  const dataDir = resolve(o.dataDir);
  const openFolder = ensurePrivateDir(dataDir);
  if (openFolder) log.warn({ dataDir }, openFolder);
  const release = lockDataDir(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [release];
  // The API server's own folder too: `capi-fn apiserver --data-dir DIR/apiserver` beside a running `up` would
  // write the same log (two writers corrupted it in the audit), and it takes this lock file.
  const apiDir = join(dataDir, 'apiserver');
  mkdirSync(apiDir, { recursive: true, mode: 0o700 });
  try {
    cleanups.push(lockDataDir(apiDir));
  } catch (e) {
    release();
    throw e;
  }
  let stopped = false;
  const undo = async () => {
    stopped = true;
    for (const c of cleanups.reverse()) await c();
  };
  try {
    // Only what an OpenShift cluster serves before the operator runs (config.openshift.io and the Machine API):
    // the Cluster API kinds are the operator's to install, and only under TechPreviewNoUpgrade.
    let api: ApiServer;
    try {
      // On a thread of its own: the handlers' reconciles and the server's request handling then run on two
      // cores instead of queueing on one event loop (bench/machineset-scale.ts: 0 → 200 Running 10.0 → 7.5 s).
      api = await startApiServerInWorker({
        dataDir: join(dataDir, 'apiserver'),
        port: o.port,
        crds: openshiftKinds.map((k) => toCrd(k)),
        logger: (l) => log.debug({}, l),
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(o.port);
      throw e;
    }
    cleanups.push(() => api.stop());
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfigPath);
    makePrivate(kubeconfigPath);
    // The API server rewrites its own copy on every start, with the mode it had.
    makePrivate(join(dataDir, 'apiserver', 'kubeconfig'));
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'capi-fn-up' });

    const webhook = await startPersistentWebhook(dataDir, kube, log, cleanups);

    const seed = planSeed(await readSeededState(kube), {
      ...(o.platform ? { platform: o.platform } : {}),
      ...(o.featureSet ? { featureSet: o.featureSet } : {}),
    });
    log.info({ ...seed }, seed.reason);
    if (seed.refused) throw new SeedRejectedError(seed, seed.refused);
    // The configurations a previous run registered must reach this run's webhook server (its port may have
    // changed) before the seed or any handler write goes through them; the operator keeps them from then on.
    await repointWebhooks(kube, { url: webhook.url, caPem: webhook.caPem });
    if (seed.write) {
      try {
        await seedOpenShiftObjects(kube, {
          platform: platformTypeOf(seed.platform),
          featureSet: seed.featureSet,
          infrastructureName: seed.infrastructureName,
          apiServerURL: api.url,
          env: process.env,
        });
      } catch (e) {
        if (isAdmissionDenial(e)) throw new SeedRejectedError(seed, e.message);
        throw e;
      }
    }

    // The platform's provider, when it has handlers (the others' infrastructure clusters are marked ready by the
    // operator, and their Machines stay Provisioning until a machine provider exists for them).
    const module = providerForCliPlatform(seed.platform);
    const runtime = module ? runtimes[module.name] : undefined;
    let provider: EmbeddedProvider | undefined;
    if (runtime?.embedded) {
      provider = await runtime.embedded({
        kube,
        dataDir,
        log,
        simulateNodes: Boolean(o.simulateNodes),
        bootDelayMs: o.bootDelayMs,
        hosts: o.hosts,
        env: process.env,
      });
      const started = provider;
      cleanups.push(() => started.stop());
    }
    const cloud = module?.name === 'local' ? (provider?.client as LocalCloud) : undefined;

    const bus = new InProcessBus({ concurrency: 16, serializeBySubject: true, maxAttempts: 12 });
    cleanups.push(() => bus.close());
    const host = await startHost({
      kube,
      bus,
      handlers: [...coreHandlers, ...(provider?.handlers ?? [])],
      log,
      source: 'capi-fn/embedded',
      checkpoint: { namespace: 'kube-system', name: 'capi-fn-bridge' },
      // The Cluster API kinds appear when the operator installs them: notice soon.
      bridgeOptions: { missingKindRetryMs: 1_000 },
    });
    cleanups.push(() => host.stop());

    // The operator runs one invocation at a time, as the real one runs a single leader.
    const operatorBus = new InProcessBus({ concurrency: 1, maxAttempts: 50 });
    cleanups.push(() => operatorBus.close());
    const operatorHost = await startHost({
      kube,
      bus: operatorBus,
      handlers: [
        operatorHandler({
          webhook: { url: webhook.url, caPem: webhook.caPem },
          // The embedded server has a single bearer token and no TokenRequest API.
          kubeconfig: { type: 'static', server: api.url, caPem: api.caPem, token: api.token },
        }) as HandlerDefinition<unknown>,
      ],
      log,
      source: 'capi-fn/embedded',
      checkpoint: { namespace: 'kube-system', name: 'capi-fn-operator-bridge' },
      bridgeOptions: { missingKindRetryMs: 1_000 },
    });
    cleanups.push(() => operatorHost.stop());

    // A restart may have dropped delayed events that lived only in memory: resync everything once, then detect
    // drift on the schedule, which also runs the operator as its periodic resync does.
    let driftMode: 'full' | 'detect' = 'full';
    const drift = async () => {
      const mode = driftMode;
      driftMode = 'detect';
      await operatorBus.publish([operatorResyncEvent('capi-fn/schedule')]).catch(() => undefined);
      const scan = runtime?.orphans;
      const client = provider?.client;
      await (async () =>
        runDriftCheck({
          kube,
          bus,
          kinds: host.kinds,
          mode,
          source: 'capi-fn/drift',
          scanners: scan && module ? await scannersFor(kube, module.kinds.cluster, (c) => scan({ ...c, client })) : [],
          log,
        }))().catch((e: unknown) => log.warn({ err: String(e) }, 'drift check failed'));
    };
    await drift();
    const timer = setInterval(() => void drift(), o.driftIntervalMs ?? 5 * 60_000);
    cleanups.push(() => clearInterval(timer));

    const marker = join(dataDir, 'sample-applied');
    const sampleApplied =
      o.sample && seed.platform === 'local' && !existsSync(marker)
        ? applySampleWhenReady({
            kube,
            infrastructureName: seed.infrastructureName,
            replicas: o.sampleReplicas ?? 3,
            marker,
            stopped: () => stopped,
            log,
          })
        : Promise.resolve();
    return {
      api,
      kube,
      bus,
      cloud,
      host,
      operatorBus,
      operatorHost,
      webhook,
      seed,
      sampleApplied,
      dataDir,
      kubeconfigPath,
      stop: undo,
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
