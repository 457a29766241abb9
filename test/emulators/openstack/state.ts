// The OpenStack emulator's model (reference §1.9): one domain, one project and its user (password) and an
// application credential in Keystone; flavors, availability zones, server groups, key pairs and servers in
// Nova; networks, subnets, ports, security groups, routers and trunks in Neutron; images in Glance; volumes
// in Cinder. Time comes from an injectable clock and transitions are computed when state is read (a server is
// BUILD until `buildMs` after its create, then ACTIVE; a deleted one stays `deleting` for `deleteMs`), so tests
// move time instead of sleeping. Quota and fault hooks stand in for what a real cloud refuses.
import { createHash, randomUUID } from 'node:crypto';
import { badRequest, conflict, notFound, OsHttpError, type Service } from './errors.ts';

type Rec = Record<string, unknown>;

export interface OpenStackEmulatorOptions {
  /** Milliseconds a server stays BUILD (default 0: ACTIVE on the first read after its create). */
  buildMs?: number;
  /** Milliseconds a deleted server is still listed (task_state `deleting`). */
  deleteMs?: number;
  /** Milliseconds a volume stays `creating`. */
  volumeMs?: number;
  /** Token lifetime (default one hour). */
  tokenTtlMs?: number;
  /** The clock (default Date.now). */
  now?: () => number;
  region?: string;
  availabilityZones?: string[];
  /** Project quotas; a create past them fails as the service does (Nova 403, Neutron 409, Cinder 413). */
  quota?: Partial<Quota>;
  user?: { name: string; password: string };
  project?: string;
  applicationCredential?: { id: string; name: string; secret: string };
}

export interface Quota {
  instances: number;
  cores: number;
  ports: number;
  volumes: number;
}

/** An injected failure: the next `times` requests matching `service`, `method` and `path` get `status`. */
export interface Fault {
  service?: Service;
  method?: string;
  /** A regular expression matched against the path after the service prefix (`/servers`, `/v2.0/ports`). */
  path?: string;
  status: number;
  times?: number;
  message?: string;
  /** Seconds, sent as `Retry-After` (413/429). */
  retryAfter?: number;
}

export interface Token {
  id: string;
  expiresAt: number;
  issuedAt: number;
  methods: string[];
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

export interface Server {
  id: string;
  name: string;
  flavorId: string;
  imageId: string;
  keyName: string | null;
  metadata: Record<string, string>;
  tags: string[];
  az: string;
  userData: string | null;
  configDrive: boolean;
  groupId?: string | undefined;
  securityGroups: string[];
  /** Ports attached, and which of them Nova made (deleted with the server). */
  ports: string[];
  novaPorts: string[];
  volumes: Array<{ id: string; deleteOnTermination: boolean; tag?: string | undefined }>;
  createdAt: number;
  updatedAt: number;
  /** ERROR with this fault instead of ACTIVE when the build ends. */
  buildFault?: { code: number; message: string } | undefined;
  deletedAt?: number | undefined;
  /** Set by the emulator (someone stopped it). */
  shutoff?: boolean;
}

export interface LedgerEntry {
  id: string;
  name: string;
  metadata: Record<string, string>;
  createdAt: number;
  gone: boolean;
}

export interface Volume {
  id: string;
  name: string;
  size: number;
  volumeType: string;
  az: string;
  imageId?: string | undefined;
  metadata: Record<string, string>;
  createdAt: number;
  attachedTo?: string | undefined;
  bootable: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const isoMicro = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export class OpenStackState {
  readonly o: Required<Omit<OpenStackEmulatorOptions, 'quota' | 'user' | 'applicationCredential' | 'project'>>;
  readonly quota: Quota;
  readonly faults: Fault[] = [];
  readonly user: { id: string; name: string; password: string };
  readonly project: { id: string; name: string };
  readonly domain = { id: 'default', name: 'Default' };
  readonly applicationCredential: { id: string; name: string; secret: string };
  readonly tokens = new Map<string, Token>();
  readonly flavors: Flavor[] = [];
  readonly serverGroups: Rec[] = [];
  readonly keypairs: Rec[] = [];
  readonly servers = new Map<string, Server>();
  /** Every server ever created, deleted ones included (the API forgets those). */
  readonly ledger: LedgerEntry[] = [];
  readonly networks: Rec[] = [];
  readonly subnets: Rec[] = [];
  readonly ports: Rec[] = [];
  readonly securityGroups: Rec[] = [];
  readonly securityGroupRules: Rec[] = [];
  readonly routers: Rec[] = [];
  readonly trunks: Rec[] = [];
  readonly images: Rec[] = [];
  readonly volumes = new Map<string, Volume>();
  /** Every request, as `METHOD service path` (tests count calls per machine from it). */
  readonly requests: Array<{ method: string; service: string; path: string; query: string; agent: string }> = [];
  private macSeq = 1;
  private nextBuildFaults: Array<{ code: number; message: string }> = [];

  constructor(o: OpenStackEmulatorOptions = {}) {
    this.o = {
      buildMs: o.buildMs ?? 0,
      deleteMs: o.deleteMs ?? 0,
      volumeMs: o.volumeMs ?? 0,
      tokenTtlMs: o.tokenTtlMs ?? 3_600_000,
      now: o.now ?? Date.now,
      region: o.region ?? 'RegionOne',
      availabilityZones: o.availabilityZones ?? ['nova'],
    };
    this.quota = { instances: 100, cores: 400, ports: 500, volumes: 100, ...(o.quota ?? {}) };
    const u = o.user ?? { name: 'capi-fn', password: 'capi-fn-password' };
    this.user = { id: hexId(`user:${u.name}`), ...u };
    const p = o.project ?? 'capi-fn';
    this.project = { id: hexId(`project:${p}`), name: p };
    this.applicationCredential = o.applicationCredential ?? {
      id: hexId('appcred:capi-fn'),
      name: 'capi-fn',
      secret: 'capi-fn-application-credential-secret',
    };
    this.reset();
  }

  now(): number {
    return this.o.now();
  }

  /** Back to the seeded state: the flavors, the default security group, nothing else. */
  reset(): void {
    this.tokens.clear();
    this.servers.clear();
    this.volumes.clear();
    this.faults.length = 0;
    this.nextBuildFaults = [];
    this.requests.length = 0;
    for (const a of [
      this.flavors,
      this.serverGroups,
      this.keypairs,
      this.ledger,
      this.networks,
      this.subnets,
      this.ports,
      this.securityGroups,
      this.securityGroupRules,
      this.routers,
      this.trunks,
      this.images,
    ] as unknown[][])
      a.length = 0;
    this.flavors.push(
      { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
      { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
      { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
      { id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
      { id: '5', name: 'm1.xlarge', vcpus: 8, ram: 16384, disk: 160 },
      { id: '6', name: 'm1.xlarge.ocp', vcpus: 8, ram: 16384, disk: 100 },
    );
    this.createSecurityGroup({ name: 'default', description: 'Default security group' });
  }

  // ---- faults ----------------------------------------------------------------------------------------------

  /** The injected failure for this request, if one matches (each consumes one of its `times`). */
  takeFault(service: Service, method: string, path: string): OsHttpError | undefined {
    const i = this.faults.findIndex(
      (f) =>
        (!f.service || f.service === service) &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.path || new RegExp(f.path).test(path)),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.times === undefined || f.times <= 1) this.faults.splice(i, 1);
    else f.times--;
    const headers: Record<string, string> = f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
    const message =
      f.message ??
      (f.status === 413 || f.status === 429 ? 'This request was rate-limited.' : `injected HTTP ${f.status}`);
    return new OsHttpError(f.status, message, f.status === 409 ? 'OverQuota' : '', headers);
  }

  /** The next `n` servers end their build in ERROR with this fault (Nova's "No valid host was found."). */
  failNextBuilds(n: number, message = 'No valid host was found. There are not enough hosts available.'): void {
    for (let i = 0; i < n; i++) this.nextBuildFaults.push({ code: 500, message });
  }

  // ---- Keystone ----------------------------------------------------------------------------------------------

  issueToken(methods: string[]): Token {
    const now = this.now();
    const t: Token = {
      id: `gAAAAA${randomUUID().replace(/-/g, '')}`,
      issuedAt: now,
      expiresAt: now + this.o.tokenTtlMs,
      methods,
    };
    this.tokens.set(t.id, t);
    return t;
  }

  validToken(id: string | undefined): Token | undefined {
    const t = id ? this.tokens.get(id) : undefined;
    return t && t.expiresAt > this.now() ? t : undefined;
  }

  /** Every token stops working (a Keystone restart with rotated keys): clients must authenticate again. */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  tokenBody(t: Token, catalog: unknown[]): Rec {
    return {
      token: {
        methods: t.methods,
        user: { id: this.user.id, name: this.user.name, domain: this.domain, password_expires_at: null },
        audit_ids: [createHash('sha1').update(t.id).digest('base64url').slice(0, 22)],
        expires_at: isoMicro(t.expiresAt),
        issued_at: isoMicro(t.issuedAt),
        project: { id: this.project.id, name: this.project.name, domain: this.domain },
        is_domain: false,
        roles: [
          { id: hexId('role:member'), name: 'member' },
          { id: hexId('role:reader'), name: 'reader' },
        ],
        catalog,
        ...(t.methods.includes('application_credential')
          ? {
              application_credential: {
                id: this.applicationCredential.id,
                name: this.applicationCredential.name,
                restricted: true,
              },
            }
          : {}),
      },
    };
  }

  // ---- Nova ----------------------------------------------------------------------------------------------------

  flavor(ref: string): Flavor | undefined {
    const id = ref.split('/').pop()!;
    return this.flavors.find((f) => f.id === id);
  }

  /** Applies the time that passed: builds end, deletions finish. */
  settle(): void {
    const now = this.now();
    for (const s of [...this.servers.values()]) {
      if (s.deletedAt !== undefined) {
        if (now >= s.deletedAt + this.o.deleteMs) this.finishDelete(s);
      }
    }
    for (const p of this.ports) {
      const s = p.device_id ? this.servers.get(String(p.device_id)) : undefined;
      if (s && this.serverStatus(s) === 'ACTIVE') p.status = 'ACTIVE';
    }
  }

  serverStatus(s: Server): string {
    if (s.deletedAt !== undefined) return 'ACTIVE';
    if (this.now() < s.createdAt + this.o.buildMs) return 'BUILD';
    if (s.buildFault) return 'ERROR';
    return s.shutoff ? 'SHUTOFF' : 'ACTIVE';
  }

  liveServers(): Server[] {
    this.settle();
    return [...this.servers.values()];
  }

  getServer(id: string): Server {
    this.settle();
    const s = this.servers.get(id);
    if (!s) throw notFound(`Instance ${id} could not be found.`);
    return s;
  }

  createServer(body: Rec, microversion: [number, number], hints: Rec | undefined): Server {
    const name = str(body.name);
    if (!name) throw badRequest("Invalid input for field/attribute server. Value: None. 'name' is a required property");
    const flavorRef = str(body.flavorRef);
    const flavor = flavorRef ? this.flavor(flavorRef) : undefined;
    if (!flavor) throw badRequest(`Flavor ${flavorRef ?? ''} could not be found.`);
    if (body.tags !== undefined && !atLeast(microversion, [2, 52]))
      throw badRequest(
        "Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)",
      );
    const tags = (body.tags as string[] | undefined) ?? [];
    if (tags.length > 50 || tags.some((t) => t.length > 60 || t.includes(',') || t.includes('/')))
      throw badRequest('Invalid input for field/attribute tags.');
    const az = str(body.availability_zone) ?? this.o.availabilityZones[0]!;
    if (!this.o.availabilityZones.includes(az.split(':')[0]!))
      throw badRequest('The requested availability zone is not available');
    const keyName = str(body.key_name) ?? null;
    if (keyName && !this.keypairs.some((k) => k.name === keyName)) throw badRequest('Invalid key_name provided.');
    const userData = str(body.user_data) ?? null;
    if (userData !== null) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData)) throw badRequest('User data needs to be valid base 64.');
      if (userData.length > 65535)
        throw badRequest('User data too large. User data must be no larger than 65535 bytes once base64 encoded.');
    }
    const metadata = (body.metadata as Record<string, string> | undefined) ?? {};
    if (Object.keys(metadata).length > 128)
      throw new OsHttpError(403, 'Quota exceeded for metadata_items: Requested 129, but already used 0 of 128');
    for (const [k, v] of Object.entries(metadata))
      if (k.length > 255 || typeof v !== 'string' || v.length > 255)
        throw badRequest('Invalid input for field/attribute metadata.');
    const groupId = str(hints?.group);
    if (groupId && !this.serverGroups.some((g) => g.id === groupId))
      throw badRequest(`Invalid server group ${groupId}`);

    // Block devices: the image, a volume, an image made into a volume, blank devices.
    const bdms = (body.block_device_mapping_v2 as Rec[] | undefined) ?? [];
    let imageId = str(body.imageRef) ?? '';
    const bootVolume = bdms.find((b) => Number(b.boot_index) === 0 && b.destination_type === 'volume');
    if (!bootVolume) {
      const bootImage = bdms.find((b) => Number(b.boot_index) === 0 && b.source_type === 'image');
      if (bootImage) imageId = str(bootImage.uuid) ?? imageId;
      if (!imageId)
        throw badRequest('Block Device Mapping is Invalid: You specified more local devices than the limit allows');
      const img = this.images.find((i) => i.id === imageId);
      if (img?.status !== 'active') throw badRequest(`Image ${imageId} could not be found.`);
    } else imageId = '';
    for (const b of bdms) {
      if (b.source_type === 'volume') {
        const v = this.volumes.get(String(b.uuid));
        if (!v) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${String(b.uuid)}.`);
        this.settleVolume(v);
        if (this.volumeStatus(v) !== 'available')
          throw badRequest(`Block Device Mapping is Invalid: volume ${v.id} status must be 'available'.`);
      }
    }

    // Networks: existing ports (not in use) or a network Nova makes a port on.
    const networks = body.networks;
    const requested = Array.isArray(networks) ? (networks as Rec[]) : [];
    for (const n of requested) {
      if (n.port) {
        const p = this.ports.find((x) => x.id === n.port);
        if (!p) throw notFound(`Port id ${String(n.port)} could not be found.`);
        if (p.device_id) throw conflict(`Port ${String(n.port)} is still in use.`);
      } else if (n.uuid && !this.networks.some((x) => x.id === n.uuid)) {
        throw badRequest(`Network ${String(n.uuid)} could not be found.`);
      }
    }
    const live = [...this.servers.values()].filter((s) => s.deletedAt === undefined);
    if (live.length + 1 > this.quota.instances)
      throw new OsHttpError(
        403,
        `Quota exceeded for instances: Requested 1, but already used ${live.length} of ${this.quota.instances} instances`,
      );
    const cores = live.reduce((n, s) => n + (this.flavor(s.flavorId)?.vcpus ?? 0), 0);
    if (cores + flavor.vcpus > this.quota.cores)
      throw new OsHttpError(
        403,
        `Quota exceeded for cores: Requested ${flavor.vcpus}, but already used ${cores} of ${this.quota.cores} cores`,
      );

    const now = this.now();
    const s: Server = {
      id: randomUUID(),
      name,
      flavorId: flavor.id,
      imageId,
      keyName,
      metadata: { ...metadata },
      tags: [...tags],
      az,
      userData,
      configDrive: Boolean(body.config_drive),
      groupId,
      securityGroups: ((body.security_groups as Rec[] | undefined) ?? []).map((g) => String(g.name)),
      ports: [],
      novaPorts: [],
      volumes: [],
      createdAt: now,
      updatedAt: now,
      buildFault: this.nextBuildFaults.shift(),
    };
    for (const n of requested) {
      let port: Rec;
      if (n.port) port = this.ports.find((x) => x.id === n.port)!;
      else {
        port = this.createPort({ network_id: n.uuid, name: '' });
        s.novaPorts.push(String(port.id));
      }
      port.device_id = s.id;
      port.device_owner = `compute:${az}`;
      port['binding:host_id'] = 'emulator-compute';
      port['binding:vif_type'] = 'ovs';
      port.updated_at = iso(now);
      s.ports.push(String(port.id));
    }
    for (const b of bdms) {
      const deleteOnTermination = Boolean(b.delete_on_termination);
      const tag = str(b.tag);
      if (b.source_type === 'volume') {
        const v = this.volumes.get(String(b.uuid))!;
        v.attachedTo = s.id;
        s.volumes.push({ id: v.id, deleteOnTermination, tag });
      } else if (b.destination_type === 'volume') {
        // Nova makes the volume (from the image, or blank).
        const v = this.createVolume({
          name: '',
          size: Number(b.volume_size ?? 1),
          imageRef: b.source_type === 'image' ? b.uuid : undefined,
          volume_type: b.volume_type,
          availability_zone: az,
        });
        v.attachedTo = s.id;
        s.volumes.push({ id: v.id, deleteOnTermination, tag });
      }
    }
    if (groupId) (this.serverGroups.find((g) => g.id === groupId)!.members as string[]).push(s.id);
    this.servers.set(s.id, s);
    this.ledger.push({ id: s.id, name, metadata: { ...metadata }, createdAt: now, gone: false });
    return s;
  }

  deleteServer(id: string): void {
    const s = this.getServer(id);
    if (s.deletedAt === undefined) s.deletedAt = this.now();
    this.settle();
  }

  private finishDelete(s: Server): void {
    this.servers.delete(s.id);
    const entry = this.ledger.find((e) => e.id === s.id);
    if (entry) entry.gone = true;
    // Nova deletes the ports it made; ports a user made stay, unbound.
    for (const pid of s.ports) {
      const p = this.ports.find((x) => x.id === pid);
      if (!p) continue;
      if (s.novaPorts.includes(pid)) this.ports.splice(this.ports.indexOf(p), 1);
      else
        Object.assign(p, {
          device_id: '',
          device_owner: '',
          status: 'DOWN',
          'binding:host_id': '',
          'binding:vif_type': 'unbound',
        });
    }
    for (const a of s.volumes) {
      const v = this.volumes.get(a.id);
      if (!v) continue;
      if (a.deleteOnTermination) this.volumes.delete(v.id);
      else v.attachedTo = undefined;
    }
    for (const g of this.serverGroups) g.members = (g.members as string[]).filter((m) => m !== s.id);
  }

  /** What someone outside does: a server deleted at once, whatever the emulator's deletion delay. */
  deleteServerNow(id: string): void {
    const s = this.servers.get(id);
    if (s) this.finishDelete(s);
  }

  addresses(s: Server): Record<string, Rec[]> {
    const out: Record<string, Rec[]> = {};
    for (const pid of s.ports) {
      const p = this.ports.find((x) => x.id === pid);
      if (!p) continue;
      const net = this.networks.find((n) => n.id === p.network_id);
      const key = String(net?.name ?? p.network_id);
      for (const ip of (p.fixed_ips as Array<{ ip_address: string }>) ?? []) {
        out[key] = out[key] ?? [];
        out[key].push({
          version: ip.ip_address.includes(':') ? 6 : 4,
          addr: ip.ip_address,
          'OS-EXT-IPS:type': 'fixed',
          'OS-EXT-IPS-MAC:mac_addr': p.mac_address,
        });
      }
    }
    return out;
  }

  /** The server as `GET /servers/{id}` shows it at this microversion. */
  serverBody(s: Server, base: string, mv: [number, number]): Rec {
    const status = this.serverStatus(s);
    const f = this.flavor(s.flavorId)!;
    const link = (kind: string, id: string) => [
      { rel: 'self', href: `${base}/${kind}/${id}` },
      { rel: 'bookmark', href: `${base.replace(/\/v2\.1$/, '')}/${kind}/${id}` },
    ];
    const building = status === 'BUILD';
    const body: Rec = {
      id: s.id,
      name: s.name,
      status,
      tenant_id: this.project.id,
      user_id: this.user.id,
      metadata: s.metadata,
      hostId: createHash('sha224').update(`${this.project.id}emulator-compute`).digest('hex'),
      image: s.imageId ? { id: s.imageId, links: link('images', s.imageId) } : '',
      flavor: atLeast(mv, [2, 47])
        ? { vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: 0, swap: 0, original_name: f.name, extra_specs: {} }
        : { id: f.id, links: link('flavors', f.id) },
      created: iso(s.createdAt),
      updated: iso(s.updatedAt),
      addresses: this.addresses(s),
      accessIPv4: '',
      accessIPv6: '',
      links: link('servers', s.id),
      'OS-DCF:diskConfig': 'MANUAL',
      progress: building ? 0 : 100,
      'OS-EXT-AZ:availability_zone': building ? '' : s.az,
      config_drive: s.configDrive ? 'True' : '',
      key_name: s.keyName,
      'OS-SRV-USG:launched_at': building ? null : isoMicro(s.createdAt + this.o.buildMs).replace(/Z$/, ''),
      'OS-SRV-USG:terminated_at': null,
      'OS-EXT-STS:task_state': s.deletedAt !== undefined ? 'deleting' : building ? 'spawning' : null,
      'OS-EXT-STS:vm_state':
        status === 'BUILD' ? 'building' : status === 'ERROR' ? 'error' : status === 'SHUTOFF' ? 'stopped' : 'active',
      'OS-EXT-STS:power_state': status === 'ACTIVE' ? 1 : status === 'SHUTOFF' ? 4 : 0,
      'os-extended-volumes:volumes_attached': s.volumes.map((v) => ({
        id: v.id,
        delete_on_termination: v.deleteOnTermination,
      })),
      security_groups: (s.securityGroups.length ? s.securityGroups : ['default']).map((name) => ({ name })),
    };
    if (atLeast(mv, [2, 26])) body.tags = s.tags;
    if (atLeast(mv, [2, 3])) {
      body['OS-EXT-SRV-ATTR:user_data'] = s.userData;
      body['OS-EXT-SRV-ATTR:hostname'] = s.name;
    }
    if (atLeast(mv, [2, 19])) body.description = null;
    if (atLeast(mv, [2, 9])) body.locked = false;
    if (status === 'ERROR' && s.buildFault)
      body.fault = {
        code: s.buildFault.code,
        message: s.buildFault.message,
        created: iso(s.createdAt + this.o.buildMs),
      };
    return body;
  }

  // ---- Neutron ----------------------------------------------------------------------------------------------

  private std(body: Rec, fields: Rec): Rec {
    const now = iso(this.now());
    return {
      id: randomUUID(),
      name: str(body.name) ?? '',
      description: str(body.description) ?? '',
      tenant_id: this.project.id,
      project_id: this.project.id,
      tags: [],
      created_at: now,
      updated_at: now,
      revision_number: 0,
      ...fields,
    };
  }

  createNetwork(body: Rec): Rec {
    const n = this.std(body, {
      status: 'ACTIVE',
      admin_state_up: body.admin_state_up ?? true,
      shared: Boolean(body.shared),
      'router:external': Boolean(body['router:external']),
      subnets: [],
      mtu: 1442,
      port_security_enabled: body.port_security_enabled ?? true,
      availability_zone_hints: [],
      availability_zones: ['nova'],
      ipv4_address_scope: null,
      ipv6_address_scope: null,
      is_default: false,
      'provider:network_type': 'local',
      'provider:physical_network': null,
      'provider:segmentation_id': null,
    });
    this.networks.push(n);
    return n;
  }

  createSubnet(body: Rec): Rec {
    const net = this.networks.find((n) => n.id === body.network_id);
    if (!net) throw notFound(`Network ${String(body.network_id)} could not be found.`, 'NetworkNotFound');
    const cidr = str(body.cidr);
    if (!cidr || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr))
      throw badRequest(`Invalid input for cidr. Reason: '${cidr ?? ''}' is not a valid IP subnet.`);
    const [addr] = cidr.split('/');
    const base = addr!.split('.').map(Number);
    const host = (n: number) => `${base[0]}.${base[1]}.${base[2]}.${(base[3]! & 0xff) + n}`;
    const s = this.std(body, {
      network_id: net.id,
      ip_version: Number(body.ip_version ?? 4),
      cidr,
      gateway_ip: body.gateway_ip === null ? null : (str(body.gateway_ip) ?? host(1)),
      allocation_pools: body.allocation_pools ?? [{ start: host(2), end: host(254) }],
      enable_dhcp: body.enable_dhcp ?? true,
      dns_nameservers: body.dns_nameservers ?? [],
      host_routes: [],
      ipv6_address_mode: null,
      ipv6_ra_mode: null,
      subnetpool_id: null,
      service_types: [],
      segment_id: null,
      next_ip: 2,
    });
    this.subnets.push(s);
    (net.subnets as string[]).push(String(s.id));
    return s;
  }

  createPort(body: Rec): Rec {
    const net = this.networks.find((n) => n.id === body.network_id);
    if (!net) throw notFound(`Network ${String(body.network_id)} could not be found.`, 'NetworkNotFound');
    if (this.ports.length + 1 > this.quota.ports)
      throw new OsHttpError(409, "Quota exceeded for resources: ['port'].", 'OverQuota');
    const portSecurity = body.port_security_enabled ?? net.port_security_enabled ?? true;
    const groups = body.security_groups as string[] | undefined;
    if (!portSecurity && groups?.length)
      throw badRequest(
        'Port has security group associated. Cannot disable port security or ip address until security group is removed',
      );
    for (const g of groups ?? [])
      if (!this.securityGroups.some((x) => x.id === g))
        throw notFound(`Security group ${g} does not exist`, 'SecurityGroupNotFound');
    const fixed: Array<{ subnet_id: string; ip_address: string }> = [];
    const wanted = (body.fixed_ips as Rec[] | undefined) ?? [];
    const subnetsOfNet = this.subnets.filter((s) => s.network_id === net.id);
    const pick: Rec[] = wanted.length ? wanted : subnetsOfNet.slice(0, 1).map((s) => ({ subnet_id: s.id }));
    for (const w of pick) {
      const sub = w.subnet_id ? subnetsOfNet.find((s) => s.id === w.subnet_id) : subnetsOfNet[0];
      if (!sub)
        throw badRequest(
          `Invalid input for operation: Failed to create port on network ${String(net.id)}, because fixed_ips included invalid subnet ${String(w.subnet_id)}.`,
        );
      let ip = str(w.ip_address);
      if (ip && this.ports.some((p) => (p.fixed_ips as Array<{ ip_address: string }>).some((f) => f.ip_address === ip)))
        throw conflict(`IP address ${ip} already allocated in subnet ${String(sub.id)}`, 'IpAddressAlreadyAllocated');
      if (!ip) {
        const n = Number(sub.next_ip);
        sub.next_ip = n + 1;
        const [a] = String(sub.cidr).split('/');
        const o = a!.split('.').map(Number);
        ip = `${o[0]}.${o[1]}.${o[2]! + Math.floor(n / 250)}.${(n % 250) + 2}`;
      }
      fixed.push({ subnet_id: String(sub.id), ip_address: ip });
    }
    const seq = this.macSeq++;
    const p = this.std(body, {
      network_id: net.id,
      admin_state_up: body.admin_state_up ?? true,
      status: 'DOWN',
      mac_address: str(body.mac_address) ?? `fa:16:3e:${hex2(seq >> 16)}:${hex2(seq >> 8)}:${hex2(seq)}`,
      fixed_ips: fixed,
      device_id: str(body.device_id) ?? '',
      device_owner: str(body.device_owner) ?? '',
      security_groups: portSecurity
        ? (groups ?? this.securityGroups.filter((g) => g.name === 'default').map((g) => g.id))
        : [],
      allowed_address_pairs: ((body.allowed_address_pairs as Rec[] | undefined) ?? []).map((a) => ({
        ip_address: a.ip_address,
        mac_address: a.mac_address ?? null,
      })),
      extra_dhcp_opts: [],
      port_security_enabled: portSecurity,
      'binding:host_id': str(body['binding:host_id']) ?? '',
      'binding:vnic_type': str(body['binding:vnic_type']) ?? 'normal',
      'binding:profile': body['binding:profile'] ?? {},
      'binding:vif_type': 'unbound',
      'binding:vif_details': {},
      propagate_uplink_status: Boolean(body.propagate_uplink_status),
      dns_name: '',
      dns_assignment: [],
      qos_policy_id: null,
      ip_allocation: 'immediate',
    });
    this.ports.push(p);
    return p;
  }

  deletePort(id: string): void {
    const i = this.ports.findIndex((p) => p.id === id);
    if (i < 0) throw notFound(`Port ${id} could not be found.`, 'PortNotFound');
    const p = this.ports[i]!;
    if (this.trunks.some((t) => t.port_id === id))
      throw conflict(
        `Port ${id} is currently a parent port for trunk ${String(this.trunks.find((t) => t.port_id === id)!.id)}.`,
        'PortInUseAsTrunkParent',
      );
    const s = p.device_id ? this.servers.get(String(p.device_id)) : undefined;
    if (s) s.ports = s.ports.filter((x) => x !== id);
    this.ports.splice(i, 1);
  }

  createSecurityGroup(body: Rec): Rec {
    const g = this.std(body, { security_group_rules: [], stateful: true, shared: false });
    this.securityGroups.push(g);
    for (const ethertype of ['IPv4', 'IPv6'])
      this.createSecurityGroupRule({ security_group_id: g.id, direction: 'egress', ethertype });
    return g;
  }

  createSecurityGroupRule(body: Rec): Rec {
    const g = this.securityGroups.find((x) => x.id === body.security_group_id);
    if (!g) throw notFound(`Security group ${String(body.security_group_id)} does not exist`, 'SecurityGroupNotFound');
    const r = this.std(body, {
      security_group_id: g.id,
      direction: body.direction ?? 'ingress',
      ethertype: body.ethertype ?? 'IPv4',
      protocol: body.protocol ?? null,
      port_range_min: body.port_range_min ?? null,
      port_range_max: body.port_range_max ?? null,
      remote_ip_prefix: body.remote_ip_prefix ?? null,
      remote_group_id: body.remote_group_id ?? null,
      remote_address_group_id: null,
      normalized_cidr: body.remote_ip_prefix ?? null,
      belongs_to_default_sg: g.name === 'default',
    });
    delete r.name;
    delete r.tags;
    this.securityGroupRules.push(r);
    (g.security_group_rules as Rec[]).push(r);
    return r;
  }

  createTrunk(body: Rec): Rec {
    const port = this.ports.find((p) => p.id === body.port_id);
    if (!port) throw notFound(`Port ${String(body.port_id)} could not be found.`, 'PortNotFound');
    if (this.trunks.some((t) => t.port_id === port.id))
      throw conflict(
        `Port ${String(port.id)} is currently in use and is not eligible for use as a parent port.`,
        'ParentPortInUse',
      );
    const t = this.std(body, {
      port_id: port.id,
      status: 'ACTIVE',
      admin_state_up: true,
      sub_ports: body.sub_ports ?? [],
    });
    this.trunks.push(t);
    return t;
  }

  // ---- Glance -------------------------------------------------------------------------------------------------

  createImage(body: Rec): Rec {
    const now = iso(this.now());
    const img: Rec = {
      id: str(body.id) ?? randomUUID(),
      name: str(body.name) ?? null,
      status: 'queued',
      visibility: str(body.visibility) ?? 'shared',
      protected: Boolean(body.protected),
      tags: (body.tags as string[] | undefined) ?? [],
      disk_format: body.disk_format ?? null,
      container_format: body.container_format ?? null,
      min_disk: Number(body.min_disk ?? 0),
      min_ram: Number(body.min_ram ?? 0),
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      owner: this.project.id,
      os_hidden: false,
      created_at: now,
      updated_at: now,
      file: '',
      self: '',
      schema: '/v2/schemas/image',
    };
    img.file = `/v2/images/${String(img.id)}/file`;
    img.self = `/v2/images/${String(img.id)}`;
    // Extra properties (Glance keeps any string property).
    for (const [k, v] of Object.entries(body)) if (!(k in img)) img[k] = v;
    this.images.push(img);
    return img;
  }

  uploadImage(id: string, data: Buffer): Rec {
    const img = this.images.find((i) => i.id === id);
    if (!img) throw notFound(`No image found with ID ${id}`);
    Object.assign(img, {
      status: 'active',
      size: data.length,
      virtual_size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(data).digest('hex'),
      updated_at: iso(this.now()),
    });
    return img;
  }

  // ---- Cinder --------------------------------------------------------------------------------------------------

  createVolume(body: Rec): Volume {
    if ([...this.volumes.values()].length + 1 > this.quota.volumes)
      throw new OsHttpError(
        413,
        'VolumeLimitExceeded: Maximum number of volumes allowed (' + this.quota.volumes + ') exceeded',
      );
    const size = Number(body.size);
    if (!Number.isInteger(size) || size < 1)
      throw badRequest(`Invalid input received: size ${String(body.size)} is not a positive integer.`);
    const imageId = str(body.imageRef);
    if (imageId && !this.images.some((i) => i.id === imageId && i.status === 'active'))
      throw badRequest(`Invalid image identifier or unable to access requested image.`);
    const az = str(body.availability_zone) ?? this.o.availabilityZones[0]!;
    if (!this.o.availabilityZones.includes(az)) throw badRequest(`Availability zone '${az}' is invalid.`);
    const v: Volume = {
      id: randomUUID(),
      name: str(body.name) ?? '',
      size,
      volumeType: str(body.volume_type) ?? '__DEFAULT__',
      az,
      imageId,
      metadata: { ...((body.metadata as Record<string, string> | undefined) ?? {}) },
      createdAt: this.now(),
      bootable: Boolean(imageId),
    };
    this.volumes.set(v.id, v);
    return v;
  }

  settleVolume(_v: Volume): void {}

  volumeStatus(v: Volume): string {
    if (this.now() < v.createdAt + this.o.volumeMs) return 'creating';
    return v.attachedTo ? 'in-use' : 'available';
  }

  volumeBody(v: Volume): Rec {
    return {
      id: v.id,
      name: v.name,
      size: v.size,
      status: this.volumeStatus(v),
      volume_type: v.volumeType,
      availability_zone: v.az,
      bootable: String(v.bootable),
      metadata: v.metadata,
      attachments: v.attachedTo
        ? [{ server_id: v.attachedTo, attachment_id: v.id, volume_id: v.id, device: '/dev/vda', id: v.id }]
        : [],
      created_at: isoMicro(v.createdAt).replace(/Z$/, ''),
      updated_at: null,
      description: null,
      encrypted: false,
      multiattach: false,
      snapshot_id: null,
      source_volid: null,
      user_id: this.user.id,
      'os-vol-tenant-attr:tenant_id': this.project.id,
      ...(v.imageId ? { volume_image_metadata: { image_id: v.imageId } } : {}),
      links: [],
    };
  }
}

export function atLeast(v: [number, number], min: [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

/** A stable 32-hex-digit ID (Keystone's form) derived from a name. */
export function hexId(seed: string): string {
  return createHash('md5').update(seed).digest('hex');
}
