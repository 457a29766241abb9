// The vim25 client against vcsim itself: TLS (refused unverified, accepted with vcsim's certificate as the CA
// bundle or with insecure), log-in faults, one session reused across calls and ended by logout, and the calls the
// provider makes — inventory paths, UUID lookups, clone, reconfigure, power, destroy — followed through TaskInfo.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VimClient } from '../../../functions/providers/vsphere/client.ts';
import { classifyVSphereError } from '../../../functions/providers/vsphere/errors.ts';
import { follow } from '../../../functions/providers/vsphere/port.ts';
import { httpTransport, type Transport, text, VimFault, xsd } from '../../../functions/providers/vsphere/soap.ts';
import { hasPeer } from '../../support/peers.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import { DATACENTER, RESOURCE_POOL, TEMPLATE } from './support.ts';

/** vcsim's self-signed certificate, as PEM: trusted as a CA bundle, it makes verification pass. */
function serverCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const der = s.getPeerCertificate().raw;
      s.end();
      resolve(
        `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
      );
    });
    s.on('error', reject);
  });
}

describe.skipIf(!hasPeer('vcsim'))('the vim25 client against vcsim', () => {
  let sim: Vcsim;
  const creds = () => ({
    server: sim.server,
    username: sim.env.VSPHERE_USERNAME!,
    password: sim.env.VSPHERE_PASSWORD!,
  });
  beforeAll(async () => {
    sim = await startVcsim();
  }, 300_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('TLS: an unverified certificate is refused as a trust problem; its CA bundle or insecure are accepted', async () => {
    const strict = await new VimClient(creds()).serviceContent().catch((e: unknown) => e);
    expect(classifyVSphereError(strict)).toMatchObject({
      class: 'auth',
      message: expect.stringContaining('VSPHERE_CA_FILE'),
    });
    const ca = await serverCertificate(sim.peer.port);
    expect((await new VimClient({ ...creds(), ca }).serviceContent()).about.fullName).toMatch(/^VMware vCenter Server/);
    expect((await new VimClient({ ...creds(), insecure: true }).serviceContent()).about.apiVersion).toBe('6.5');
  });

  it('a wrong password is InvalidLogin (auth); the right one logs in once for many calls, and logout ends it', async () => {
    const bad = await new VimClient({ ...creds(), password: 'wrong', insecure: true })
      .findByInventoryPath(DATACENTER)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(VimFault);
    expect(classifyVSphereError(bad)).toMatchObject({ class: 'auth', code: 'InvalidLogin' });
    const sent: string[] = [];
    const https = httpTransport({ insecure: true });
    const counting: Transport = (u, h, b) => {
      sent.push(/<soapenv:Body><(\w+)/.exec(b)![1]!);
      return https(u, h, b);
    };
    const c = new VimClient({ ...creds(), insecure: true }, { transport: counting });
    for (let i = 0; i < 3; i++) expect(await c.findByInventoryPath(DATACENTER)).toMatchObject({ type: 'Datacenter' });
    expect(sent.filter((m) => m === 'Login')).toHaveLength(1);
    await c.logout();
    expect(sent.at(-1)).toBe('Logout');
    // A new call after logout logs in again.
    expect(await c.findByInventoryPath(`${DATACENTER}/vm/${TEMPLATE}`)).toMatchObject({ type: 'VirtualMachine' });
    expect(sent.filter((m) => m === 'Login')).toHaveLength(2);
    await c.logout();
  });

  it('clone, reconfigure, power on, power off and destroy, each a task read back through TaskInfo', async () => {
    const c = new VimClient({ ...creds(), insecure: true });
    const template = (await c.findByInventoryPath(`${DATACENTER}/vm/${TEMPLATE}`))!;
    const folder = (await c.findByInventoryPath(`${DATACENTER}/vm`))!;
    const pool = (await c.findByInventoryPath(RESOURCE_POOL))!;
    const uuid = '0b6f9a62-43e4-4f5c-8f1e-9d2a3c4b5e6f';
    const clone = await c.cloneVM(template, folder, 'soap-test', {
      xsi: 'VirtualMachineCloneSpec',
      location: { xsi: 'VirtualMachineRelocateSpec', pool },
      template: false,
      config: {
        xsi: 'VirtualMachineConfigSpec',
        instanceUuid: uuid,
        extraConfig: [{ xsi: 'OptionValue', key: 'guestinfo.test', value: xsd('string', 'yes') }],
      },
      powerOn: false,
    });
    const done = await follow(c, clone, 5_000);
    expect(done).toMatchObject({ state: 'success', result: { type: 'VirtualMachine' } });
    // The template's clone events name the destination (what finds a clone whose task was never recorded).
    const events = await c.queryEvents({
      entity: template,
      since: new Date(Date.now() - 60_000),
      types: ['VmBeingClonedEvent', 'VmClonedEvent', 'VmCloneFailedEvent'],
    });
    expect(events.map((e) => [e.type, e.destName])).toContainEqual(['VmBeingClonedEvent', 'soap-test']);
    const vm = done.result!;
    expect(await c.findByUuid(uuid, { instanceUuid: true })).toEqual(vm);
    const [p] = await c.retrieve([vm], { VirtualMachine: ['config.uuid', 'runtime.powerState'] });
    expect(text(p!.props['runtime.powerState'])).toBe('poweredOff');
    expect(await c.findByUuid(text(p!.props['config.uuid'])!, { instanceUuid: false })).toEqual(vm);
    const reconfig = await follow(
      c,
      await c.reconfigVM(vm, { xsi: 'VirtualMachineConfigSpec', numCPUs: 2, memoryMB: 4096 }),
      5_000,
    );
    expect(reconfig.state).toBe('success');
    expect((await follow(c, await c.powerOnVM(vm), 5_000)).state).toBe('success');
    // Destroying a powered-on VM is refused by a failed task (vcsim: InvalidPowerState).
    const refused = await follow(c, await c.destroy(vm), 5_000);
    expect(refused.state).toBe('error');
    expect(classifyVSphereError(refused.error)).toMatchObject({ class: 'conflict' });
    expect((await follow(c, await c.powerOffVM(vm), 5_000)).state).toBe('success');
    expect((await follow(c, await c.destroy(vm), 5_000)).state).toBe('success');
    expect(await c.findByUuid(uuid, { instanceUuid: true })).toBeUndefined();
    const gone = await c.retrieve([vm], { VirtualMachine: ['name'] }).catch((e: unknown) => e);
    expect(classifyVSphereError(gone)).toMatchObject({ class: 'not-found', code: 'ManagedObjectNotFound' });
    await c.logout();
  });
});
