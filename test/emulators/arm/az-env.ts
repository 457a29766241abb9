// The real Azure CLI pointed at the ARM emulator (peer-trials §5): its own config folder, the emulator's CA, a
// registered cloud with the emulator's endpoints and an ADFS-style authority (MSAL does no instance discovery for
// it), and the 2020-09-01-hybrid profile (Debian's `az vm` cannot load the default profile's compute API).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArmEmulator, CLI_RESOURCE } from './server.ts';

export interface AzResult {
  code: number;
  out: string;
  err: string;
}

export interface AzCli {
  /** The environment every az call of this CLI runs with (its config folder, the emulator's CA). */
  env: NodeJS.ProcessEnv;
  az(...args: string[]): Promise<AzResult>;
  /** az, failing on a non-zero exit with what it printed. */
  ok(...args: string[]): Promise<string>;
  close(): void;
}

/** A CLI with the emulator registered and set as its cloud; not logged in (`login` does that). */
export async function azAgainst(arm: ArmEmulator): Promise<AzCli> {
  const dir = mkdtempSync(join(tmpdir(), 'az-emulator-'));
  writeFileSync(join(dir, 'ca.pem'), arm.caPem);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AZURE_CONFIG_DIR: join(dir, 'cfg'),
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    REQUESTS_CA_BUNDLE: join(dir, 'ca.pem'),
  };
  const az = (...args: string[]) =>
    new Promise<AzResult>((resolve) => {
      execFile('az', [...args, '--only-show-errors'], { env, timeout: 120_000 }, (e, out, err) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
  const ok = async (...args: string[]) => {
    const r = await az(...args);
    if (r.code !== 0) throw new Error(`az ${args.join(' ')} exited ${r.code}: ${r.err}`);
    return r.out;
  };
  const host = arm.endpoint.replace(/\/$/, '');
  await ok(
    'cloud',
    'register',
    '--name',
    'CapiFnEmulator',
    '--endpoint-resource-manager',
    arm.endpoint,
    '--endpoint-active-directory',
    `${host}/adfs`,
    '--endpoint-active-directory-resource-id',
    CLI_RESOURCE,
    '--endpoint-active-directory-graph-resource-id',
    'https://graph.capi-fn.local/',
    '--endpoint-management',
    CLI_RESOURCE,
    '--endpoint-vm-image-alias-doc',
    `${host}/aliases.json`,
    '--profile',
    '2020-09-01-hybrid',
  );
  await ok('cloud', 'set', '--name', 'CapiFnEmulator');
  return { env, az, ok, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Logs the CLI in as the emulator's service principal. */
export async function login(cli: AzCli, arm: ArmEmulator): Promise<string> {
  return cli.ok(
    'login',
    '--service-principal',
    '-u',
    arm.clientId,
    '-p',
    arm.clientSecret,
    '--tenant',
    'adfs',
    '-o',
    'json',
  );
}
