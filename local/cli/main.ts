// `capi-fn` command line. Each command lives in its own module under ./commands and registers itself.
import { Command } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command('capi-fn')
  .description('Cluster API machine management as event-driven functions')
  .option(
    '--kubeconfig <path>',
    "kubeconfig file (default: $KUBECONFIG, else the pod's service account in a cluster, else ~/.kube/config)",
  )
  .option('--context <name>', 'kubeconfig context to use')
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true })
  // Help and version exit 0; every usage error exits 2 (see README, "Exit codes").
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

for (const register of commands) register(program);

await program.parseAsync(process.argv);
