// `capi-fn doctor` on GCP: the endpoint gcloud users set is checked for an answer, and a plain-http endpoint
// (the emulator) needs no credentials.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcpProvider } from '../../../functions/providers/gcp/index.ts';
import { startGceEmulator } from '../../emulators/gce/server.ts';

describe('GCP doctor checks', () => {
  it('an answering endpoint is ok; after it stops, a failure naming the variable and the fix', async () => {
    const gce = await startGceEmulator();
    const env = { CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: gce.endpoint };
    expect(await gcpProvider.endpointCheck!(env)).toMatchObject({
      status: 'ok',
      detail: `${gce.endpoint} answers (HTTP 200)`,
    });
    expect(gcpProvider.credentialCheck!(env)).toMatchObject({ status: 'ok' });
    await gce.stop();
    const down = await gcpProvider.endpointCheck!(env);
    expect(down).toMatchObject({ status: 'fail', fix: expect.stringContaining('capi-fn emulator gcp') });
    expect(down?.detail).toContain('ECONNREFUSED');
  });

  it('no override: no endpoint to check', async () => {
    expect(await gcpProvider.endpointCheck!({})).toBeUndefined();
  });

  it('capi-fn up --platform gcp without an endpoint or credentials says what is missing and exits 1, no stack trace', async () => {
    const home = mkdtempSync(join(tmpdir(), 'capi-fn-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE;
    delete env.GOOGLE_APPLICATION_CREDENTIALS;
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(import.meta.dirname, '../../../bin/capi-fn.js'),
          'up',
          '--platform',
          'gcp',
          '--data-dir',
          join(home, 'd'),
          '--port',
          '0',
        ],
        { env, timeout: 60_000 },
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'capi-fn up: --platform gcp needs Compute Engine: set CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE to an endpoint (npx capi-fn emulator gcp prints it) or GOOGLE_APPLICATION_CREDENTIALS to a service-account key\n',
    );
  });
});
