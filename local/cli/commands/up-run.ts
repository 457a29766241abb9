// The work behind the command, loaded only when it runs (keeps `--help` and the other commands fast).
import { createWriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import { providerForCliPlatform } from '../../../functions/providers/index.ts';
import { ProviderSetupError } from '../../../functions/providers/kit/module.ts';
import { parseDuration } from '../../../shared/reconcile/duration.ts';
import { createLogger } from '../../../shared/runtime/logger.ts';
import { DataDirLockedError } from '../../embedded/lock.ts';
import { touchPrivate } from '../../embedded/private-files.ts';
import { SAMPLE_NAMESPACE } from '../../embedded/sample.ts';
import {
  type Embedded,
  type Platform,
  PortInUseError,
  type SeedFeatureSet,
  SeedRejectedError,
  startEmbedded,
} from '../../embedded/system.ts';
import { ExitCodes } from '../exit-codes.ts';
import { startLiveView } from '../live-view.ts';

export interface UpOptions {
  dataDir: string;
  port: string;
  sample: boolean;
  platform?: Platform;
  featureSet?: SeedFeatureSet;
  simulateNodes: boolean;
  bootDelay: string;
  logLevel: string;
  replicas: string;
  hosts: string;
}

export async function up(opts: UpOptions): Promise<number> {
  const port = Number(opts.port);
  const bootDelayMs = parseDuration(opts.bootDelay);
  const replicas = Number(opts.replicas);
  const hosts = Number(opts.hosts);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usage(`--port ${opts.port}: must be a port number 0-65535`);
  if (bootDelayMs === undefined) return usage(`--boot-delay ${opts.bootDelay}: must be a duration such as 3s or 500ms`);
  if (!Number.isInteger(replicas) || replicas < 0)
    return usage(`--replicas ${opts.replicas}: must be a whole number >= 0`);
  if (!Number.isInteger(hosts) || hosts < 0) return usage(`--hosts ${opts.hosts}: must be a whole number >= 0`);

  const logFile = join(opts.dataDir, 'capi-fn.log');
  let system: Embedded;
  let log: ReturnType<typeof createLogger>;
  try {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    // The log names objects and errors of the cluster: owner-only, like the kubeconfig beside it.
    touchPrivate(logFile);
    log = createLogger({ level: opts.logLevel, destination: createWriteStream(logFile, { flags: 'a' }) });
    system = await startEmbedded({
      dataDir: opts.dataDir,
      port,
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.featureSet ? { featureSet: opts.featureSet } : {}),
      simulateNodes: opts.simulateNodes,
      hosts,
      sample: opts.sample,
      sampleReplicas: replicas,
      bootDelayMs,
      log,
    });
  } catch (e) {
    if (
      e instanceof DataDirLockedError ||
      e instanceof PortInUseError ||
      e instanceof SeedRejectedError ||
      e instanceof ProviderSetupError
    ) {
      process.stderr.write(`capi-fn up: ${e.message}\n`);
      return ExitCodes.failure;
    }
    throw e;
  }
  const rel = relative(process.cwd(), system.kubeconfigPath);
  const kc = rel && !rel.startsWith('..') ? rel : system.kubeconfigPath;
  const out = process.stdout;
  const k = `kubectl --kubeconfig ${kc}`;
  const { platform, featureSet, infrastructureName } = system.seed;
  const next = providerForCliPlatform(platform)?.quickStart?.({ k, infrastructureName, namespace: SAMPLE_NAMESPACE });
  const lines = [
    `capi-fn: embedded Cluster API on ${system.api.url} (platform ${platform}, feature set ${featureSet}, state in ${opts.dataDir})`,
    `kubeconfig: ${kc}`,
    `try:  ${k} get machines.cluster.x-k8s.io -n ${SAMPLE_NAMESPACE}`,
  ];
  if (featureSet !== 'TechPreviewNoUpgrade') {
    lines.push(
      `Cluster API is off: the FeatureGate's feature set is ${featureSet}. Turn it on (it cannot be undone, as on OpenShift):`,
      `      ${k} patch featuregate cluster --type merge -p '{"spec":{"featureSet":"TechPreviewNoUpgrade"}}'`,
    );
  } else if (next?.length) {
    lines.push(...next);
  } else {
    lines.push(
      `the operator creates Cluster ${infrastructureName}; write a machine template and a MachineSet for it (README: "Other platforms")`,
    );
  }
  lines.push(
    `      ${k} get clusteroperator cluster-api`,
    `logs: ${logFile}`,
    'Ctrl-C stops; the next run continues from the same state.',
    '',
    '',
  );
  // The handlers go in before the banner: whoever reads it may signal at once.
  const signalled = new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: the user does not want to wait for a clean stop.
        process.exit(130);
      }
      stopping = true;
      out.write(`\ncapi-fn: ${sig}, stopping (state kept in ${opts.dataDir})\n`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  out.write(lines.join('\n'));
  const view = startLiveView(system.kube, { out, tty: Boolean(out.isTTY) });
  await signalled;
  await view.stop();
  await system.stop();
  out.write('capi-fn: stopped\n');
  return ExitCodes.ok;
}

function usage(message: string): number {
  process.stderr.write(`capi-fn up: ${message}\n`);
  return ExitCodes.usage;
}
