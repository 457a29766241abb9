// An OpenStack emulator over HTTP, written from the API references (reference §1.9), for the calls capi-fn's
// OpenStack provider and Debian's `openstack` CLI (python3-openstackclient 6.0, openstacksdk 0.101) make. One
// port serves every service under a path prefix, as devstack lays them out:
//
//   /identity/v3   Keystone: POST/GET/DELETE /auth/tokens (password, application_credential, token), catalog
//   /compute/v2.1  Nova: flavors, os-availability-zone, os-server-groups, os-keypairs, servers (microversions
//                  2.1–2.95 by `OpenStack-API-Version: compute X` or `X-OpenStack-Nova-API-Version`)
//   /network/v2.0  Neutron: extensions, networks, subnets, ports, security-groups(-rules), routers, trunks, tags
//   /image/v2      Glance: images (create, upload, list with filters, tags, delete)
//   /volume/v3/<project>  Cinder: volumes (boot from volume)
//
// Every service but version discovery wants a valid `X-Auth-Token` (401 otherwise, so clients re-authenticate).
// Faults for tests and demos: `POST /emulator/faults` with a Fault (state.ts), or `state.faults.push` in process.
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { badRequest, conflict, errorBody, notFound, OsHttpError, type Service, unauthorized } from './errors.ts';
import { matchTags, neutronFilter, novaNameMatches, page, selectFields } from './filters.ts';
import { atLeast, type Fault, type OpenStackEmulatorOptions, OpenStackState, type Server } from './state.ts';

type Rec = Record<string, unknown>;

/** The newest Nova microversion the emulator speaks (Zed's is 2.93; 2.95 is 2023.1's). */
export const MAX_MICROVERSION: [number, number] = [2, 95];
const MAX_BODY = 8 * 1024 * 1024;

export interface OpenStackEmulator {
  /** `http://127.0.0.1:PORT/identity/v3`: the `auth_url`. */
  authUrl: string;
  port: number;
  state: OpenStackState;
  /** The clouds.yaml text for this emulator (cloud `capi-fn-emulator`, password auth). */
  cloudsYaml(o?: { cloudName?: string; applicationCredential?: boolean }): string;
  stop(): Promise<void>;
}

interface Req {
  method: string;
  service: Service;
  /** The path after the service's versioned prefix (`/servers/detail`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Rec;
  raw: Buffer;
  base: string;
}

interface Res {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startOpenStackEmulator(
  o: OpenStackEmulatorOptions & { port?: number; host?: string } = {},
): Promise<OpenStackEmulator> {
  const state = new OpenStackState(o);
  const host = o.host ?? '127.0.0.1';
  let port = 0;
  const server: HttpServer = createServer((req, res) => {
    handle(state, port, host, req, res).catch((e: unknown) => {
      send(res, 500, {
        error: { code: 500, title: 'Internal Server Error', message: `emulator error: ${(e as Error).message}` },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const authUrl = `http://${host}:${port}/identity/v3`;
  return {
    authUrl,
    port,
    state,
    cloudsYaml: (c = {}) =>
      cloudsYamlFor(state, authUrl, c.cloudName ?? 'capi-fn-emulator', Boolean(c.applicationCredential)),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function cloudsYamlFor(state: OpenStackState, authUrl: string, cloudName: string, appCred: boolean): string {
  const auth = appCred
    ? [
        `      application_credential_id: ${state.applicationCredential.id}`,
        `      application_credential_secret: ${state.applicationCredential.secret}`,
      ]
    : [
        `      username: ${state.user.name}`,
        `      password: ${state.user.password}`,
        `      project_name: ${state.project.name}`,
        '      user_domain_name: Default',
        '      project_domain_name: Default',
      ];
  return [
    'clouds:',
    `  ${cloudName}:`,
    '    auth:',
    `      auth_url: ${authUrl}`,
    ...auth,
    `    auth_type: ${appCred ? 'v3applicationcredential' : 'password'}`,
    `    region_name: ${state.o.region}`,
    '    interface: public',
    '    identity_api_version: 3',
    '',
  ].join('\n');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-openstack-request-id': `req-${crypto.randomUUID()}`,
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new OsHttpError(413, 'Request Entity Too Large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const PREFIXES: Array<[Service, RegExp]> = [
  ['identity', /^\/identity(\/v3)?(\/.*)?$/],
  ['compute', /^\/compute(\/v2(?:\.1)?)?(\/.*)?$/],
  ['network', /^\/network(\/v2\.0)?(\/.*)?$/],
  ['image', /^\/image(\/v2)?(\/.*)?$/],
  ['volume', /^\/volume(\/v3(?:\/[0-9a-f]{32})?)?(\/.*)?$/],
];

async function handle(
  state: OpenStackState,
  port: number,
  host: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${host}:${port}`}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const raw = await readBody(req);
  if (url.pathname.startsWith('/emulator/')) return emulatorControl(state, method, url, raw, res);
  const origin = `http://${req.headers.host ?? `${host}:${port}`}`;
  let service: Service = 'identity';
  try {
    const match = PREFIXES.map(([s, re]) => [s, re.exec(url.pathname)] as const).find(([, m]) => m);
    if (!match) throw notFound(`The resource could not be found.`);
    service = match[0];
    const [, versioned, rest] = match[1]!;
    const path = (rest ?? '').replace(/\/+$/, '') || '/';
    state.requests.push({
      method,
      service,
      path: `${versioned ?? ''}${path}`,
      query: url.search,
      agent: header(req.headers, 'user-agent') ?? '',
    });
    // Version discovery needs no token.
    if (!versioned || (path === '/' && method === 'GET')) {
      const r = versions(service, origin, Boolean(versioned), state);
      return send(res, r.status, r.body);
    }
    const fault = state.takeFault(service, method, path);
    if (fault) throw fault;
    let body: Rec = {};
    const type = req.headers['content-type'] ?? '';
    if (raw.length && !type.includes('octet-stream')) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Rec;
      } catch {
        throw badRequest('Malformed request body');
      }
    }
    const base = `${origin}${url.pathname.slice(0, url.pathname.length - (rest ?? '').length)}`.replace(/\/+$/, '');
    const r: Req = { method, service, path, query: url.searchParams, headers: req.headers, body, raw, base };
    if (service !== 'identity' || !(path === '/auth/tokens' && method === 'POST')) {
      if (!state.validToken(header(req.headers, 'x-auth-token'))) throw unauthorized();
    }
    let out: Res;
    switch (service) {
      case 'identity':
        out = identity(state, r, origin);
        break;
      case 'compute':
        out = compute(state, r);
        break;
      case 'network':
        out = network(state, r);
        break;
      case 'image':
        out = image(state, r);
        break;
      case 'volume':
        out = volume(state, r);
        break;
    }
    send(res, out.status, out.body, out.headers);
  } catch (e) {
    if (e instanceof OsHttpError) {
      send(res, e.status, errorBody(service, e), e.headers);
      return;
    }
    throw e;
  }
}

function header(h: IncomingMessage['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function emulatorControl(state: OpenStackState, method: string, url: URL, raw: Buffer, res: ServerResponse): void {
  if (method === 'POST' && url.pathname === '/emulator/faults') {
    const f = JSON.parse(raw.toString('utf8') || '{}') as Fault;
    state.faults.push(f);
    send(res, 201, { fault: f });
    return;
  }
  if (method === 'POST' && url.pathname === '/emulator/revoke-tokens') {
    state.revokeAllTokens();
    send(res, 204, undefined);
    return;
  }
  send(res, 404, { error: { code: 404, title: 'Not Found', message: 'unknown emulator control' } });
}

// ---- version discovery --------------------------------------------------------------------------------------

function versions(service: Service, origin: string, versioned: boolean, state: OpenStackState): Res {
  const updated = '2022-09-01T00:00:00Z';
  switch (service) {
    case 'identity': {
      const v = {
        id: 'v3.14',
        status: 'stable',
        updated,
        links: [{ rel: 'self', href: `${origin}/identity/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      };
      return versioned ? { status: 200, body: { version: v } } : { status: 300, body: { versions: { values: [v] } } };
    }
    case 'compute': {
      const v = {
        id: 'v2.1',
        status: 'CURRENT',
        version: MAX_MICROVERSION.join('.'),
        min_version: '2.1',
        updated: '2013-07-23T11:33:21Z',
        links: [{ rel: 'self', href: `${origin}/compute/v2.1/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      };
      return versioned ? { status: 200, body: { version: v } } : { status: 200, body: { versions: [v] } };
    }
    case 'network': {
      const v = { id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${origin}/network/v2.0/` }] };
      return versioned ? { status: 200, body: { resources: [] } } : { status: 200, body: { versions: [v] } };
    }
    case 'image': {
      const vs = ['2.16', '2.15', '2.9', '2.0'].map((n, i) => ({
        id: `v${n}`,
        status: i === 0 ? 'CURRENT' : 'SUPPORTED',
        links: [{ rel: 'self', href: `${origin}/image/v2/` }],
      }));
      return { status: versioned ? 200 : 300, body: { versions: vs } };
    }
    case 'volume': {
      const v = {
        id: 'v3.0',
        status: 'CURRENT',
        version: '3.70',
        min_version: '3.0',
        updated: '2023-01-01T00:00:00Z',
        links: [{ rel: 'self', href: `${origin}/volume/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      };
      return versioned
        ? { status: 200, body: { version: v } }
        : { status: 300, body: { versions: [v], project: state.project.id } };
    }
  }
}

// ---- Keystone ----------------------------------------------------------------------------------------------

export function catalogFor(state: OpenStackState, origin: string): unknown[] {
  const internal = origin.replace('127.0.0.1', 'localhost');
  const entry = (type: string, name: string, path: string) => ({
    id: `${name}-${type}`.replace(/[^a-z0-9-]/g, ''),
    type,
    name,
    endpoints: [
      ['public', origin],
      ['internal', internal],
      ['admin', origin],
    ].map(([iface, host]) => ({
      id: `${name}-${type}-${iface}`,
      interface: iface,
      region: state.o.region,
      region_id: state.o.region,
      url: `${host}${path}`,
    })),
  });
  return [
    entry('identity', 'keystone', '/identity'),
    entry('compute', 'nova', '/compute/v2.1'),
    entry('network', 'neutron', '/network'),
    entry('image', 'glance', '/image'),
    entry('block-storage', 'cinder', `/volume/v3/${state.project.id}`),
    entry('volumev3', 'cinderv3', `/volume/v3/${state.project.id}`),
  ];
}

function identity(state: OpenStackState, r: Req, origin: string): Res {
  if (r.path !== '/auth/tokens') {
    if (r.method === 'GET' && r.path === '/auth/catalog')
      return { status: 200, body: { catalog: catalogFor(state, origin) } };
    if (r.method === 'GET' && r.path === `/projects/${state.project.id}`)
      return {
        status: 200,
        body: { project: { id: state.project.id, name: state.project.name, domain_id: 'default', enabled: true } },
      };
    throw notFound('The resource could not be found.');
  }
  if (r.method === 'GET') {
    const t = state.validToken(header(r.headers, 'x-subject-token'));
    if (!t) throw notFound('Could not find token.');
    return { status: 200, body: state.tokenBody(t, catalogFor(state, origin)), headers: { 'x-subject-token': t.id } };
  }
  if (r.method === 'DELETE') {
    state.tokens.delete(header(r.headers, 'x-subject-token') ?? '');
    return { status: 204 };
  }
  if (r.method !== 'POST') throw new OsHttpError(405, 'The method is not allowed for the requested URL.');
  const id = (r.body.auth as Rec | undefined)?.identity as Rec | undefined;
  const methods = (id?.methods as string[] | undefined) ?? [];
  const denied = () => new OsHttpError(401, 'The request you have made requires authentication.');
  if (methods.includes('password')) {
    const user = ((id!.password as Rec | undefined)?.user ?? {}) as Rec;
    const named = user.name === state.user.name || user.id === state.user.id;
    if (!named || user.password !== state.user.password) throw denied();
    const scope = ((r.body.auth as Rec).scope as Rec | undefined)?.project as Rec | undefined;
    if (scope && scope.name !== state.project.name && scope.id !== state.project.id) throw denied();
  } else if (methods.includes('application_credential')) {
    const ac = (id!.application_credential ?? {}) as Rec;
    const c = state.applicationCredential;
    if ((ac.id !== c.id && ac.name !== c.name) || ac.secret !== c.secret) throw denied();
    if ((r.body.auth as Rec).scope) throw badRequest('Application credentials cannot request a scope.');
  } else if (methods.includes('token')) {
    if (!state.validToken(String((id!.token as Rec | undefined)?.id ?? ''))) throw denied();
  } else throw badRequest('Expecting to find identity in auth.');
  const t = state.issueToken(methods);
  return { status: 201, body: state.tokenBody(t, catalogFor(state, origin)), headers: { 'x-subject-token': t.id } };
}

// ---- Nova --------------------------------------------------------------------------------------------------

function microversion(h: IncomingMessage['headers']): [number, number] {
  const generic = header(h, 'openstack-api-version');
  const legacy = header(h, 'x-openstack-nova-api-version');
  const asked = generic ? /compute\s+(\S+)/i.exec(generic)?.[1] : legacy;
  if (!asked) return [2, 1];
  if (asked === 'latest') return MAX_MICROVERSION;
  const m = /^(\d+)\.(\d+)$/.exec(asked);
  if (!m) throw new OsHttpError(400, `Invalid format for API version: ${asked}`);
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  if (!atLeast(v, [2, 1]) || !atLeast(MAX_MICROVERSION, v))
    throw new OsHttpError(
      406,
      `Version ${asked} is not supported by the API. Minimum is 2.1 and maximum is ${MAX_MICROVERSION.join('.')}.`,
    );
  return v;
}

function compute(state: OpenStackState, r: Req): Res {
  const mv = microversion(r.headers);
  const mvs = mv.join('.');
  const out = computeRoutes(state, r, mv);
  return {
    ...out,
    headers: {
      ...(out.headers ?? {}),
      'openstack-api-version': `compute ${mvs}`,
      'x-openstack-nova-api-version': mvs,
      vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    },
  };
}

function flavorBody(
  f: { id: string; name: string; vcpus: number; ram: number; disk: number },
  base: string,
  detail: boolean,
): Rec {
  const links = [{ rel: 'self', href: `${base}/flavors/${f.id}` }];
  if (!detail) return { id: f.id, name: f.name, links, description: null };
  return {
    ...f,
    links,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    swap: '',
    rxtx_factor: 1.0,
    'os-flavor-access:is_public': true,
    description: null,
    extra_specs: {},
  };
}

function serverList(state: OpenStackState, q: URLSearchParams): Server[] {
  let list = state.liveServers().sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  const name = q.get('name');
  if (name) list = list.filter((s) => novaNameMatches(s.name, name));
  const status = q.get('status');
  if (status) list = list.filter((s) => state.serverStatus(s) === status.toUpperCase());
  const tq = new URLSearchParams();
  for (const k of ['tags', 'tags-any', 'not-tags', 'not-tags-any']) for (const v of q.getAll(k)) tq.append(k, v);
  list = list.filter((s) => matchTags(s.tags, tq));
  const az = q.get('availability_zone');
  if (az) list = list.filter((s) => s.az === az);
  return list;
}

function computeRoutes(state: OpenStackState, r: Req, mv: [number, number]): Res {
  const seg = r.path.split('/').filter(Boolean);
  const { method: m, base, query: q } = r;
  switch (seg[0]) {
    case 'flavors': {
      if (m !== 'GET') break;
      if (seg.length === 1 || seg[1] === 'detail') {
        const detail = seg[1] === 'detail';
        return { status: 200, body: { flavors: state.flavors.map((f) => flavorBody(f, base, detail)) } };
      }
      if (seg[2] === 'os-extra_specs') return { status: 200, body: { extra_specs: {} } };
      const f = state.flavor(seg[1]!) ?? state.flavors.find((x) => x.name === seg[1]);
      if (!f) throw notFound(`Flavor ${seg[1]} could not be found.`);
      return { status: 200, body: { flavor: flavorBody(f, base, true) } };
    }
    case 'os-availability-zone':
      return {
        status: 200,
        body: {
          availabilityZoneInfo: state.o.availabilityZones.map((zoneName) => ({
            zoneName,
            zoneState: { available: true },
            hosts: seg[1] === 'detail' ? { 'emulator-compute': {} } : null,
          })),
        },
      };
    case 'os-server-groups': {
      if (m === 'GET' && seg.length === 1) return { status: 200, body: { server_groups: state.serverGroups } };
      if (m === 'POST' && seg.length === 1) {
        const g = (r.body.server_group ?? {}) as Rec;
        const policy = (g.policy as string | undefined) ?? (g.policies as string[] | undefined)?.[0];
        if (!g.name || !policy)
          throw badRequest("Invalid input for field/attribute server_group. 'name' is a required property");
        const sg: Rec = {
          id: crypto.randomUUID(),
          name: g.name,
          members: [],
          metadata: {},
          project_id: state.project.id,
          user_id: state.user.id,
        };
        if (atLeast(mv, [2, 64])) Object.assign(sg, { policy, rules: g.rules ?? {} });
        else sg.policies = [policy];
        state.serverGroups.push(sg);
        return { status: 200, body: { server_group: sg } };
      }
      const g = state.serverGroups.find((x) => x.id === seg[1]);
      if (!g) throw notFound(`Instance group ${seg[1]} could not be found.`);
      if (m === 'DELETE') {
        state.serverGroups.splice(state.serverGroups.indexOf(g), 1);
        return { status: 204 };
      }
      return { status: 200, body: { server_group: g } };
    }
    case 'os-keypairs': {
      if (m === 'GET' && seg.length === 1)
        return { status: 200, body: { keypairs: state.keypairs.map((keypair) => ({ keypair })) } };
      if (m === 'POST') {
        const k = (r.body.keypair ?? {}) as Rec;
        if (state.keypairs.some((x) => x.name === k.name))
          throw conflict(`Key pair '${String(k.name)}' already exists.`);
        const kp = {
          name: k.name,
          public_key: k.public_key ?? 'ssh-ed25519 AAAA emulator',
          fingerprint: 'aa:bb',
          type: 'ssh',
        };
        state.keypairs.push(kp);
        return { status: 200, body: { keypair: kp } };
      }
      const k = state.keypairs.find((x) => x.name === seg[1]);
      if (!k) throw notFound(`Keypair ${seg[1]} not found for user ${state.user.id}`);
      if (m === 'DELETE') {
        state.keypairs.splice(state.keypairs.indexOf(k), 1);
        return { status: 202 };
      }
      return { status: 200, body: { keypair: k } };
    }
    case 'limits':
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalInstances: state.quota.instances,
              maxTotalCores: state.quota.cores,
              totalInstancesUsed: state.liveServers().length,
            },
          },
        },
      };
    case 'servers':
      return servers(state, r, mv, seg, m, base, q);
  }
  throw notFound('The resource could not be found.');
}

function servers(
  state: OpenStackState,
  r: Req,
  mv: [number, number],
  seg: string[],
  m: string,
  base: string,
  q: URLSearchParams,
): Res {
  if (seg.length === 1 && m === 'POST') {
    const body = (r.body.server ?? {}) as Rec;
    const hints = (r.body['os:scheduler_hints'] ?? r.body['OS-SCH-HNT:scheduler_hints']) as Rec | undefined;
    const s = state.createServer(body, mv, hints);
    const links = [{ rel: 'self', href: `${base}/servers/${s.id}` }];
    return {
      status: 202,
      body: {
        server: {
          id: s.id,
          links,
          'OS-DCF:diskConfig': 'MANUAL',
          security_groups: (s.securityGroups.length ? s.securityGroups : ['default']).map((name) => ({ name })),
          adminPass: 'emulatorPass1',
        },
      },
      headers: { location: `${base}/servers/${s.id}` },
    };
  }
  if (seg.length <= 2 && m === 'GET' && (seg.length === 1 || seg[1] === 'detail')) {
    const all = serverList(state, q);
    const { items, next } = page(all, q);
    const key = 'servers';
    const body: Rec = {
      [key]: items.map((s) =>
        seg[1] === 'detail'
          ? state.serverBody(s, base, mv)
          : { id: s.id, name: s.name, links: [{ rel: 'self', href: `${base}/servers/${s.id}` }] },
      ),
    };
    if (next) {
      const nq = new URLSearchParams(q);
      nq.set('marker', next);
      body.servers_links = [{ rel: 'next', href: `${base}/servers${seg[1] ? '/detail' : ''}?${nq}` }];
    }
    return { status: 200, body };
  }
  const s = state.getServer(seg[1]!);
  if (seg.length === 2) {
    if (m === 'GET') return { status: 200, body: { server: state.serverBody(s, base, mv) } };
    if (m === 'DELETE') {
      state.deleteServer(s.id);
      return { status: 204 };
    }
  }
  switch (seg[2]) {
    case 'metadata':
      if (m === 'GET') return { status: 200, body: { metadata: s.metadata } };
      if (m === 'POST' || m === 'PUT') {
        const md = (r.body.metadata ?? {}) as Record<string, string>;
        s.metadata = m === 'PUT' ? { ...md } : { ...s.metadata, ...md };
        return { status: 200, body: { metadata: s.metadata } };
      }
      break;
    case 'tags':
      if (!atLeast(mv, [2, 26])) break;
      if (m === 'GET') return { status: 200, body: { tags: s.tags } };
      if (m === 'PUT' && seg.length === 3) {
        s.tags = [...((r.body.tags as string[] | undefined) ?? [])];
        return { status: 200, body: { tags: s.tags } };
      }
      if (m === 'PUT') {
        if (!s.tags.includes(seg[3]!)) s.tags.push(seg[3]!);
        return { status: 201 };
      }
      break;
    case 'os-interface':
      if (m === 'GET')
        return {
          status: 200,
          body: {
            interfaceAttachments: s.ports.map((pid) => {
              const p = state.ports.find((x) => x.id === pid)!;
              return {
                port_id: pid,
                net_id: p.network_id,
                mac_addr: p.mac_address,
                fixed_ips: p.fixed_ips,
                port_state: p.status,
              };
            }),
          },
        };
      break;
    case 'action': {
      if (r.body['os-stop'] !== undefined) s.shutoff = true;
      else if (r.body['os-start'] !== undefined) s.shutoff = false;
      else break;
      return { status: 202 };
    }
  }
  throw notFound('The resource could not be found.');
}

// ---- Neutron -----------------------------------------------------------------------------------------------

const EXTENSIONS = [
  ['trunk', 'Trunk Extension'],
  ['trunk-details', 'Trunk port details'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute: port, subnet, network, ...'],
  ['tag-ext', 'Tag support for resources: subnet, subnetpool, port, router'],
  ['port-security', 'Port Security'],
  ['binding', 'Port Binding'],
  ['allowed-address-pairs', 'Allowed Address Pairs'],
  ['security-group', 'security-group'],
  ['standard-attr-description', 'standard-attr-description'],
  ['external-net', 'Neutron external network'],
  ['router', 'Neutron L3 Router'],
  ['availability_zone', 'Availability Zone'],
  ['network-ip-availability', 'Network IP Availability'],
  ['quotas', 'Quota management support'],
  ['project-id', 'project_id field enabled'],
];

const NEUTRON: Record<string, { list: (s: OpenStackState) => Rec[]; key: string; label: string }> = {
  networks: { list: (s) => s.networks, key: 'network', label: 'Network' },
  subnets: { list: (s) => s.subnets, key: 'subnet', label: 'Subnet' },
  ports: { list: (s) => s.ports, key: 'port', label: 'Port' },
  'security-groups': { list: (s) => s.securityGroups, key: 'security_group', label: 'Security group' },
  'security-group-rules': {
    list: (s) => s.securityGroupRules,
    key: 'security_group_rule',
    label: 'Security group rule',
  },
  routers: { list: (s) => s.routers, key: 'router', label: 'Router' },
  trunks: { list: (s) => s.trunks, key: 'trunk', label: 'Trunk' },
};

const HIDDEN = new Set(['next_ip']);

function neutronView(r: Rec, q?: URLSearchParams): Rec {
  const out = Object.fromEntries(Object.entries(r).filter(([k]) => !HIDDEN.has(k)));
  return q ? selectFields(out, q) : out;
}

function network(state: OpenStackState, r: Req): Res {
  state.settle();
  const seg = r.path.split('/').filter(Boolean);
  const { method: m, query: q } = r;
  if (seg[0] === 'extensions') {
    const exts = EXTENSIONS.map(([alias, name]) => ({
      alias,
      name,
      description: name,
      updated: '2022-01-01T00:00:00-00:00',
      links: [],
    }));
    if (seg[1]) {
      const e = exts.find((x) => x.alias === seg[1]);
      if (!e) throw notFound(`Extension with alias ${seg[1]} does not exist`, 'ExtensionNotFound');
      return { status: 200, body: { extension: e } };
    }
    return { status: 200, body: { extensions: exts } };
  }
  if (seg[0] === 'quotas') {
    return {
      status: 200,
      body: {
        quota: { port: state.quota.ports, network: 100, subnet: 100, security_group: 10, router: 10, trunk: -1 },
      },
    };
  }
  const kind = NEUTRON[seg[0] ?? ''];
  if (!kind) throw notFound('The resource could not be found.');
  const items = kind.list(state);
  if (seg.length === 1) {
    if (m === 'GET') {
      const filtered = neutronFilter(items, q, {
        fixed_ips: (rec, vals) =>
          vals.every((v) => {
            const [k, val] = v.split('=');
            return (rec.fixed_ips as Rec[]).some((f) => String(f[k!]) === val);
          }),
      });
      const { items: pageItems, next } = page(filtered as Array<Rec & { id: string }>, q);
      const body: Rec = { [`${kind.key}s`]: pageItems.map((x) => neutronView(x, q)) };
      if (next) {
        const nq = new URLSearchParams(q);
        nq.set('marker', next);
        body[`${kind.key}s_links`] = [{ rel: 'next', href: `${r.base}/${seg[0]}?${nq}` }];
      }
      return { status: 200, body };
    }
    if (m === 'POST') {
      const input = r.body[kind.key] as Rec | undefined;
      const bulk = r.body[`${kind.key}s`] as Rec[] | undefined;
      if (bulk)
        return {
          status: 201,
          body: { [`${kind.key}s`]: bulk.map((b) => neutronView(createNeutron(state, seg[0]!, b))) },
        };
      if (!input) throw badRequest(`Resource body required`);
      return { status: 201, body: { [kind.key]: neutronView(createNeutron(state, seg[0]!, input)) } };
    }
    throw new OsHttpError(405, 'The method is not allowed for the requested URL.');
  }
  const obj = items.find((x) => x.id === seg[1]);
  if (!obj) throw notFound(`${kind.label} ${seg[1]} could not be found.`, `${kind.label.replace(/ /g, '')}NotFound`);
  if (seg.length === 2) {
    if (m === 'GET') return { status: 200, body: { [kind.key]: neutronView(obj, q) } };
    if (m === 'PUT') {
      const input = (r.body[kind.key] ?? {}) as Rec;
      for (const [k, v] of Object.entries(input)) if (k !== 'id') obj[k] = v;
      obj.revision_number = Number(obj.revision_number ?? 0) + 1;
      return { status: 200, body: { [kind.key]: neutronView(obj) } };
    }
    if (m === 'DELETE') {
      deleteNeutron(state, seg[0]!, obj);
      return { status: 204 };
    }
  }
  if (seg[2] === 'tags') {
    const tags = (obj.tags as string[] | undefined) ?? [];
    if (seg.length === 3) {
      if (m === 'GET') return { status: 200, body: { tags } };
      if (m === 'PUT') {
        obj.tags = [...new Set((r.body.tags as string[] | undefined) ?? [])];
        return { status: 200, body: { tags: obj.tags } };
      }
      if (m === 'DELETE') {
        obj.tags = [];
        return { status: 204 };
      }
    } else {
      const tag = decodeURIComponent(seg[3]!);
      if (m === 'PUT') {
        if (!tags.includes(tag)) obj.tags = [...tags, tag];
        return { status: 201 };
      }
      if (m === 'GET') {
        if (!tags.includes(tag)) throw notFound(`Tag ${tag} could not be found.`, 'TagNotFound');
        return { status: 204 };
      }
      if (m === 'DELETE') {
        if (!tags.includes(tag)) throw notFound(`Tag ${tag} could not be found.`, 'TagNotFound');
        obj.tags = tags.filter((t) => t !== tag);
        return { status: 204 };
      }
    }
  }
  if (seg[0] === 'trunks' && seg[2] === 'get_subports') return { status: 200, body: { sub_ports: obj.sub_ports } };
  if (seg[0] === 'trunks' && seg[2] === 'add_subports' && m === 'PUT') {
    obj.sub_ports = [...(obj.sub_ports as Rec[]), ...((r.body.sub_ports as Rec[] | undefined) ?? [])];
    return { status: 200, body: neutronView(obj) };
  }
  if (seg[0] === 'trunks' && seg[2] === 'remove_subports' && m === 'PUT') {
    const gone = ((r.body.sub_ports as Rec[] | undefined) ?? []).map((x) => x.port_id);
    obj.sub_ports = (obj.sub_ports as Rec[]).filter((x) => !gone.includes(x.port_id));
    return { status: 200, body: neutronView(obj) };
  }
  throw notFound('The resource could not be found.');
}

// Tags in a create body are dropped, as Zed's Neutron does without the `tag-ports-during-bulk-creation` extension
// (measured against the real one): clients set them with `PUT /<resource>/{id}/tags`.
function createNeutron(state: OpenStackState, collection: string, b: Rec): Rec {
  let out: Rec;
  switch (collection) {
    case 'networks':
      out = state.createNetwork(b);
      break;
    case 'subnets':
      out = state.createSubnet(b);
      break;
    case 'ports':
      out = state.createPort(b);
      break;
    case 'security-groups':
      out = state.createSecurityGroup(b);
      break;
    case 'security-group-rules':
      out = state.createSecurityGroupRule(b);
      break;
    case 'trunks':
      out = state.createTrunk(b);
      break;
    case 'routers': {
      out = {
        id: crypto.randomUUID(),
        name: b.name ?? '',
        description: b.description ?? '',
        status: 'ACTIVE',
        admin_state_up: true,
        external_gateway_info: b.external_gateway_info ?? null,
        project_id: state.project.id,
        tenant_id: state.project.id,
        tags: [],
        routes: [],
      };
      state.routers.push(out);
      break;
    }
    default:
      throw notFound('The resource could not be found.');
  }
  return out;
}

function deleteNeutron(state: OpenStackState, collection: string, obj: Rec): void {
  const remove = (a: Rec[]) => a.splice(a.indexOf(obj), 1);
  switch (collection) {
    case 'ports':
      state.deletePort(String(obj.id));
      return;
    case 'networks':
      if (state.ports.some((p) => p.network_id === obj.id && p.device_owner !== 'network:dhcp'))
        throw conflict(
          `Unable to complete operation on network ${String(obj.id)}. There are one or more ports still in use on the network.`,
          'NetworkInUse',
        );
      for (const s of state.subnets.filter((x) => x.network_id === obj.id))
        state.subnets.splice(state.subnets.indexOf(s), 1);
      remove(state.networks);
      return;
    case 'subnets':
      if (state.ports.some((p) => (p.fixed_ips as Rec[]).some((f) => f.subnet_id === obj.id)))
        throw conflict(
          `Unable to complete operation on subnet ${String(obj.id)}: One or more ports have an IP allocation from this subnet.`,
          'SubnetInUse',
        );
      remove(state.subnets);
      for (const n of state.networks) n.subnets = (n.subnets as string[]).filter((x) => x !== obj.id);
      return;
    case 'security-groups':
      if (state.ports.some((p) => (p.security_groups as string[]).includes(String(obj.id))))
        throw conflict(`Security Group ${String(obj.id)} in use.`, 'SecurityGroupInUse');
      remove(state.securityGroups);
      return;
    case 'security-group-rules': {
      remove(state.securityGroupRules);
      const g = state.securityGroups.find((x) => x.id === obj.security_group_id);
      if (g) g.security_group_rules = (g.security_group_rules as Rec[]).filter((x) => x.id !== obj.id);
      return;
    }
    case 'trunks':
      remove(state.trunks);
      return;
    case 'routers':
      remove(state.routers);
      return;
  }
}

// ---- Glance ------------------------------------------------------------------------------------------------

function image(state: OpenStackState, r: Req): Res {
  const seg = r.path.split('/').filter(Boolean);
  const { method: m, query: q } = r;
  if (seg[0] === 'schemas') return { status: 200, body: { name: seg[1] ?? 'image', properties: {}, links: [] } };
  if (seg[0] !== 'images') throw notFound('The resource could not be found.');
  if (seg.length === 1) {
    if (m === 'POST') return { status: 201, body: state.createImage(r.body) };
    if (m !== 'GET') throw new OsHttpError(405, 'Method not allowed');
    let list = [...state.images].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    const name = q.get('name');
    if (name)
      list = list.filter((i) =>
        name.startsWith('in:') ? name.slice(3).split(',').includes(String(i.name)) : i.name === name,
      );
    const tags = q.getAll('tag');
    if (tags.length) list = list.filter((i) => tags.every((t) => (i.tags as string[]).includes(t)));
    for (const k of ['status', 'visibility', 'disk_format', 'container_format', 'owner'])
      if (q.get(k)) list = list.filter((i) => i[k] === q.get(k));
    const id = q.get('id');
    if (id)
      list = list.filter((i) => (id.startsWith('in:') ? id.slice(3).split(',').includes(String(i.id)) : i.id === id));
    const { items, next } = page(list as Array<Rec & { id: string }>, q);
    const body: Rec = { images: items, first: '/v2/images', schema: '/v2/schemas/images' };
    if (next) {
      const nq = new URLSearchParams(q);
      nq.set('marker', next);
      body.next = `/v2/images?${nq}`;
    }
    return { status: 200, body };
  }
  const img = state.images.find((i) => i.id === seg[1]);
  if (!img) throw notFound(`No image found with ID ${seg[1]}`);
  if (seg.length === 2) {
    if (m === 'GET') return { status: 200, body: img };
    if (m === 'DELETE') {
      state.images.splice(state.images.indexOf(img), 1);
      return { status: 204 };
    }
    if (m === 'PATCH') {
      for (const op of (Array.isArray(r.body) ? r.body : []) as Rec[]) {
        const key = String(op.path ?? '').replace(/^\//, '');
        if (op.op === 'remove') delete img[key];
        else img[key] = op.value;
      }
      return { status: 200, body: img };
    }
  }
  if (seg[2] === 'file' && m === 'PUT') {
    state.uploadImage(String(img.id), r.raw);
    return { status: 204 };
  }
  if (seg[2] === 'tags' && seg[3]) {
    const tag = decodeURIComponent(seg[3]);
    if (m === 'PUT' && !(img.tags as string[]).includes(tag)) (img.tags as string[]).push(tag);
    if (m === 'DELETE') img.tags = (img.tags as string[]).filter((t) => t !== tag);
    return { status: 204 };
  }
  throw notFound('The resource could not be found.');
}

// ---- Cinder ------------------------------------------------------------------------------------------------

function volume(state: OpenStackState, r: Req): Res {
  state.settle();
  const seg = r.path.split('/').filter(Boolean);
  const { method: m, query: q } = r;
  if (seg[0] !== 'volumes') throw notFound('The resource could not be found.');
  if (seg.length === 1 && m === 'POST') {
    const v = state.createVolume((r.body.volume ?? {}) as Rec);
    return { status: 202, body: { volume: state.volumeBody(v) } };
  }
  if (seg.length <= 2 && m === 'GET' && (seg.length === 1 || seg[1] === 'detail')) {
    let list = [...state.volumes.values()];
    const name = q.get('name');
    if (name) list = list.filter((v) => v.name === name);
    const md = q.get('metadata');
    if (md) {
      // Cinder takes a Python dict literal here: {'key': 'value'}.
      const wanted = JSON.parse(md.replace(/'/g, '"')) as Record<string, string>;
      list = list.filter((v) => Object.entries(wanted).every(([k, val]) => v.metadata[k] === val));
    }
    return { status: 200, body: { volumes: list.map((v) => state.volumeBody(v)) } };
  }
  const v = state.volumes.get(seg[1]!);
  if (!v) throw notFound(`Volume ${seg[1]} could not be found.`);
  if (seg.length === 2 && m === 'GET') return { status: 200, body: { volume: state.volumeBody(v) } };
  if (seg.length === 2 && m === 'DELETE') {
    if (v.attachedTo)
      throw new OsHttpError(
        400,
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
    state.volumes.delete(v.id);
    return { status: 202 };
  }
  throw notFound('The resource could not be found.');
}
