// `capi-fn bridge`: the watch bridge as a long-lived process (the in-cluster Deployment in
// infra/bridge/): lists and watches every kind the deployed handlers declare, publishes one CloudEvent
// per change to the bus in --bus and keeps its resume point in a ConfigMap. It runs until SIGTERM or
// SIGINT, then publishes what it holds, saves the checkpoint and exits 0. Logs are JSON on stdout.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CHECKPOINT_NAME } from '../../../functions/bridge/defaults.ts';
import type { BridgeCommandOptions } from './bridge-run.ts';

export const BUS_ENV = 'CAPI_FN_BUS_CONFIG';

export function registerBridge(program: Command): void {
  program
    .command('bridge')
    .description(
      'run the watch bridge until SIGTERM: every kind the handlers watch, one CloudEvent per change on the bus, resuming from its checkpoint ConfigMap',
    )
    .option(
      '--bus <json|@file>',
      `bus configuration (eventbridge, pubsub, azure-queue or eventgrid) as JSON or @file (default: $${BUS_ENV})`,
    )
    .option(
      '--checkpoint-namespace <ns>',
      'namespace of the checkpoint ConfigMap (default: $CAPI_FN_NAMESPACE, else openshift-cluster-api)',
    )
    .option('--checkpoint-name <name>', 'name of the checkpoint ConfigMap', DEFAULT_CHECKPOINT_NAME)
    .option('--source <uri>', 'CloudEvents source naming this cluster (default: $CAPI_FN_SOURCE, else capi-fn/bridge)')
    .option('--health-port <n>', 'serve /healthz and /readyz on this port (0 = any free port; default: off)', port)
    .addOption(
      new Option('--log-level <level>', 'log level (default: $CAPI_FN_LOG_LEVEL, else info)').choices([
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .action(async (opts: BridgeCommandOptions, cmd: Command) => {
      // Explicit exit: the bus SDKs' and the Kubernetes client's keep-alive sockets must not hold the pod.
      process.exit(await (await import('./bridge-run.ts')).runBridge(opts, cmd));
    });
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port: ${v}`);
  return n;
}
