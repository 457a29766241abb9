// `capi-fn emulator gcp`: the Compute Engine emulator (test/emulators/gce) in the foreground, so `npm start --
// --platform gcp`, gcloud and the examples have a Compute Engine without a Google account. State is in memory.
import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../../../shared/reconcile/duration.ts';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port: ${v} (0-65535)`);
  return n;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number >= 1: ${v}`);
  return n;
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description(
      'run a cloud emulator in the foreground (state in memory): gcp = Compute Engine v1, which gcloud accepts',
    )
    .argument('<cloud>', 'gcp')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 8090)
    .option(
      '--step <duration>',
      'time between instance states (PROVISIONING → STAGING → RUNNING) and until an operation is DONE',
      '2s',
    )
    .option('--cpu-quota <n>', 'vCPUs per region before an insert fails with QUOTA_EXCEEDED', count, 1000)
    .action(async (cloud: string, opts: { port: number; step: string; cpuQuota: number }) => {
      if (cloud !== 'gcp') {
        process.stderr.write(`capi-fn emulator: unknown cloud "${cloud}"; choose gcp\n`);
        process.exitCode = 2;
        return;
      }
      const stepMs = parseDuration(opts.step);
      if (stepMs === undefined) {
        process.stderr.write(`capi-fn emulator: --step ${opts.step}: must be a duration such as 2s or 500ms\n`);
        process.exitCode = 2;
        return;
      }
      const { startGceEmulator } = await import('../../../test/emulators/gce/server.ts');
      let gce: Awaited<ReturnType<typeof startGceEmulator>>;
      try {
        gce = await startGceEmulator({ port: opts.port, stepMs, cpuQuota: opts.cpuQuota });
      } catch (e) {
        const busy = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        process.stderr.write(
          `capi-fn emulator: ${busy ? `port ${opts.port} is in use; pick another with --port` : (e as Error).message}\n`,
        );
        process.exitCode = 1;
        return;
      }
      const stop = async () => {
        await gce.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      process.stdout.write(
        [
          `Compute Engine emulator on ${gce.endpoint} (state in memory; Ctrl-C stops)`,
          `capi-fn:  export CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=${gce.endpoint}`,
          `gcloud:   gcloud config set api_endpoint_overrides/compute ${gce.endpoint}`,
          '          gcloud config set auth/disable_credentials true',
          '',
        ].join('\n'),
      );
    });
}
