// `capi-fn doctor`: is this cluster ready for capi-fn? Each check prints with its fix.
import type { Command } from 'commander';
import { clientFromCommand } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check API reachability and auth, CRDs, feature set, platform, webhooks and provider credentials')
    .action(async (_opts: unknown, cmd: Command) => {
      let kube: ReturnType<typeof clientFromCommand>;
      try {
        kube = clientFromCommand(cmd);
      } catch (e) {
        process.stdout.write(
          `FAIL kubeconfig: ${(e as Error).message}\n     fix: pass --kubeconfig (for the embedded default: .capi-fn/kubeconfig)\n`,
        );
        process.exitCode = ExitCodes.failure;
        return;
      }
      // Loaded here: the checks compare CRDs with the schemas, which --help and other commands need not load.
      const { runChecks } = await import('../doctor-checks.ts');
      const results = await runChecks(kube);
      for (const r of results) {
        process.stdout.write(`${MARK[r.status]} ${r.name}: ${r.detail}\n`);
        if (r.fix && r.status !== 'ok') process.stdout.write(`     fix: ${r.fix}\n`);
      }
      process.exitCode = results.some((r) => r.status === 'fail') ? ExitCodes.failure : ExitCodes.ok;
    });
}
