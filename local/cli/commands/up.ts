// `capi-fn up` (what `npm start` runs): the embedded default with a live view of Machines. Only the flags
// live here; the system loads when the command runs.
import { type Command, Option } from 'commander';
import { FEATURE_SETS, PLATFORMS } from '../../embedded/platforms.ts';
import type { UpOptions } from './up-run.ts';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'run the embedded default: API server, operator, webhooks, bus, every handler and the simulated local cloud, with a live view',
    )
    .option('--data-dir <dir>', 'where state is kept between runs (the kubeconfig is DIR/kubeconfig)', '.capi-fn')
    .option('--port <n>', 'API server port on 127.0.0.1 (0 = any free port)', '6443')
    .option('--no-sample', 'do not apply the sample LocalMachineTemplate and MachineSet')
    .addOption(
      new Option(
        '--platform <name>',
        'platform of the seeded Infrastructure (default: what DIR has, local on the first start)',
      ).choices([...PLATFORMS]),
    )
    .addOption(
      new Option(
        '--feature-set <set>',
        'FeatureGate feature set (default: what DIR has, TechPreviewNoUpgrade on the first start); Cluster API runs only under TechPreviewNoUpgrade',
      ).choices([...FEATURE_SETS]),
    )
    .option(
      '--simulate-nodes',
      'clouds without kubelets (aws on moto, emulators): register a Ready Node for each running instance',
      false,
    )
    .option('--boot-delay <duration>', 'simulated boot time of a local instance', '3s')
    .option('--replicas <n>', 'replicas of the sample MachineSet', '3')
    .option(
      '--hosts <n>',
      'baremetal: simulated BareMetalHosts to register (the simulated baremetal-operator moves them)',
      '3',
    )
    .addOption(
      new Option('--log-level <level>', 'log level of DIR/capi-fn.log')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (opts: UpOptions) => {
      process.exitCode = await (await import('./up-run.ts')).up(opts);
    });
}
