// The vim25 client over a scripted transport: envelopes, the session cookie, one re-login on NotAuthenticated,
// faults (a SOAP fault, a property the collector could not read, a failed task) and the error classes they map to.
import { describe, expect, it } from 'vitest';
import { parseTaskInfo, VimClient } from './client.ts';
import { classifyVSphereError } from './errors.ts';
import { encode, moRef, type Node, parseXml, type Transport, VimFault, xsd } from './soap.ts';

const ENV = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const fault = (type: string, msg: string) =>
  ENV(
    `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${msg}</faultstring><detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}"></${type}Fault></detail></soapenv:Fault>`,
  );
const CONTENT = ENV(
  '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector><viewManager type="ViewManager">ViewManager</viewManager><about><fullName>VMware vCenter Server 8.0.2</fullName><apiVersion>8.0.2.0</apiVersion></about><searchIndex type="SearchIndex">SearchIndex</searchIndex><sessionManager type="SessionManager">SessionManager</sessionManager></returnval></RetrieveServiceContentResponse>',
);

/** A vCenter that answers from a script and records what it was sent. */
function scripted(
  answer: (
    method: string,
    body: string,
    cookie: string | undefined,
  ) => { status?: number; body: string; cookie?: string },
) {
  const sent: Array<{ method: string; cookie: string | undefined; soapAction: string; body: string }> = [];
  const transport: Transport = async (_url, headers, body) => {
    const method = /<soapenv:Body><(\w+)/.exec(body)![1]!;
    sent.push({ method, cookie: headers.Cookie, soapAction: headers.SOAPAction!, body });
    const a = answer(method, body, headers.Cookie);
    return {
      status: a.status ?? (a.body.includes('soapenv:Fault') ? 500 : 200),
      setCookie: a.cookie ? [`vmware_soap_session=${a.cookie}; Path=/; HttpOnly; Secure`] : [],
      body: a.body,
    };
  };
  return { transport, sent };
}

const creds = { server: 'vc.example.com', username: 'administrator@vsphere.local', password: 's3cr&t<pw>' };

describe('VimClient', () => {
  it('logs in once, carries the session cookie and the API version, and escapes what it sends', async () => {
    let logins = 0;
    const vc = scripted((m) => {
      if (m === 'RetrieveServiceContent') return { body: CONTENT };
      if (m === 'Login') {
        logins++;
        return { body: ENV('<LoginResponse xmlns="urn:vim25"><returnval/></LoginResponse>'), cookie: `s${logins}` };
      }
      return {
        body: ENV(
          '<FindByInventoryPathResponse xmlns="urn:vim25"><returnval type="VirtualMachine">vm-42</returnval></FindByInventoryPathResponse>',
        ),
      };
    });
    const c = new VimClient(creds, { transport: vc.transport });
    expect(await c.findByInventoryPath('/DC0/vm/a&b')).toEqual(moRef('VirtualMachine', 'vm-42'));
    expect(await c.findByInventoryPath('DC0/vm/c')).toEqual(moRef('VirtualMachine', 'vm-42'));
    expect(vc.sent.map((s) => s.method)).toEqual([
      'RetrieveServiceContent',
      'Login',
      'FindByInventoryPath',
      'FindByInventoryPath',
    ]);
    expect(vc.sent[2]!.cookie).toBe('vmware_soap_session=s1');
    expect(vc.sent[2]!.soapAction).toBe('urn:vim25/8.0.2.0');
    expect(vc.sent[1]!.body).toContain('<password>s3cr&#38;t&#60;pw&#62;</password>');
    expect(vc.sent[2]!.body).toContain('<inventoryPath>DC0/vm/a&#38;b</inventoryPath>');
    // What a log line of the client shows: never the password.
    expect(JSON.stringify({ c })).not.toContain('s3cr');
  });

  it('NotAuthenticated (an expired session) logs in again once and repeats the call; a second refusal is thrown', async () => {
    let session = 0;
    let refuse = 1;
    const vc = scripted((m, _b, cookie) => {
      if (m === 'RetrieveServiceContent') return { body: CONTENT };
      if (m === 'Login') return { body: ENV('<LoginResponse xmlns="urn:vim25"/>'), cookie: `s${++session}` };
      if (refuse > 0 || cookie !== `vmware_soap_session=s${session}`) {
        refuse--;
        return { body: fault('NotAuthenticated', 'The session is not authenticated.') };
      }
      return { body: ENV('<FindByUuidResponse xmlns="urn:vim25"/>') };
    });
    const c = new VimClient(creds, { transport: vc.transport });
    expect(await c.findByUuid('x', { instanceUuid: true })).toBeUndefined();
    expect(vc.sent.map((s) => s.method)).toEqual([
      'RetrieveServiceContent',
      'Login',
      'FindByUuid',
      'Login',
      'FindByUuid',
    ]);
    refuse = 2;
    const e = await c.findByUuid('x', { instanceUuid: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VimFault);
    expect(classifyVSphereError(e)).toMatchObject({ class: 'auth', code: 'NotAuthenticated' });
  });

  it('a property the collector could not read for want of a session is NotAuthenticated too (vcsim answers so)', async () => {
    let loggedIn = false;
    const vc = scripted((m) => {
      if (m === 'RetrieveServiceContent') return { body: CONTENT };
      if (m === 'Login') {
        loggedIn = true;
        return { body: ENV('<LoginResponse xmlns="urn:vim25"/>'), cookie: 'ok' };
      }
      if (!loggedIn)
        return {
          body: ENV(
            '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="Folder">group-d1</obj><missingSet><path>name</path><fault><fault xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="NotAuthenticated"><object type="Folder">group-d1</object></fault></fault></missingSet></objects></returnval></RetrievePropertiesExResponse>',
          ),
        };
      return {
        body: ENV(
          '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="Folder">group-d1</obj><propSet><name>name</name><val xsi:type="xsd:string">Datacenters</val></propSet></objects></returnval></RetrievePropertiesExResponse>',
        ),
      };
    });
    const c = new VimClient(creds, { transport: vc.transport });
    await c.serviceContent();
    // Pretend the first call went out before any login (a session vCenter dropped).
    loggedIn = false;
    const [o] = await c.retrieve([moRef('Folder', 'group-d1')], { Folder: ['name'] });
    expect((o!.props.name as Node)._text).toBe('Datacenters');
  });

  it('faults map to the kit’s classes', async () => {
    const cases: Array<[string, string]> = [
      ['InvalidLogin', 'auth'],
      ['ManagedObjectNotFound', 'not-found'],
      ['DuplicateName', 'conflict'],
      ['InvalidPowerState', 'conflict'],
      ['InvalidState', 'conflict'],
      ['FileFault', 'invalid-input'],
      ['NoDiskSpace', 'capacity'],
      ['InsufficientResourcesFault', 'capacity'],
      ['SystemError', 'transient'],
    ];
    for (const [type, cls] of cases) {
      const vc = scripted((m) =>
        m === 'RetrieveServiceContent' ? { body: CONTENT } : { body: fault(type, `${type} happened`) },
      );
      const e = await new VimClient(creds, { transport: vc.transport })
        .findByInventoryPath('x')
        .catch((x: unknown) => x);
      expect((e as VimFault).fault, type).toBe(type);
      expect(classifyVSphereError(e), type).toMatchObject({ class: cls, code: type, definitive: cls !== 'transient' });
    }
    expect(classifyVSphereError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toMatchObject({
      class: 'auth',
      message: expect.stringContaining('VSPHERE_INSECURE'),
    });
    expect(classifyVSphereError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({
      class: 'transient',
      definitive: false,
    });
  });

  it('a failed task carries its fault', () => {
    const info = parseXml(
      '<info><key>task-9</key><state>error</state><error><fault xsi:type="NoDiskSpace"><datastore>LocalDS_0</datastore></fault><localizedMessage>Insufficient disk space on datastore LocalDS_0.</localizedMessage></error><descriptionId>VirtualMachine.clone</descriptionId></info>',
    ).info as Node;
    const t = parseTaskInfo(moRef('Task', 'task-9'), info);
    expect(t).toMatchObject({ state: 'error', descriptionId: 'VirtualMachine.clone' });
    expect(classifyVSphereError(t.error)).toMatchObject({ class: 'capacity', code: 'NoDiskSpace' });
  });

  it('encodes derived types, managed object references and typed values in the given order', () => {
    expect(
      encode('spec', {
        xsi: 'VirtualMachineConfigSpec',
        numCPUs: 4,
        extraConfig: [{ xsi: 'OptionValue', key: 'a<b', value: xsd('string', '"x"') }],
        skipped: undefined,
      }),
    ).toBe(
      '<spec xsi:type="VirtualMachineConfigSpec"><numCPUs>4</numCPUs><extraConfig xsi:type="OptionValue"><key>a&#60;b</key><value xsi:type="xsd:string">&#34;x&#34;</value></extraConfig></spec>',
    );
    expect(encode('_this', moRef('VirtualMachine', 'vm-1'))).toBe('<_this type="VirtualMachine">vm-1</_this>');
  });
});
