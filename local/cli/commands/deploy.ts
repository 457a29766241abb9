// `capi-fn deploy <aws|azure|gcp|knative> [--dry-run]`: what would be deployed on a host, rendered from the handler
// declarations, and what it expects; without --dry-run, the host's own tool runs it (osls, az, gcloud, kubectl)
// after every prerequisite is checked. A missing tool, setting or login is one line each with its fix, exit 1.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { clientFromCommand, embeddedFallback } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const HOSTS = ['aws', 'azure', 'gcp', 'knative'];

interface DeployOptions {
  dryRun?: boolean;
  out?: string;
}

function summary(path: string, text: string): string {
  const kinds = [...text.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
  const arm = path.endsWith('azuredeploy.json') ? (JSON.parse(text) as { resources: unknown[] }).resources.length : 0;
  const what = kinds.length
    ? `${kinds.length} object${kinds.length === 1 ? '' : 's'}`
    : arm
      ? `${arm} ARM resources`
      : `${text.split('\n').length - 1} lines`;
  return `  ${path.padEnd(42)} ${what}`;
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('render (--dry-run) or deploy capi-fn on a host: aws, azure, gcp or knative')
    .argument('<host>', `where to deploy: ${HOSTS.join(', ')}`)
    .option('--dry-run', 'print what would be deployed and what it expects; change nothing')
    .option('--out <dir>', 'with --dry-run: also write the rendered files under this folder')
    .action(async (host: string, opts: DeployOptions, cmd: Command) => {
      if (!HOSTS.includes(host)) cmd.error(`capi-fn: unknown host "${host}": choose one of ${HOSTS.join(', ')}`);
      // Loaded here: rendering reads every handler declaration, which other commands need not load.
      const { deployTargets, staleInCheckout } = await import('../../../scripts/deploy/targets.ts');
      const target = deployTargets.find((t) => t.name === host)!;
      const env = { ...process.env };
      const kubeconfig = (cmd.optsWithGlobals() as { kubeconfig?: string }).kubeconfig;
      if (kubeconfig) env.KUBECONFIG = kubeconfig;
      const files = target.render();
      if (opts.dryRun) {
        process.stdout.write(`capi-fn on ${host}: ${files.size} files rendered from the handler declarations\n`);
        for (const [f, text] of files) process.stdout.write(`${summary(f, text)}\n`);
        const stale = staleInCheckout(target, ROOT);
        if (stale.length)
          process.stdout.write(`the checkout's copies differ for ${stale.join(', ')}: run \`npm run gen:deploy\`\n`);
        process.stdout.write('it expects:\n');
        for (const e of target.expects) process.stdout.write(`  - ${e}\n`);
        const commands = target.commands(env, ROOT);
        process.stdout.write(
          `without --dry-run it runs: ${commands.map(({ cmd: c, args }) => [c, ...args].join(' ')).join(' && ')}\n`,
        );
        if (opts.out) {
          for (const [f, text] of files) {
            mkdirSync(dirname(join(opts.out, f)), { recursive: true });
            writeFileSync(join(opts.out, f), text);
          }
          process.stdout.write(`wrote ${files.size} files under ${opts.out}\n`);
        }
        process.exitCode = ExitCodes.ok;
        return;
      }
      if (opts.out) cmd.error('capi-fn: --out goes with --dry-run (a deployment runs from the checkout)');
      if (target.tool === 'kubectl') {
        // The kubeconfig every other command would use, checked the same way (a missing or broken one is main's
        // one line), and handed to kubectl, so kubectl never falls back to localhost:8080.
        clientFromCommand(cmd);
        const embedded = env.KUBECONFIG ? undefined : embeddedFallback(process.env, process.cwd(), homedir());
        if (embedded) env.KUBECONFIG = embedded;
      }
      const problems = [
        ...staleInCheckout(target, ROOT).map(
          (f) => `${f} differs from the handler declarations: run \`npm run gen:deploy\` (or gen:serverless, gen:rbac)`,
        ),
        ...target.preflight(env, ROOT),
      ];
      if (problems.length) {
        for (const p of problems) process.stderr.write(`capi-fn deploy ${host}: ${p}\n`);
        process.exitCode = ExitCodes.failure;
        return;
      }
      let code = 0;
      for (const { cmd: c, args } of target.commands(env, ROOT)) {
        process.stderr.write(`capi-fn deploy ${host}: running ${[c, ...args].join(' ')}\n`);
        code = await new Promise<number>((resolve) => {
          const child = spawn(c, args, { env, stdio: 'inherit', cwd: ROOT });
          child.on('error', (e) => {
            process.stderr.write(`capi-fn deploy ${host}: could not start ${c}: ${e.message}\n`);
            resolve(1);
          });
          child.on('exit', (status) => resolve(status ?? 1));
        });
        if (code !== 0) break;
      }
      process.exitCode = code === 0 ? ExitCodes.ok : ExitCodes.failure;
    });
}
