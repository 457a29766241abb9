// The OpenStack emulator, proven with OpenStack's own client: Debian's `openstack` CLI (python3-openstackclient 6.0
// on openstacksdk and keystoneauth) authenticates with a clouds.yaml (password and application credential), creates a
// network, subnet, security group, port and image, and lists, shows and deletes servers. Then the behaviour capi-fn's
// provider relies on, through its own client: token reuse and re-authentication, the catalog, Nova's
// microversions and BUILD → ACTIVE on the emulator's clock, faults, filters, Neutron tags, Cinder boot from volume,
// OpenStack's error shapes, rate limits and quotas.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import { OpenStackApiError, OpenStackRest } from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { classifyOpenStackError } from '../../../functions/providers/openstack/errors.ts';
import { type OpenStackCli, openstackCli } from '../../providers/openstack/support.ts';
import { hasPeer } from '../../support/peers.ts';
import { type OpenStackEmulator, startOpenStackEmulator } from './server.ts';

describe.skipIf(!hasPeer('openstack'))('OpenStack emulator: the openstack CLI accepts it', () => {
  let os: OpenStackEmulator;
  let cli: OpenStackCli;
  beforeAll(async () => {
    os = await startOpenStackEmulator();
    cli = openstackCli(os);
  });
  afterAll(async () => {
    cli?.cleanup();
    await os?.stop();
  });

  it('authenticates with a password and with an application credential', async () => {
    const t = await cli.json<{ project_id: string; expires: string }>('token', 'issue');
    expect(t.project_id).toBe(os.state.project.id);
    const app = openstackCli({ ...os, cloudsYaml: () => os.cloudsYaml({ applicationCredential: true }) });
    try {
      expect((await app.json<{ project_id: string }>('token', 'issue')).project_id).toBe(os.state.project.id);
    } finally {
      app.cleanup();
    }
  }, 180_000);

  it('creates a network, a subnet, a security group, a tagged port and an image', async () => {
    const net = await cli.json<{ id: string; name: string }>('network', 'create', 'ocp-net');
    const sub = await cli.json<{ id: string; cidr: string; network_id: string }>(
      'subnet',
      'create',
      'ocp-subnet',
      '--network',
      'ocp-net',
      '--subnet-range',
      '10.0.0.0/24',
    );
    expect(sub).toMatchObject({ cidr: '10.0.0.0/24', network_id: net.id });
    const sg = await cli.json<{ id: string; name: string }>('security', 'group', 'create', 'ocp-worker');
    const port = await cli.json<{ id: string; fixed_ips: unknown; tags: string[] }>(
      'port',
      'create',
      'ocp-port',
      '--network',
      'ocp-net',
      '--security-group',
      'ocp-worker',
      '--tag',
      'openshiftClusterID=ocp',
    );
    const stored = os.state.ports.find((p) => p.id === port.id)!;
    expect(stored).toMatchObject({
      name: 'ocp-port',
      network_id: net.id,
      security_groups: [sg.id],
      tags: ['openshiftClusterID=ocp'],
    });
    expect((stored.fixed_ips as Array<{ subnet_id: string }>)[0]!.subnet_id).toBe(sub.id);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'img-')), 'rhcos.qcow2');
    writeFileSync(file, Buffer.alloc(4096, 1));
    const img = await cli.json<{ id: string; status: string }>(
      'image',
      'create',
      'rhcos-9.6',
      '--file',
      file,
      '--disk-format',
      'qcow2',
      '--container-format',
      'bare',
      '--tag',
      'rhcos',
    );
    expect(os.state.images.find((i) => i.id === img.id)).toMatchObject({
      status: 'active',
      size: 4096,
      tags: ['rhcos'],
    });
  }, 180_000);

  it('lists, shows and deletes servers', async () => {
    const s = os.state;
    const img = s.images.find((i) => i.name === 'rhcos-9.6')!;
    const port = s.ports.find((p) => p.name === 'ocp-port')!;
    const server = s.createServer(
      {
        name: 'ocp-worker-0',
        flavorRef: '3',
        imageRef: img.id,
        networks: [{ port: port.id }],
        metadata: { role: 'worker' },
      },
      [2, 53],
      undefined,
    );
    const list = await cli.json<Array<{ ID: string; Name: string; Status: string; Networks: unknown }>>(
      'server',
      'list',
    );
    expect(list.map((x) => [x.Name, x.Status])).toEqual([['ocp-worker-0', 'ACTIVE']]);
    const shown = await cli.json<{ id: string; status: string; properties: unknown; addresses: unknown }>(
      'server',
      'show',
      'ocp-worker-0',
    );
    expect(shown).toMatchObject({ id: server.id, status: 'ACTIVE' });
    expect(JSON.stringify(shown.addresses)).toContain('ocp-net');
    await cli('server', 'delete', '--wait', 'ocp-worker-0');
    expect(s.servers.size).toBe(0);
    // The port a user made outlives the server, unbound.
    expect(s.ports.find((p) => p.id === port.id)).toMatchObject({ device_id: '', device_owner: '' });
  }, 180_000);
});

describe('OpenStack emulator: what the provider’s client relies on', () => {
  let os: OpenStackEmulator;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let api: OpenStackApi;
  let rest: OpenStackRest;
  const sleeps: number[] = [];
  beforeAll(async () => {
    os = await startOpenStackEmulator({
      buildMs: 10_000,
      deleteMs: 5_000,
      volumeMs: 3_000,
      tokenTtlMs: 3_600_000,
      now: () => now,
    });
  });
  afterAll(async () => {
    await os?.stop();
  });
  beforeEach(() => {
    os.state.reset();
    sleeps.length = 0;
    rest = new OpenStackRest({ now: () => now, sleep: async (ms) => void sleeps.push(ms) });
    api = new OpenStackApi(rest, cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator'));
  });
  const authCalls = () => os.state.requests.filter((r) => r.service === 'identity' && r.method === 'POST').length;
  const seedImage = () => {
    const img = os.state.createImage({ name: 'rhcos', tags: ['rhcos', 'x86'] });
    os.state.uploadImage(String(img.id), Buffer.from('x'));
    return String(img.id);
  };

  it('one token for many calls; a revoked token is replaced once and the call repeated; an expiring one renewed', async () => {
    await api.listFlavors();
    await api.listNetworks();
    await api.listImages({});
    expect(authCalls()).toBe(1);
    os.state.revokeAllTokens();
    expect((await api.listFlavors()).length).toBeGreaterThan(0);
    expect(authCalls()).toBe(2);
    now += 3_590_000; // within two minutes of expiry: renewed before the call
    await api.listFlavors();
    expect(authCalls()).toBe(3);
  });

  it('application credentials authenticate without a scope; wrong ones are auth errors', async () => {
    const app = new OpenStackApi(
      rest,
      cloudFromYaml(os.cloudsYaml({ applicationCredential: true }), 'capi-fn-emulator'),
    );
    expect((await app.session()).projectId).toBe(os.state.project.id);
    const bad = cloudFromYaml(os.cloudsYaml().replace('capi-fn-password', 'wrong'), 'capi-fn-emulator');
    const err = await new OpenStackApi(rest, bad).listFlavors().catch((e: unknown) => e);
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'auth', httpStatus: 401 });
  });

  it('the catalog interface is honoured (internal endpoints are on localhost here)', async () => {
    const internal = cloudFromYaml(
      os.cloudsYaml().replace('interface: public', 'interface: internal'),
      'capi-fn-emulator',
    );
    const s = await rest.session(internal);
    expect(
      s.catalog.find((e) => e.type === 'compute')!.endpoints.find((e) => e.interface === 'internal')!.url,
    ).toContain('localhost');
    expect((await new OpenStackApi(rest, internal).listFlavors()).length).toBeGreaterThan(0);
    const wrongRegion = cloudFromYaml(os.cloudsYaml(), 'capi-fn-emulator', { region: 'RegionTwo' });
    const err = await new OpenStackApi(rest, wrongRegion).listFlavors().catch((e: unknown) => e);
    expect((err as OpenStackApiError).message).toContain(
      'no compute endpoint for interface public in region RegionTwo',
    );
  });

  it('Nova: the microversion is echoed, 2.53 embeds the flavor and takes tags, an unsupported one is 406', async () => {
    const image = seedImage();
    const net = os.state.createNetwork({ name: 'n' });
    os.state.createSubnet({ network_id: net.id, cidr: '10.1.0.0/24' });
    const port = await api.createPort({ name: 'p', network_id: net.id });
    const { id } = await api.createServer({
      name: 'w-0',
      flavorRef: '3',
      imageRef: image,
      tags: ['openshiftClusterID=x'],
      metadata: { k: 'v' },
      networks: [{ port: port.id }],
    });
    const s = await api.getServer(id);
    expect(s).toMatchObject({
      status: 'BUILD',
      tags: ['openshiftClusterID=x'],
      flavor: { original_name: 'm1.medium' },
      metadata: { k: 'v' },
    });
    const r = await fetch(`${os.authUrl.replace('/identity/v3', '/compute/v2.1')}/flavors`, {
      headers: { 'x-auth-token': (await api.session()).token, 'openstack-api-version': 'compute 2.999' },
    });
    expect(r.status).toBe(406);
    expect(await r.json()).toMatchObject({ notAcceptable: { code: 406 } });
  });

  it('Nova: BUILD → ACTIVE on the clock with addresses from the port; a failed build is ERROR with its fault', async () => {
    const image = seedImage();
    const net = os.state.createNetwork({ name: 'machines' });
    os.state.createSubnet({ network_id: net.id, cidr: '10.2.0.0/24' });
    const port = await api.createPort({ name: 'w-1-0', network_id: net.id });
    const { id } = await api.createServer({
      name: 'w-1',
      flavorRef: '3',
      imageRef: image,
      networks: [{ port: port.id }],
      availability_zone: 'nova',
    });
    expect((await api.getServer(id)).status).toBe('BUILD');
    now += 10_000;
    const active = await api.getServer(id);
    expect(active).toMatchObject({ status: 'ACTIVE', 'OS-EXT-AZ:availability_zone': 'nova' });
    expect(active.addresses?.machines?.[0]).toMatchObject({ version: 4, 'OS-EXT-IPS:type': 'fixed' });
    os.state.failNextBuilds(1);
    const failed = await api.createServer({ name: 'w-2', flavorRef: '3', imageRef: image });
    now += 10_000;
    expect(await api.getServer(failed.id)).toMatchObject({
      status: 'ERROR',
      fault: { message: expect.stringContaining('No valid host') },
    });
    const err = await api
      .createServer({ name: 'w-3', flavorRef: '3', imageRef: image, availability_zone: 'mars' })
      .catch((e: unknown) => e);
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'invalid-input', code: 'badRequest' });
  });

  it('Nova: the name filter is a regular expression; a deleted server is `deleting`, then 404', async () => {
    const image = seedImage();
    for (const name of ['w-1', 'w-10', 'x-w-1']) await api.createServer({ name, flavorRef: '1', imageRef: image });
    expect((await api.listServersNamed('w-1')).map((s) => s.name)).toEqual(['w-1']);
    expect((await api.listServers({ name: 'w-1' })).map((s) => s.name).sort()).toEqual(['w-1', 'w-10', 'x-w-1']);
    const [s] = await api.listServersNamed('w-10');
    await api.deleteServer(s!.id);
    expect((await api.getServer(s!.id))['OS-EXT-STS:task_state']).toBe('deleting');
    now += 5_000;
    const err = await api.getServer(s!.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackApiError);
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'not-found', code: 'itemNotFound' });
  });

  it('Neutron: a create drops tags (as Zed does), PUT sets them; filters by name and tags; NeutronError shapes; ports over quota (409)', async () => {
    const net = os.state.createNetwork({ name: 'n1' });
    os.state.createSubnet({ network_id: net.id, cidr: '10.3.0.0/24' });
    const a = await api.createPort({ name: 'a', network_id: net.id, tags: ['x', 'y'] });
    expect(a.tags).toEqual([]);
    await api.replacePortTags(a.id, ['x', 'y']);
    const b = await api.createPort({ name: 'b', network_id: net.id });
    await api.replacePortTags(b.id, ['y']);
    expect((await api.listPorts({ tags: 'x,y' })).map((p) => p.name)).toEqual(['a']);
    expect((await api.listPorts({ 'tags-any': 'x,y' })).map((p) => p.name)).toEqual(['a', 'b']);
    expect((await api.listPorts({ name: 'b', network_id: String(net.id) })).map((p) => p.id)).toEqual([b.id]);
    await api.replacePortTags(b.id, ['z']);
    expect((await api.listPorts({ tags: 'z' })).map((p) => p.name)).toEqual(['b']);
    const missing = await api.deletePort('00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, type: 'PortNotFound' });
    os.state.quota.ports = 2;
    const over = await api.createPort({ name: 'c', network_id: net.id }).catch((e: unknown) => e);
    expect(classifyOpenStackError(over)).toMatchObject({ class: 'quota', code: 'OverQuota', httpStatus: 409 });
    const trunk = await api.createTrunk({ name: 'a', port_id: b.id });
    expect((await api.listTrunks({ port_id: b.id })).map((t) => t.id)).toEqual([trunk.id]);
  });

  it('Glance: images by name and by every tag', async () => {
    seedImage();
    const other = os.state.createImage({ name: 'rhcos', tags: ['rhcos'] });
    os.state.uploadImage(String(other.id), Buffer.from('y'));
    expect(await api.listImages({ name: 'rhcos' })).toHaveLength(2);
    expect(await api.listImages({ name: 'rhcos', tags: ['rhcos', 'x86'] })).toHaveLength(1);
    expect(await api.listImages({ name: 'nope' })).toEqual([]);
  });

  it('Cinder: a volume is creating, then available; booted from, it goes with a delete_on_termination server', async () => {
    const image = seedImage();
    const v = await api.createVolume({
      name: 'w-root',
      size: 20,
      imageRef: image,
      metadata: { 'capi-fn-machine-uid': 'u1' },
    });
    expect(v.status).toBe('creating');
    const early = await api
      .createServer({
        name: 'w',
        flavorRef: '3',
        block_device_mapping_v2: [
          { source_type: 'volume', destination_type: 'volume', uuid: v.id, boot_index: 0, delete_on_termination: true },
        ],
      })
      .catch((e: unknown) => e);
    expect(classifyOpenStackError(early).class).toBe('invalid-input');
    now += 3_000;
    expect(
      (await api.listVolumes({ metadata: { 'capi-fn-machine-uid': 'u1' } })).map((x) => [x.name, x.status]),
    ).toEqual([['w-root', 'available']]);
    const { id } = await api.createServer({
      name: 'w',
      flavorRef: '3',
      block_device_mapping_v2: [
        { source_type: 'volume', destination_type: 'volume', uuid: v.id, boot_index: 0, delete_on_termination: true },
      ],
    });
    expect((await api.getVolume(v.id)).status).toBe('in-use');
    await api.deleteServer(id);
    now += 5_000;
    expect(await api.listVolumes({ name: 'w-root' })).toEqual([]);
  });

  it('rate limits: a GET is retried after a short Retry-After; a POST is not, and is classified throttled with the delay', async () => {
    os.state.faults.push({
      service: 'compute',
      method: 'GET',
      path: '^/flavors',
      status: 429,
      times: 1,
      retryAfter: 1,
    });
    expect((await api.listFlavors()).length).toBeGreaterThan(0);
    expect(sleeps).toEqual([1000]);
    os.state.faults.push({
      service: 'network',
      method: 'POST',
      path: '^/ports',
      status: 413,
      times: 1,
      retryAfter: 30,
    });
    const net = os.state.createNetwork({ name: 'rl' });
    const err = await api.createPort({ name: 'p', network_id: net.id }).catch((e: unknown) => e);
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'throttled', retryAfterMs: 30_000, definitive: true });
  });

  it('quota: Nova refuses a server past the instance quota with 403, classified as quota', async () => {
    const image = seedImage();
    os.state.quota.instances = 1;
    await api.createServer({ name: 'q-0', flavorRef: '1', imageRef: image });
    const err = await api.createServer({ name: 'q-1', flavorRef: '1', imageRef: image }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, type: 'forbidden' });
    expect(classifyOpenStackError(err)).toMatchObject({ class: 'quota', definitive: true });
  });
});
