// `capi-fn invoke <handler> --event <file>`: run one handler once, exactly as a cloud function would, against the
// cluster in the kubeconfig. Only the flags live here; the handlers load when the command runs.
import type { Command } from 'commander';
import type { InvokeOptions } from './invoke-run.ts';

/** What `invoke` runs, for --help without loading every handler; invoke-run.test.ts keeps it true. */
export const INVOKABLE = [
  'cluster',
  'machineset',
  'machine',
  'machinehealthcheck',
  'aws-cluster',
  'aws-machine',
  'gcp-cluster',
  'gcp-machine',
  'azure-cluster',
  'azure-machine',
  'openstack-cluster',
  'openstack-machine',
  'vsphere-cluster',
  'vsphere-machine',
  'metal3-cluster',
  'metal3-machine',
  'cluster-capi-operator',
  'drift',
  'webhooks',
] as const;

export function registerInvoke(program: Command): void {
  program
    .command('invoke')
    .description(`run one handler once against the cluster in the kubeconfig (${INVOKABLE.join(', ')})`)
    .argument('<handler>', 'handler name')
    .requiredOption(
      '--event <file>',
      'event JSON (a CloudEvent as the bus delivers it, or an AdmissionReview for webhooks; see events/)',
    )
    .option('--mode <mode>', 'webhooks: validate or mutate', 'validate')
    .option('--attempt <n>', 'delivery attempt number to report to the handler', '1')
    .action(async (name: string, opts: InvokeOptions, cmd: Command) => {
      process.exitCode = await (await import('./invoke-run.ts')).invoke(name, opts, cmd);
    });
}
