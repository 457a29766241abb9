// `capi-fn emulator gcp`: the Compute Engine emulator (test/emulators/gce), which gcloud accepts.
import type { Command } from 'commander';
import { parseDuration } from '../../../../shared/reconcile/duration.ts';
import { count, port, runForeground } from './options.ts';

export function registerGcpEmulator(parent: Command): void {
  parent
    .command('gcp')
    .description('Compute Engine v1 (plain http, no credentials), which gcloud accepts')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 8090)
    .option(
      '--step <duration>',
      'time between instance states (PROVISIONING → STAGING → RUNNING) and until an operation is DONE',
      '2s',
    )
    .option('--cpu-quota <n>', 'vCPUs per region before an insert fails with QUOTA_EXCEEDED', count, 1000)
    .action(async (opts: { port: number; step: string; cpuQuota: number }) => {
      const stepMs = parseDuration(opts.step);
      if (stepMs === undefined) {
        process.stderr.write(`capi-fn emulator gcp: --step ${opts.step}: must be a duration such as 2s or 500ms\n`);
        process.exitCode = 2;
        return;
      }
      const { startGceEmulator } = await import('../../../../test/emulators/gce/server.ts');
      let endpoint = '';
      await runForeground(
        'gcp',
        async () => {
          const gce = await startGceEmulator({ port: opts.port, stepMs, cpuQuota: opts.cpuQuota });
          endpoint = gce.endpoint;
          return gce;
        },
        () => [
          `Compute Engine emulator on ${endpoint} (state in memory; Ctrl-C stops)`,
          `capi-fn:  export CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=${endpoint}`,
          `gcloud:   gcloud config set api_endpoint_overrides/compute ${endpoint}`,
          '          gcloud config set auth/disable_credentials true',
        ],
        opts.port,
      );
    });
}
