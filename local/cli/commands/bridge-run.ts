// The work behind the command, loaded only when it runs (keeps `--help` and the other commands fast).
import type { Command } from 'commander';
import { Bridge } from '../../../functions/bridge/bridge.ts';
import { defaultCheckpoint, defaultSource, deployedWatchedKinds } from '../../../functions/bridge/deployed.ts';
import { type Bus, createBus } from '../../../shared/bus/index.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { createLogger } from '../../../shared/runtime/logger.ts';
import { startHealthServer } from '../bridge-health.ts';
import { parseBusOption } from '../bus-option.ts';
import { clientFromCommand } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';
import { describeFailure } from '../failure.ts';
import { BUS_ENV } from './bridge.ts';

export interface BridgeCommandOptions {
  bus?: string;
  checkpointNamespace?: string;
  checkpointName: string;
  source?: string;
  healthPort?: number;
  logLevel?: string;
}

export async function runBridge(opts: BridgeCommandOptions, cmd: Command): Promise<number> {
  const busText = opts.bus ?? process.env[BUS_ENV];
  if (!busText) return usage(`no bus configured: pass --bus <json|@file> or set ${BUS_ENV}`);
  const bus = parseBusOption(busText);
  if (!bus.ok) return usage(bus.error);
  if (bus.config.kind === 'in-process') {
    return usage(
      'the in-process bus delivers only to handlers in the same process, and a standalone bridge has none; ' +
        'use eventbridge, pubsub, azure-queue or eventgrid (`capi-fn up` runs the bridge with the in-process bus and every handler)',
    );
  }
  const log = createLogger({
    name: 'capi-fn-bridge',
    destination: process.stdout,
    ...(opts.logLevel ? { level: opts.logLevel } : {}),
  });
  let kube: KubeClient;
  try {
    kube = clientFromCommand(cmd, { fieldManager: 'capi-fn-bridge' });
  } catch (e) {
    log.error({ err: describeFailure(e) }, `no cluster to watch: ${describeFailure(e)}`);
    return ExitCodes.failure;
  }

  const checkpoint = {
    namespace: opts.checkpointNamespace ?? defaultCheckpoint().namespace,
    name: opts.checkpointName,
  };
  const source = opts.source ?? defaultSource();
  const kinds = deployedWatchedKinds();
  let publisher: Bus;
  try {
    publisher = await createBus(bus.config);
  } catch (e) {
    log.error({ err: (e as Error).message, bus: bus.config.kind }, 'bus could not be created');
    return ExitCodes.failure;
  }
  const bridge = new Bridge({ kube, bus: publisher, kinds, source, checkpoint, log });

  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const startedAt = new Date().toISOString();
  const health =
    opts.healthPort === undefined
      ? undefined
      : await startHealthServer(opts.healthPort, {
          ready: () => phase === 'running',
          report: () => ({ phase, startedAt, kinds: kinds.length, ...bridge.stats }),
        }).catch((e: unknown) => {
          log.error({ err: String(e), port: opts.healthPort }, 'health endpoint could not listen');
          return null;
        });
  if (health === null) {
    await publisher.close();
    return ExitCodes.failure;
  }
  if (health) log.info({ port: health.port }, 'health endpoint listening (/healthz, /readyz)');

  // Listening before start: a SIGTERM while the checkpoint loads still ends in a clean stop.
  let stoppedWhileStarting: NodeJS.Signals | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (phase === 'stopping') {
        log.warn({ signal: sig }, 'second signal: exiting without saving the checkpoint');
        process.exit(130);
      }
      if (phase === 'starting') {
        // Still waiting for the API server to give the resume point: nothing to save, so stop waiting.
        stoppedWhileStarting = sig;
        void bridge.crash();
      }
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  let code: number = ExitCodes.ok;
  try {
    await bridge.start();
    phase = 'running';
    log.info(
      { kinds: kinds.length, bus: bus.config.kind, checkpoint: `${checkpoint.namespace}/${checkpoint.name}`, source },
      'bridge running',
    );
    const signal = await signalled;
    phase = 'stopping';
    log.info({ signal }, 'stopping: publishing what is buffered, then saving the checkpoint');
    await bridge.stop();
    log.info({ ...bridge.stats }, 'bridge stopped');
  } catch (e) {
    if (stoppedWhileStarting)
      log.info(
        { signal: stoppedWhileStarting, err: String(e) },
        'stopped before the checkpoint was read; nothing to save',
      );
    else {
      // Typically the checkpoint: the ServiceAccount lacks the Role, or the credentials are refused.
      log.error({ err: String(e) }, `bridge failed: ${describeFailure(e)}`);
      await bridge.crash().catch(() => {});
      code = ExitCodes.failure;
    }
  }
  await health?.close();
  await publisher.close();
  return code;
}

function usage(message: string): number {
  process.stderr.write(`capi-fn bridge: ${message}\n`);
  return ExitCodes.usage;
}
