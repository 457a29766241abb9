// `capi-fn doctor` on Azure: the service principal in the environment, and whether AZURE_RESOURCE_MANAGER_ENDPOINT
// answers as ARM over TLS (an untrusted CA says how to trust it); `capi-fn up --platform azure` without credentials
// says what is missing.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureProvider } from '../../../functions/providers/azure/index.ts';
import { startArmEmulator } from '../../emulators/arm/server.ts';
import { armEnv, trustArmCa } from './support.ts';

describe('Azure doctor checks', () => {
  it('the endpoint: an untrusted CA says how to trust it; trusted it answers as ARM; stopped it is refused', async () => {
    const arm = await startArmEmulator();
    const env = armEnv(arm);
    const untrusted = await azureProvider.endpointCheck!(env);
    expect(untrusted).toMatchObject({ status: 'fail', fix: expect.stringContaining('NODE_EXTRA_CA_CERTS') });
    const untrust = trustArmCa(arm);
    try {
      expect(await azureProvider.endpointCheck!(env)).toMatchObject({
        status: 'ok',
        detail: `${arm.endpoint} answers (HTTP 401 AuthenticationFailed)`,
      });
      await arm.stop();
      const down = await azureProvider.endpointCheck!(env);
      expect(down).toMatchObject({ status: 'fail', fix: expect.stringContaining('capi-fn emulator azure') });
      expect(down?.detail).toContain('ECONNREFUSED');
    } finally {
      untrust();
    }
  });

  it('credentials: the service principal, or what is missing', async () => {
    expect(
      azureProvider.credentialCheck!({
        AZURE_CLIENT_ID: 'c',
        AZURE_TENANT_ID: 't',
        AZURE_CLIENT_SECRET: 's',
        AZURE_SUBSCRIPTION_ID: 'sub',
      }),
    ).toEqual({
      name: 'Azure credentials',
      status: 'ok',
      detail: 'service principal c of tenant t in the environment, subscription sub',
    });
    expect(azureProvider.credentialCheck!({ AZURE_CLIENT_ID: 'c' })).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('AZURE_CLIENT_SECRET'),
    });
    expect(await azureProvider.endpointCheck!({})).toBeUndefined();
  });

  it('capi-fn up --platform azure without credentials says what is missing and exits 1, no stack trace', async () => {
    const home = mkdtempSync(join(tmpdir(), 'capi-fn-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    for (const k of Object.keys(env)) if (k.startsWith('AZURE_')) delete env[k];
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(import.meta.dirname, '../../../bin/capi-fn.js'),
          'up',
          '--platform',
          'azure',
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
      'capi-fn up: --platform azure needs a service principal for Azure Resource Manager: set AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), AZURE_SUBSCRIPTION_ID (npx capi-fn emulator azure prints them for the emulator, with AZURE_RESOURCE_MANAGER_ENDPOINT, AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS)\n',
    );
  });
});
