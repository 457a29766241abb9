// `capi-fn doctor` on GCP: the endpoint gcloud users set is checked for an answer, and a plain-http endpoint
// (the emulator) needs no credentials.
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
});
