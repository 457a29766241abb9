// `capi-fn doctor` on vSphere: the vCenter login, datacenter, template and network against vcsim, each failure
// naming what is missing and the fix; and `capi-fn up --platform vsphere` without a vCenter says so, no stack trace.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vsphereProvider } from '../../../functions/providers/vsphere/index.ts';
import { hasPeer } from '../../support/peers.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import { DATACENTER, NETWORK, TEMPLATE } from './support.ts';

describe.skipIf(!hasPeer('vcsim'))('vSphere doctor checks against vcsim', () => {
  let sim: Vcsim;
  beforeAll(async () => {
    sim = await startVcsim();
  }, 300_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('login, datacenter, template and network found: ok, saying what was checked', async () => {
    const env = { ...sim.env, VSPHERE_DATACENTER: DATACENTER, VSPHERE_TEMPLATE: TEMPLATE, VSPHERE_NETWORK: NETWORK };
    expect(vsphereProvider.credentialCheck!(env)).toMatchObject({ status: 'ok' });
    expect(await vsphereProvider.endpointCheck!(env)).toEqual({
      name: 'vCenter',
      status: 'ok',
      detail: `logged in to VMware vCenter Server 6.5.0 build-5973321 as user; datacenter DC0; template ${TEMPLATE}; network ${NETWORK}`,
    });
  });

  it('a missing template, a wrong password, an untrusted certificate: each a failure with its fix', async () => {
    const noTemplate = await vsphereProvider.endpointCheck!({
      ...sim.env,
      VSPHERE_DATACENTER: DATACENTER,
      VSPHERE_TEMPLATE: 'rhcos-missing',
    });
    expect(noTemplate).toMatchObject({ status: 'fail', fix: expect.stringContaining('VSPHERE_TEMPLATE') });
    expect(noTemplate?.detail).toContain('template rhcos-missing not found in DC0');
    const badLogin = await vsphereProvider.endpointCheck!({ ...sim.env, VSPHERE_PASSWORD: 'wrong' });
    expect(badLogin).toMatchObject({ status: 'fail', fix: 'fix VSPHERE_USERNAME / VSPHERE_PASSWORD' });
    expect(badLogin?.detail).toContain('InvalidLogin');
    expect(badLogin?.detail).not.toContain('wrong');
    const untrusted = await vsphereProvider.endpointCheck!({ ...sim.env, VSPHERE_INSECURE: 'false' });
    expect(untrusted).toMatchObject({ status: 'fail', fix: expect.stringContaining('VSPHERE_CA_FILE') });
  });
});

describe('vSphere without a vCenter', () => {
  it('doctor: nothing to check without VSPHERE_SERVER; the credentials check names the variables', async () => {
    expect(await vsphereProvider.endpointCheck!({})).toBeUndefined();
    expect(vsphereProvider.credentialCheck!({})).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('VSPHERE_SERVER, VSPHERE_USERNAME, VSPHERE_PASSWORD'),
    });
  });

  it('capi-fn up --platform vsphere says what is missing and exits 1, no stack trace', async () => {
    const home = mkdtempSync(join(tmpdir(), 'capi-fn-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    for (const k of ['VSPHERE_SERVER', 'VSPHERE_USERNAME', 'VSPHERE_PASSWORD']) delete env[k];
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(import.meta.dirname, '../../../bin/capi-fn.js'),
          'up',
          '--platform',
          'vsphere',
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
      'capi-fn up: --platform vsphere needs a vCenter: set VSPHERE_SERVER, VSPHERE_USERNAME, VSPHERE_PASSWORD (npx capi-fn emulator vsphere starts vcsim and prints them; add VSPHERE_INSECURE=true for its self-signed certificate)\n',
    );
  }, 90_000);
});
