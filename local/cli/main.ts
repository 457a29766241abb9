// `capi-fn` command line. Each command lives in its own module under ./commands and registers itself.
import { Command } from 'commander';
import { commands } from './commands/index.ts';
import { ExitCodes } from './exit-codes.ts';
import { describeFailure } from './failure.ts';

const program = new Command('capi-fn')
  .description('Cluster API machine management as event-driven functions')
  .option(
    '--kubeconfig <path>',
    "kubeconfig file (default: $KUBECONFIG, else the pod's service account in a cluster, else ~/.kube/config)",
  )
  .option('--context <name>', 'kubeconfig context to use')
  // A usage error is its one line and where the usage is, not the whole help (issue 22).
  .showHelpAfterError('(run it with --help for its usage)')
  .configureHelp({ showGlobalOptions: true })
  // Help and version exit 0; every usage error exits 2 (see README, "Exit codes").
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // One line saying what is wrong and what to do, never a stack trace (CAPI_FN_DEBUG=1 shows it).
  process.stderr.write(`capi-fn: ${describeFailure(e)}\n`);
  if (process.env.CAPI_FN_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  process.exit(ExitCodes.failure);
}
