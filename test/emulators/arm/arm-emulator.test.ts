// The ARM emulator through the official SDKs (their serializers and deserializers check its wire shapes) and raw
// HTTPS (headers, status codes), with an injected clock: provisioning and deletion move only when the test says so.
import { request } from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureSdkClients } from '../../../functions/providers/azure/client.ts';
import { classifyAzureError } from '../../../functions/providers/azure/errors.ts';
import { toCloudInstance } from '../../../functions/providers/azure/port.ts';
import { type InstalledCluster, seedInstalledCluster } from './seed.ts';
import { type ArmEmulator, startArmEmulator } from './server.ts';

let t = 1_000_000;
const advance = (ms: number) => {
  t += ms;
};

describe('ARM emulator', () => {
  let arm: ArmEmulator;
  let api: AzureSdkClients;
  let c: InstalledCluster;
  let sub: string;
  const raw = (method: string, path: string, body?: unknown, token?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: unknown }>(
      (resolve, reject) => {
        const r = request(
          new URL(path, arm.endpoint),
          {
            method,
            ca: arm.caPem,
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined });
            });
          },
        );
        r.on('error', reject);
        r.end(body === undefined ? undefined : JSON.stringify(body));
      },
    );
  const token = async () => {
    const r = await fetchToken();
    return r;
  };
  const fetchToken = () =>
    new Promise<string>((resolve, reject) => {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: arm.clientId,
        client_secret: arm.clientSecret,
        scope: `${arm.endpoint}.default`,
      });
      const r = request(
        new URL(`/${arm.tenantId}/oauth2/v2.0/token`, arm.endpoint),
        { method: 'POST', ca: arm.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve((JSON.parse(Buffer.concat(chunks).toString()) as { access_token: string }).access_token),
          );
        },
      );
      r.on('error', reject);
      r.end(form.toString());
    });
  const nic = async (name: string) =>
    api.beginCreateNetworkInterface(sub, c.rg, name, {
      location: 'eastus',
      ipConfigurations: [
        {
          name: 'pipConfig',
          subnet: {
            id: `/subscriptions/${sub}/resourceGroups/${c.rg}/providers/Microsoft.Network/virtualNetworks/${c.vnet}/subnets/${c.workerSubnet}`,
          },
        },
      ],
    });
  const vmBody = (name: string, size = 'Standard_D4s_v3', zones?: string[]) => ({
    location: 'eastus',
    ...(zones ? { zones } : {}),
    hardwareProfile: { vmSize: size },
    storageProfile: {
      imageReference: { id: c.imageID },
      osDisk: { name: `${name}_OSDisk`, createOption: 'FromImage', deleteOption: 'Delete' },
    },
    osProfile: { computerName: name, adminUsername: 'capi', customData: Buffer.from('{}').toString('base64') },
    networkProfile: {
      networkInterfaces: [
        {
          id: `/subscriptions/${sub}/resourceGroups/${c.rg}/providers/Microsoft.Network/networkInterfaces/${name}-nic`,
          primary: true,
        },
      ],
    },
  });
  const thrown = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error('expected a failure');
  };

  beforeAll(async () => {
    arm = await startArmEmulator({ vmCreateMs: 10_000, vmDeleteMs: 5_000, now: () => t });
    sub = arm.subscriptionId;
    api = new AzureSdkClients({
      endpoint: arm.endpoint,
      authorityHost: arm.authorityHost,
      principal: { tenantId: arm.tenantId, clientId: arm.clientId, clientSecret: arm.clientSecret },
      ca: arm.caPem,
      env: {},
    });
  });
  beforeEach(() => {
    arm.state.reset();
    arm.state.coreQuota = 1000;
    c = seedInstalledCluster(arm.state, 'ocp-emu');
  });
  afterAll(async () => {
    await arm?.stop();
  });

  it('a VM is Creating until its time has passed on the injected clock; the operation says InProgress, then Succeeded', async () => {
    await nic('w1-nic');
    const begun = await api.beginCreateVirtualMachine(sub, c.rg, 'w1', vmBody('w1', 'Standard_D4s_v3', ['1']));
    expect(begun.status).toBe('running');
    let vm = await api.getVirtualMachine(sub, c.rg, 'w1');
    expect(vm.provisioningState).toBe('Creating');
    expect(vm.instanceView?.statuses?.map((s) => s.code)).toEqual([
      'ProvisioningState/creating',
      'PowerState/starting',
    ]);
    const op = {
      type: 'PUT' as const,
      serviceName: 'virtualmachine' as const,
      resourceGroup: c.rg,
      name: 'w1',
      data: begun.data,
    };
    expect((await api.pollOperation(sub, op)).status).toBe('running');
    advance(10_000);
    expect((await api.pollOperation(sub, op)).status).toBe('succeeded');
    vm = await api.getVirtualMachine(sub, c.rg, 'w1');
    expect(vm).toMatchObject({
      provisioningState: 'Succeeded',
      zones: ['1'],
      storageProfile: { osDisk: { managedDisk: { id: expect.stringMatching(/\/disks\/w1_OSDisk$/) } } },
    });
    expect(vm.osProfile?.customData).toBeUndefined();
    expect(vm.instanceView?.statuses?.map((s) => s.code)).toEqual([
      'ProvisioningState/succeeded',
      'PowerState/running',
    ]);
    expect(toCloudInstance(vm, sub, c.rg)).toMatchObject({
      state: 'running',
      nativeState: 'Succeeded',
      failureDomain: '1',
    });
    // The NIC got an address from the subnet (Azure keeps the first four).
    expect((await api.getNetworkInterface(sub, c.rg, 'w1-nic')).ipConfigurations?.[0]?.privateIPAddress).toBe(
      '10.0.128.4',
    );
  });

  it('DELETE answers 202 with Location and Azure-AsyncOperation; the VM is Deleting, then gone with its OS disk; the NIC is detached', async () => {
    await nic('w2-nic');
    await api.beginCreateVirtualMachine(sub, c.rg, 'w2', vmBody('w2'));
    advance(10_000);
    const tok = await token();
    const path = `/subscriptions/${sub}/resourceGroups/${c.rg}/providers/Microsoft.Compute/virtualMachines/w2?api-version=2024-07-01&forceDeletion=true`;
    const d = await raw('DELETE', path, undefined, tok);
    expect(d.status).toBe(202);
    expect(d.headers.location).toMatch(
      /\/providers\/Microsoft\.Compute\/locations\/eastus\/operationResults\/[^/?]+\?api-version=2024-07-01$/,
    );
    expect(d.headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.Compute\/locations\/eastus\/operations\/[^/?]+\?api-version=2024-07-01$/,
    );
    expect((await api.getVirtualMachine(sub, c.rg, 'w2')).provisioningState).toBe('Deleting');
    const nicDelete = classifyAzureError(await thrown(api.beginDeleteNetworkInterface(sub, c.rg, 'w2-nic')));
    expect(nicDelete).toMatchObject({ class: 'conflict', code: 'NicInUse', definitive: true });
    advance(5_000);
    expect(classifyAzureError(await thrown(api.getVirtualMachine(sub, c.rg, 'w2')))).toMatchObject({
      class: 'not-found',
      code: 'ResourceNotFound',
      httpStatus: 404,
    });
    expect(arm.state.all('Microsoft.Compute/disks')).toEqual([]);
    expect((await api.getNetworkInterface(sub, c.rg, 'w2-nic')).virtualMachine).toBeUndefined();
    expect((await raw('DELETE', path, undefined, tok)).status).toBe(204);
    expect((await api.beginDeleteNetworkInterface(sub, c.rg, 'w2-nic')).status).toBe('running');
  });

  it('ARM’s errors, classified: invalid size naming the field, quota, SkuNotAvailable, a missing NIC, a missing resource group', async () => {
    await nic('w3-nic');
    const size = classifyAzureError(
      await thrown(api.beginCreateVirtualMachine(sub, c.rg, 'w3', vmBody('w3', 'Standard_Nope'))),
    );
    expect(size).toMatchObject({ class: 'invalid-input', code: 'InvalidParameter', field: 'vmSize', httpStatus: 400 });
    arm.state.coreQuota = 2;
    const quota = classifyAzureError(await thrown(api.beginCreateVirtualMachine(sub, c.rg, 'w3', vmBody('w3'))));
    expect(quota).toMatchObject({ class: 'quota', code: 'OperationNotAllowed', httpStatus: 409 });
    expect(quota.message).toContain('exceeding approved standardDSv3Family Cores quota');
    arm.state.coreQuota = 1000;
    arm.state.restrictedSkus.add('eastus/standard_d4s_v3');
    expect(
      classifyAzureError(await thrown(api.beginCreateVirtualMachine(sub, c.rg, 'w3', vmBody('w3')))),
    ).toMatchObject({ class: 'capacity', code: 'SkuNotAvailable' });
    arm.state.restrictedSkus.clear();
    expect(
      classifyAzureError(await thrown(api.beginCreateVirtualMachine(sub, c.rg, 'nonic', vmBody('nonic')))),
    ).toMatchObject({
      class: 'invalid-input',
      field: 'networkProfile.networkInterfaces[0].id',
    });
    expect(classifyAzureError(await thrown(api.getVirtualMachine(sub, 'no-such-rg', 'x')))).toMatchObject({
      class: 'not-found',
      code: 'ResourceGroupNotFound',
    });
    const sku = (await api.listSkus(sub, 'eastus')).find((s) => s.name === 'Standard_D4s_v3');
    expect(sku?.locationInfo?.[0]?.zones).toEqual(['1', '2', '3']);
    expect((await api.listSkus(sub, 'northcentralus'))[0]?.locationInfo?.[0]?.zones).toEqual([]);
  });

  it('throttling: 429 with Retry-After, classified with the wait; faults can also fail an operation after the PUT (AllocationFailed)', async () => {
    arm.state.faults.push({
      method: 'GET',
      path: '/virtualMachines/',
      http: { status: 429, code: 'TooManyRequests', retryAfter: 7 },
    });
    expect(classifyAzureError(await thrown(api.getVirtualMachine(sub, c.rg, 'x')))).toMatchObject({
      class: 'throttled',
      retryAfterMs: 7000,
      definitive: true,
    });
    await nic('w4-nic');
    arm.state.faults.push({
      method: 'PUT',
      path: '/virtualMachines/w4$',
      asyncError: {
        code: 'AllocationFailed',
        message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
      },
    });
    const begun = await api.beginCreateVirtualMachine(sub, c.rg, 'w4', vmBody('w4'));
    advance(10_000);
    const p = await api.pollOperation(sub, {
      type: 'PUT',
      serviceName: 'virtualmachine',
      resourceGroup: c.rg,
      name: 'w4',
      data: begun.data,
    });
    expect(p).toMatchObject({ status: 'failed', error: { code: 'AllocationFailed' } });
    const inst = toCloudInstance(await api.getVirtualMachine(sub, c.rg, 'w4'), sub, c.rg);
    expect(inst).toMatchObject({ state: 'failed', nativeState: 'Failed', failureReason: 'CreateError' });
    expect(inst.failureMessage).toContain('AllocationFailed: Allocation failed.');
  });

  it('identity: a wrong secret gets AADSTS7000215 (auth); ARM without a token issued here is 401 in ARM’s shape', async () => {
    const bad = new AzureSdkClients({
      endpoint: arm.endpoint,
      authorityHost: arm.authorityHost,
      principal: { tenantId: arm.tenantId, clientId: arm.clientId, clientSecret: 'wrong' },
      ca: arm.caPem,
      env: {},
    });
    const e = classifyAzureError(await thrown(bad.getVirtualMachine(sub, c.rg, 'x')));
    expect(e).toMatchObject({ class: 'auth' });
    expect(e.message).toContain('AADSTS7000215');
    const path = `/subscriptions/${sub}/resourceGroups/${c.rg}?api-version=2021-04-01`;
    expect(await raw('GET', path)).toMatchObject({ status: 401, json: { error: { code: 'AuthenticationFailed' } } });
    expect(await raw('GET', path, undefined, 'forged')).toMatchObject({
      status: 401,
      json: { error: { code: 'InvalidAuthenticationToken' } },
    });
    expect(await raw('GET', `/subscriptions/${sub}/resourceGroups/${c.rg}`, undefined, await token())).toMatchObject({
      status: 400,
      json: { error: { code: 'MissingApiVersionParameter' } },
    });
  });
});
