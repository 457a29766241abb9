// `capi-fn emulator azure --port 0 --ca-out FILE`: the banner names the endpoint and the variables, FILE holds the
// CA that makes the endpoint trusted, SIGTERM stops it with exit 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/env.ts';

describe('capi-fn emulator azure', () => {
  it('prints the endpoint and the variables, writes its CA, answers ARM over TLS, and stops on SIGTERM', async () => {
    const caFile = join(mkdtempSync(join(tmpdir(), 'arm-cli-')), 'ca.pem');
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../../../bin/capi-fn.js'),
        'emulator',
        'azure',
        '--port',
        '0',
        '--ca-out',
        caFile,
        '--cluster',
        'ocp-x1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const endpoint = await eventually('the banner', async () => /on (https:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], {
        timeoutMs: 30_000,
      });
      expect(out).toContain(
        `export AZURE_RESOURCE_MANAGER_ENDPOINT=${endpoint} AZURE_AUTHORITY_HOST=${endpoint} NODE_EXTRA_CA_CERTS=${caFile}`,
      );
      expect(out).toContain('seeded cluster ocp-x1: resource group ocp-x1-rg');
      expect(out).toContain('--profile 2020-09-01-hybrid');
      const ca = readFileSync(caFile, 'utf8');
      expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const status = await new Promise<number>((resolve, reject) => {
        const r = request(new URL('subscriptions?api-version=2022-12-01', endpoint), { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
      expect(status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
