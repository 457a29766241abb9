// The ARM emulator driven by the real Azure CLI (Debian's azure-cli 2.45, peer-trials §5): a registered cloud with
// the emulator's endpoints and an ADFS-style authority (MSAL does no instance discovery for it), service-principal
// login against the emulator's token endpoint, REQUESTS_CA_BUNDLE for its CA, and the 2020-09-01-hybrid profile
// (Debian's `az vm` cannot load the default profile's compute API). Skipped without `az`, failed in CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from '../../support/peers.ts';
import { type AzCli, azAgainst, login } from './az-env.ts';
import { seedInstalledCluster } from './seed.ts';
import { type ArmEmulator, startArmEmulator } from './server.ts';

describe.skipIf(!hasPeer('az'))('the Azure CLI against the ARM emulator', () => {
  let arm: ArmEmulator;
  let cli: AzCli;
  const az = (...args: string[]) => cli.az(...args);
  const ok = (...args: string[]) => cli.ok(...args);
  const json = async <T>(...args: string[]) => JSON.parse(await ok(...args, '-o', 'json')) as T;

  beforeAll(async () => {
    arm = await startArmEmulator({ vmCreateMs: 200, vmDeleteMs: 200 });
    cli = await azAgainst(arm);
  }, 180_000);
  afterAll(async () => {
    await arm?.stop();
    cli?.close();
  });

  it('logs in with a service principal through the emulator’s token endpoint; a wrong secret is refused', async () => {
    const bad = await az('login', '--service-principal', '-u', arm.clientId, '-p', 'wrong', '--tenant', 'adfs');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('AADSTS7000215');
    const accounts = JSON.parse(await login(cli, arm)) as Array<{ id: string; state: string; user: { type: string } }>;
    expect(accounts).toMatchObject([{ id: arm.subscriptionId, state: 'Enabled', user: { type: 'servicePrincipal' } }]);
    // The token endpoint was reached with client credentials (never a real AAD).
    expect(
      arm.state.requests.some((r) => r.method === 'POST' && r.path === '/adfs/oauth2/token' && r.status === 200),
    ).toBe(true);
  }, 120_000);

  it('az group create and az network vnet create make what the emulator then holds', async () => {
    await ok('group', 'create', '-n', 'az-rg', '-l', 'eastus');
    const vnet = await json<{ newVNet?: { name: string; subnets: Array<{ name: string; addressPrefix: string }> } }>(
      'network',
      'vnet',
      'create',
      '-g',
      'az-rg',
      '-n',
      'az-vnet',
      '--address-prefix',
      '10.1.0.0/16',
      '--subnet-name',
      'workers',
      '--subnet-prefix',
      '10.1.1.0/24',
    );
    expect(vnet.newVNet).toMatchObject({
      name: 'az-vnet',
      subnets: [{ name: 'workers', addressPrefix: '10.1.1.0/24' }],
    });
    expect(arm.state.all('Microsoft.Network/virtualNetworks/subnets').map((s) => s.name)).toContain('workers');
    const shown = await json<{ addressPrefix: string }>(
      'network',
      'vnet',
      'subnet',
      'show',
      '-g',
      'az-rg',
      '--vnet-name',
      'az-vnet',
      '-n',
      'workers',
    );
    expect(shown.addressPrefix).toBe('10.1.1.0/24');
  }, 120_000);

  it('az vm list and az vm show see a VM with its instance view; show of a missing VM exits 3 with ARM’s error', async () => {
    const c = seedInstalledCluster(arm.state, 'ocp-az-cli');
    const sub = arm.subscriptionId;
    const nicId = `/subscriptions/${sub}/resourceGroups/${c.rg}/providers/Microsoft.Network/networkInterfaces/w1-nic`;
    arm.state.put(
      sub,
      c.rg,
      'Microsoft.Network',
      ['networkInterfaces', 'w1-nic'],
      {
        location: 'eastus',
        properties: {
          ipConfigurations: [
            {
              name: 'pipConfig',
              properties: {
                subnet: {
                  id: `/subscriptions/${sub}/resourceGroups/${c.rg}/providers/Microsoft.Network/virtualNetworks/${c.vnet}/subnets/${c.workerSubnet}`,
                },
              },
            },
          ],
        },
      },
      '',
      'test',
    );
    arm.state.put(
      sub,
      c.rg,
      'Microsoft.Compute',
      ['virtualMachines', 'w1'],
      {
        location: 'eastus',
        zones: ['2'],
        tags: { role: 'worker' },
        properties: {
          hardwareProfile: { vmSize: 'Standard_D4s_v3' },
          storageProfile: {
            imageReference: { id: c.imageID },
            osDisk: { name: 'w1_OSDisk', createOption: 'FromImage', diskSizeGB: 128 },
          },
          osProfile: { computerName: 'w1', adminUsername: 'capi', customData: Buffer.from('{}').toString('base64') },
          networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true } }] },
        },
      },
      '',
      'test',
    );
    const list = await json<
      Array<{ name: string; location: string; zones: string[]; hardwareProfile: { vmSize: string } }>
    >('vm', 'list', '-g', c.rg);
    expect(list).toMatchObject([
      { name: 'w1', location: 'eastus', zones: ['2'], hardwareProfile: { vmSize: 'Standard_D4s_v3' } },
    ]);
    const shown = await json<{
      provisioningState: string;
      storageProfile: { osDisk: { name: string } };
      osProfile: { customData: unknown };
    }>('vm', 'show', '-g', c.rg, '-n', 'w1');
    expect(shown.storageProfile.osDisk.name).toBe('w1_OSDisk');
    expect(shown.osProfile.customData ?? null).toBeNull(); // never returned on GET
    const view = await json<{ powerState: string; provisioningState: string }>(
      'vm',
      'show',
      '-d',
      '-g',
      c.rg,
      '-n',
      'w1',
    );
    expect(view).toMatchObject({ provisioningState: 'Succeeded', powerState: 'VM running' });
    const missing = await az('vm', 'show', '-g', c.rg, '-n', 'nope');
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('ResourceNotFound');
  }, 120_000);

  it('az vm delete follows the async operation until the VM is gone; the NIC and a detached OS disk stay', async () => {
    await ok('vm', 'delete', '--yes', '-g', 'ocp-az-cli-rg', '-n', 'w1');
    expect(arm.state.all('Microsoft.Compute/virtualMachines')).toEqual([]);
    expect(arm.state.all('Microsoft.Network/networkInterfaces').map((n) => n.name)).toEqual(['w1-nic']);
    expect(arm.state.all('Microsoft.Compute/disks').map((d) => d.name)).toEqual(['w1_OSDisk']);
    const followed = arm.state.requests.filter((r) => /\/locations\/[^/]+\/operation(s|Results)\//i.test(r.path));
    expect(followed.length).toBeGreaterThan(0);
    const list = await json<unknown[]>('vm', 'list', '-g', 'ocp-az-cli-rg');
    expect(list).toEqual([]);
  }, 120_000);
});
