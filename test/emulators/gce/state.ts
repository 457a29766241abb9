// The emulated Compute Engine: projects (created on first use, each with an auto-mode `default` network),
// images, networks, subnetworks, instances and operations, in memory. Time is lazy: every read settles the
// transitions that are due (PROVISIONING → STAGING → RUNNING one `stepMs` apart; an operation is DONE after
// one step; a deleted instance is STOPPING for one step, then gone), so nothing runs between requests.
import { createHash, randomUUID } from 'node:crypto';
import {
  ACCELERATOR_TYPES,
  DEFAULT_CPU_QUOTA,
  DEFAULT_ZONES,
  machineTypeShape,
  PUBLIC_IMAGES,
  regionOf,
} from './catalog.ts';
import { alreadyExists, badRequest, GceHttpError, invalid, notFound } from './errors.ts';

type Json = Record<string, unknown>;

export interface Fault {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Matched against the path after /compute/v1/ (a regular expression source). */
  path?: string;
  /** Answer the request with this error instead of doing it. */
  http?: { status: number; reason: string; message?: string };
  /** Accept the insert, then fail its operation with this code (no instance is left), e.g. QUOTA_EXCEEDED. */
  operationError?: { code: string; message?: string; httpStatus?: number };
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

export interface GceEmulatorOptions {
  /** Time between instance states and until an operation is DONE (default 1000 ms). */
  stepMs?: number;
  zones?: string[];
  /** vCPUs per region before an insert fails with QUOTA_EXCEEDED. */
  cpuQuota?: number;
  now?: () => number;
}

interface Operation {
  project: string;
  scope: { kind: 'zone' | 'region' | 'global'; name?: string };
  id: string;
  name: string;
  type: string;
  targetLink: string;
  targetId: string;
  insertAt: number;
  doneAt: number;
  error?: { code: string; message: string; httpStatus: number };
  user: string;
}

interface Instance {
  body: Json;
  zone: string;
  createdAt: number;
  /** The timeline the status follows from `since`. */
  phase: 'create' | 'delete' | 'stop' | 'start';
  since: number;
}

interface Project {
  images: Map<string, Json & { createdAt: number }>;
  networks: Map<string, Json>;
  subnetworks: Map<string, Json & { nextHost: number }>;
  instances: Map<string, Instance>;
  operations: Map<string, Operation>;
  requestIds: Map<string, string>;
}

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

function numericId(seed: string): string {
  return BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 15)}`).toString();
}

function fingerprint(v: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(v ?? null))
    .digest('base64')
    .slice(0, 12);
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** `projects/P/…` from a full URL (any host), a partial URL, or a path relative to the project. */
function relative(ref: string, project: string): string {
  const m = /(?:^|\/)(projects\/.+)$/.exec(ref);
  if (m) return m[1]!;
  return `projects/${project}/${ref.replace(/^\//, '')}`;
}

export class GceState {
  readonly stepMs: number;
  readonly zones: string[];
  /** vCPUs per region; tests may change it while running. */
  cpuQuota: number;
  readonly faults: Fault[] = [];
  /**
   * Every instance ever inserted, deleted ones included (the API forgets them): what tests check "one instance
   * per Machine, ever" against.
   */
  readonly ledger: Array<{
    project: string;
    zone: string;
    name: string;
    labels: Record<string, string>;
    gone: boolean;
  }> = [];
  /** Every request answered, for tests and the closing figures (method and path after /compute/v1/). */
  readonly requests: Array<{ method: string; path: string; status: number; agent?: string }> = [];
  private readonly projects = new Map<string, Project>();
  private readonly now: () => number;
  private natNext = 1;

  constructor(o: GceEmulatorOptions = {}) {
    this.stepMs = o.stepMs ?? 1000;
    this.zones = o.zones ?? DEFAULT_ZONES;
    this.cpuQuota = o.cpuQuota ?? DEFAULT_CPU_QUOTA;
    this.now = o.now ?? Date.now;
  }

  /** Applies the transitions that are due in every project (before reading the ledger). */
  settleAll(): void {
    for (const p of this.projects.values()) this.settle(p);
  }

  /** Forgets every project, fault and request (between tests). */
  reset(): void {
    this.projects.clear();
    this.ledger.length = 0;
    this.faults.length = 0;
    this.requests.length = 0;
  }

  get regions(): string[] {
    return [...new Set(this.zones.map(regionOf))];
  }

  /** A fault that matches this request, consumed. */
  takeFault(method: string, path: string, kind: 'http' | 'operationError'): Fault | undefined {
    const i = this.faults.findIndex(
      (f) =>
        f[kind] !== undefined &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.path || new RegExp(f.path).test(path)),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  project(name: string): Project {
    let p = this.projects.get(name);
    if (!p) {
      p = {
        images: new Map(),
        networks: new Map(),
        subnetworks: new Map(),
        instances: new Map(),
        operations: new Map(),
        requestIds: new Map(),
      };
      this.projects.set(name, p);
      for (const img of PUBLIC_IMAGES.filter((i) => i.project === name)) {
        p.images.set(img.name, {
          kind: 'compute#image',
          id: numericId(`${name}/${img.name}`),
          name: img.name,
          family: img.family,
          diskSizeGb: img.diskSizeGb,
          status: 'READY',
          sourceType: 'RAW',
          architecture: 'X86_64',
          creationTimestamp: new Date(0).toISOString(),
          createdAt: 0,
        });
      }
      this.addNetwork(name, p, { name: 'default', autoCreateSubnetworks: true }, '');
    }
    return p;
  }

  // ---- links ----------------------------------------------------------------------------------------------

  link(base: string, path: string): string {
    return `${base}${path}`;
  }

  // ---- settling -------------------------------------------------------------------------------------------

  private settle(p: Project): void {
    const now = this.now();
    for (const [name, inst] of p.instances) {
      const t = now - inst.since;
      if (inst.phase === 'delete' && t >= this.stepMs) {
        p.instances.delete(name);
        const entry = this.ledger.find((e) => e.zone === inst.zone && e.name === name && !e.gone);
        if (entry) entry.gone = true;
      }
    }
    for (const [, img] of p.images)
      if (img.status === 'PENDING' && now - img.createdAt >= this.stepMs) img.status = 'READY';
  }

  private statusOf(inst: Instance): string {
    const t = this.now() - inst.since;
    switch (inst.phase) {
      case 'create':
        return t < this.stepMs ? 'PROVISIONING' : t < 2 * this.stepMs ? 'STAGING' : 'RUNNING';
      case 'start':
        return t < this.stepMs ? 'STAGING' : 'RUNNING';
      case 'stop':
        return t < this.stepMs ? 'STOPPING' : 'TERMINATED';
      case 'delete':
        return 'STOPPING';
    }
  }

  // ---- operations -----------------------------------------------------------------------------------------

  private operation(
    projectName: string,
    p: Project,
    scope: Operation['scope'],
    type: string,
    targetPath: string,
    requestId: string | undefined,
    error?: Operation['error'],
  ): Operation {
    const now = this.now();
    const name = `operation-${now}-${randomUUID().slice(0, 13)}`;
    const op: Operation = {
      project: projectName,
      scope,
      id: numericId(name),
      name,
      type,
      targetLink: targetPath,
      targetId: numericId(targetPath),
      insertAt: now,
      doneAt: now + this.stepMs,
      user: 'emulator@capi-fn.local',
      ...(error ? { error } : {}),
    };
    p.operations.set(name, op);
    if (requestId) p.requestIds.set(requestId, name);
    return op;
  }

  /** The operation a repeated requestId already started, if any. */
  private repeated(p: Project, requestId: string | undefined): Operation | undefined {
    if (!requestId) return undefined;
    const name = p.requestIds.get(requestId);
    return name ? p.operations.get(name) : undefined;
  }

  operationJson(op: Operation, base: string): Json {
    const now = this.now();
    const done = now >= op.doneAt;
    const scopePath =
      op.scope.kind === 'global'
        ? `projects/${op.project}/global`
        : `projects/${op.project}/${op.scope.kind === 'zone' ? 'zones' : 'regions'}/${op.scope.name}`;
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.name,
      operationType: op.type,
      targetLink: this.link(base, op.targetLink),
      targetId: op.targetId,
      status: done ? 'DONE' : now > op.insertAt ? 'RUNNING' : 'PENDING',
      user: op.user,
      progress: done ? 100 : 0,
      insertTime: new Date(op.insertAt).toISOString(),
      startTime: new Date(op.insertAt).toISOString(),
      ...(done ? { endTime: new Date(op.doneAt).toISOString() } : {}),
      selfLink: this.link(base, `${scopePath}/operations/${op.name}`),
      ...(op.scope.kind === 'zone' ? { zone: this.link(base, scopePath) } : {}),
      ...(op.scope.kind === 'region' ? { region: this.link(base, scopePath) } : {}),
      ...(done && op.error
        ? {
            error: { errors: [{ code: op.error.code, message: op.error.message }] },
            httpErrorStatusCode: op.error.httpStatus,
            httpErrorMessage: op.error.httpStatus === 403 ? 'FORBIDDEN' : 'SERVICE UNAVAILABLE',
          }
        : {}),
    };
  }

  getOperation(projectName: string, scope: Operation['scope'], name: string): Operation {
    const op = this.project(projectName).operations.get(name);
    if (!op || op.scope.kind !== scope.kind || op.scope.name !== scope.name) {
      const where = scope.kind === 'global' ? 'global' : `${scope.kind === 'zone' ? 'zones' : 'regions'}/${scope.name}`;
      throw notFound(`projects/${projectName}/${where}/operations/${name}`);
    }
    return op;
  }

  /** Milliseconds until the operation is DONE (0 when it is). */
  untilDone(op: Operation): number {
    return Math.max(0, op.doneAt - this.now());
  }

  // ---- zones, regions, machine types ----------------------------------------------------------------------

  zone(projectName: string, zone: string): void {
    this.project(projectName);
    if (!this.zones.includes(zone)) throw notFound(`projects/${projectName}/zones/${zone}`);
  }

  zoneJson(zone: string, projectName: string, base: string): Json {
    return {
      kind: 'compute#zone',
      id: numericId(zone),
      name: zone,
      description: zone,
      status: 'UP',
      region: this.link(base, `projects/${projectName}/regions/${regionOf(zone)}`),
      selfLink: this.link(base, `projects/${projectName}/zones/${zone}`),
      availableCpuPlatforms: ['Intel Cascade Lake', 'AMD Milan'],
    };
  }

  regionJson(region: string, projectName: string, base: string): Json {
    const used = [...this.project(projectName).instances.values()]
      .filter((i) => regionOf(i.zone) === region && i.phase !== 'delete')
      .reduce((a, i) => a + (machineTypeShape(String(i.body.machineType).split('/').pop()!)?.[0] ?? 0), 0);
    return {
      kind: 'compute#region',
      id: numericId(region),
      name: region,
      description: region,
      status: 'UP',
      zones: this.zones
        .filter((z) => regionOf(z) === region)
        .map((z) => this.link(base, `projects/${projectName}/zones/${z}`)),
      quotas: [{ metric: 'CPUS', limit: this.cpuQuota, usage: used }],
      selfLink: this.link(base, `projects/${projectName}/regions/${region}`),
    };
  }

  machineTypeJson(projectName: string, zone: string, name: string, base: string): Json {
    this.zone(projectName, zone);
    const shape = machineTypeShape(name);
    if (!shape) throw notFound(`projects/${projectName}/zones/${zone}/machineTypes/${name}`);
    return {
      kind: 'compute#machineType',
      id: numericId(name),
      name,
      description: `${shape[0]} vCPUs, ${shape[1] / 1024} GB RAM`,
      guestCpus: shape[0],
      memoryMb: shape[1],
      zone,
      isSharedCpu: name.startsWith('e2-micro') || name.startsWith('e2-small'),
      selfLink: this.link(base, `projects/${projectName}/zones/${zone}/machineTypes/${name}`),
    };
  }

  // ---- images ---------------------------------------------------------------------------------------------

  imageJson(projectName: string, img: Json, base: string): Json {
    const { createdAt: _c, ...rest } = img;
    return { ...rest, selfLink: this.link(base, `projects/${projectName}/global/images/${img.name}`) };
  }

  getImage(projectName: string, name: string): Json {
    const p = this.project(projectName);
    this.settle(p);
    const img = p.images.get(name);
    if (!img) throw notFound(`projects/${projectName}/global/images/${name}`);
    return img;
  }

  imageFromFamily(projectName: string, family: string): Json {
    const p = this.project(projectName);
    this.settle(p);
    const newest = [...p.images.values()]
      .filter((i) => i.family === family && i.status === 'READY' && !i.deprecated)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!newest) throw notFound(`projects/${projectName}/global/images/family/${family}`);
    return newest;
  }

  listImages(projectName: string): Json[] {
    const p = this.project(projectName);
    this.settle(p);
    return [...p.images.values()];
  }

  insertImage(projectName: string, body: Json, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const name = String(body.name ?? '');
    if (!NAME.test(name))
      throw invalid('resource.name', name, "Must be a match of regex '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'");
    if (p.images.has(name)) throw alreadyExists(`projects/${projectName}/global/images/${name}`);
    const raw = (body.rawDisk as Json | undefined)?.source;
    const source = body.sourceImage ?? body.sourceDisk ?? raw;
    if (!source)
      throw badRequest("Required field 'source' not specified: give rawDisk.source, sourceImage or sourceDisk");
    if (body.sourceImage) this.resolveImage(String(body.sourceImage), projectName);
    p.images.set(name, {
      ...body,
      kind: 'compute#image',
      id: numericId(`${projectName}/${name}/${this.now()}`),
      name,
      status: 'PENDING',
      sourceType: 'RAW',
      diskSizeGb: String(body.diskSizeGb ?? '16'),
      creationTimestamp: new Date(this.now()).toISOString(),
      createdAt: this.now(),
    });
    return this.operation(
      projectName,
      p,
      { kind: 'global' },
      'insert',
      `projects/${projectName}/global/images/${name}`,
      requestId,
    );
  }

  deleteImage(projectName: string, name: string, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    if (!p.images.delete(name)) throw notFound(`projects/${projectName}/global/images/${name}`);
    return this.operation(
      projectName,
      p,
      { kind: 'global' },
      'delete',
      `projects/${projectName}/global/images/${name}`,
      requestId,
    );
  }

  /** An image reference in any of the forms the API accepts, resolved to an image (404 when unknown). */
  resolveImage(ref: string, projectName: string): { project: string; image: Json } {
    const rel = relative(ref, projectName);
    let m = /^projects\/([^/]+)\/global\/images\/family\/([^/]+)$/.exec(rel);
    if (m) return { project: m[1]!, image: this.imageFromFamily(m[1]!, m[2]!) };
    m = /^projects\/([^/]+)\/zones\/[^/]+\/imageFamilyViews\/([^/]+)$/.exec(rel);
    if (m) return { project: m[1]!, image: this.imageFromFamily(m[1]!, m[2]!) };
    m = /^projects\/([^/]+)\/global\/images\/([^/]+)$/.exec(rel);
    if (m) return { project: m[1]!, image: this.getImage(m[1]!, m[2]!) };
    throw invalid('resource.disks[0].initializeParams.sourceImage', ref, 'The URL is malformed.');
  }

  // ---- networks and subnetworks ---------------------------------------------------------------------------

  private addNetwork(
    projectName: string,
    p: Project,
    body: Json,
    requestId: string | undefined,
  ): Operation | undefined {
    const name = String(body.name ?? '');
    if (!NAME.test(name))
      throw invalid('resource.name', name, "Must be a match of regex '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'");
    if (p.networks.has(name)) throw alreadyExists(`projects/${projectName}/global/networks/${name}`);
    const auto = body.autoCreateSubnetworks !== false && body.IPv4Range === undefined;
    const selfPath = `projects/${projectName}/global/networks/${name}`;
    p.networks.set(name, {
      ...body,
      kind: 'compute#network',
      id: numericId(selfPath),
      name,
      autoCreateSubnetworks: auto,
      routingConfig: body.routingConfig ?? { routingMode: 'REGIONAL' },
      mtu: body.mtu ?? 1460,
      creationTimestamp: new Date(this.now()).toISOString(),
      selfPath,
    });
    if (auto) {
      this.regions.forEach((region, i) => {
        this.putSubnetwork(projectName, p, region, { name, network: selfPath, ipCidrRange: `10.${128 + i}.0.0/20` });
      });
    }
    return requestId === ''
      ? undefined
      : this.operation(projectName, p, { kind: 'global' }, 'insert', selfPath, requestId);
  }

  insertNetwork(projectName: string, body: Json, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    return this.repeated(p, requestId) ?? this.addNetwork(projectName, p, body, requestId)!;
  }

  getNetwork(projectName: string, name: string): Json {
    const n = this.project(projectName).networks.get(name);
    if (!n) throw notFound(`projects/${projectName}/global/networks/${name}`);
    return n;
  }

  listNetworks(projectName: string): Json[] {
    return [...this.project(projectName).networks.values()];
  }

  deleteNetwork(projectName: string, name: string, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const n = this.getNetwork(projectName, name);
    const subnets = [...p.subnetworks.values()].filter((s) => s.network === n.selfPath);
    if (!n.autoCreateSubnetworks && subnets.length)
      throw new GceHttpError(
        400,
        'resourceInUseByAnotherResource',
        `The network resource 'projects/${projectName}/global/networks/${name}' is already being used by '${subnets[0]!.selfPath}'`,
      );
    for (const [k, s] of p.subnetworks) if (s.network === n.selfPath) p.subnetworks.delete(k);
    p.networks.delete(name);
    return this.operation(projectName, p, { kind: 'global' }, 'delete', String(n.selfPath), requestId);
  }

  private putSubnetwork(projectName: string, p: Project, region: string, body: Json): Json {
    const name = String(body.name ?? '');
    const selfPath = `projects/${projectName}/regions/${region}/subnetworks/${name}`;
    const cidr = String(body.ipCidrRange ?? '');
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
    if (!m || Number(m[2]) > 29 || Number(m[2]) < 8)
      throw invalid('resource.ipCidrRange', cidr, 'Invalid IPCidrRange: give an IPv4 range of /8 to /29.');
    const s = {
      ...body,
      kind: 'compute#subnetwork',
      id: numericId(selfPath),
      name,
      network: relative(String(body.network), projectName),
      region,
      ipCidrRange: cidr,
      gatewayAddress: intToIpv4(ipv4ToInt(m[1]!) + 1),
      privateIpGoogleAccess: body.privateIpGoogleAccess ?? false,
      stackType: 'IPV4_ONLY',
      creationTimestamp: new Date(this.now()).toISOString(),
      selfPath,
      nextHost: 2,
    };
    p.subnetworks.set(`${region}/${name}`, s);
    return s;
  }

  insertSubnetwork(projectName: string, region: string, body: Json, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    if (!this.regions.includes(region)) throw notFound(`projects/${projectName}/regions/${region}`);
    const name = String(body.name ?? '');
    if (!NAME.test(name))
      throw invalid('resource.name', name, "Must be a match of regex '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'");
    if (p.subnetworks.has(`${region}/${name}`))
      throw alreadyExists(`projects/${projectName}/regions/${region}/subnetworks/${name}`);
    if (!body.network) throw badRequest("Invalid value for field 'resource.network': ''. The network is required.");
    const net = relative(String(body.network), projectName);
    const nm = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(net);
    if (!nm) throw invalid('resource.network', body.network, 'The URL is malformed.');
    this.getNetwork(nm[1]!, nm[2]!);
    const s = this.putSubnetwork(projectName, p, region, body);
    return this.operation(projectName, p, { kind: 'region', name: region }, 'insert', String(s.selfPath), requestId);
  }

  getSubnetwork(projectName: string, region: string, name: string): Json {
    const s = this.project(projectName).subnetworks.get(`${region}/${name}`);
    if (!s) throw notFound(`projects/${projectName}/regions/${region}/subnetworks/${name}`);
    return s;
  }

  listSubnetworks(projectName: string, region?: string): Json[] {
    return [...this.project(projectName).subnetworks.values()].filter((s) => !region || s.region === region);
  }

  deleteSubnetwork(projectName: string, region: string, name: string, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const s = this.getSubnetwork(projectName, region, name);
    const user = [...p.instances.values()].find((i) =>
      ((i.body.networkInterfaces as Json[] | undefined) ?? []).some((n) =>
        String(n.subnetwork).endsWith(String(s.selfPath)),
      ),
    );
    if (user)
      throw new GceHttpError(
        400,
        'resourceInUseByAnotherResource',
        `The subnetwork resource '${s.selfPath}' is already being used by 'projects/${projectName}/zones/${user.zone}/instances/${user.body.name}'`,
      );
    p.subnetworks.delete(`${region}/${name}`);
    return this.operation(projectName, p, { kind: 'region', name: region }, 'delete', String(s.selfPath), requestId);
  }

  subnetworkJson(s: Json, base: string): Json {
    const { nextHost: _n, selfPath, ...rest } = s;
    return {
      ...rest,
      network: this.link(base, String(s.network)),
      region: this.link(base, `${String(selfPath).split('/subnetworks/')[0]}`),
      selfLink: this.link(base, String(selfPath)),
    };
  }

  networkJson(n: Json, base: string, projectName: string): Json {
    const { selfPath, ...rest } = n;
    const subnets = this.listSubnetworks(projectName).filter((s) => s.network === selfPath);
    return {
      ...rest,
      subnetworks: subnets.map((s) => this.link(base, String(s.selfPath))),
      selfLink: this.link(base, String(selfPath)),
    };
  }

  // ---- instances ------------------------------------------------------------------------------------------

  private cpusInRegion(p: Project, region: string): number {
    return [...p.instances.values()]
      .filter((i) => regionOf(i.zone) === region && i.phase !== 'delete' && this.statusOf(i) !== 'TERMINATED')
      .reduce((a, i) => a + (machineTypeShape(String(i.body.machineType).split('/').pop()!)?.[0] ?? 0), 0);
  }

  insertInstance(
    projectName: string,
    zone: string,
    body: Json,
    requestId: string | undefined,
    injected?: Fault['operationError'],
  ): Operation {
    this.zone(projectName, zone);
    const p = this.project(projectName);
    this.settle(p);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const name = String(body.name ?? '');
    const selfPath = `projects/${projectName}/zones/${zone}/instances/${name}`;
    if (!NAME.test(name))
      throw invalid('resource.name', name, "Must be a match of regex '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'");
    if (p.instances.has(name)) throw alreadyExists(selfPath);
    const mtRef = String(body.machineType ?? '');
    const mt = /(?:^|\/)zones\/([^/]+)\/machineTypes\/([^/]+)$/.exec(mtRef) ?? /^()([^/]+)$/.exec(mtRef);
    const shape = mt ? machineTypeShape(mt[2]!) : undefined;
    if (!mt || !shape || (mt[1] && mt[1] !== zone))
      throw invalid(
        'resource.machineType',
        mtRef,
        `Machine type with name '${mt?.[2] ?? mtRef}' does not exist in zone '${zone}'.`,
      );
    for (const [k, v] of Object.entries((body.labels as Record<string, string> | undefined) ?? {})) {
      if (!LABEL_KEY.test(k))
        throw invalid(
          `resource.labels`,
          k,
          'Label keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63).',
        );
      if (!LABEL_VALUE.test(String(v)))
        throw invalid(
          `resource.labels[${k}]`,
          v,
          'Label values contain only lowercase letters, digits, underscores and dashes (at most 63).',
        );
    }
    const disks = (body.disks as Json[] | undefined) ?? [];
    if (!disks.some((d) => d.boot))
      throw badRequest("Invalid value for field 'resource.disks': ''. Boot disk must be specified.");
    const outDisks = disks.map((d, i) => {
      const init = d.initializeParams as Json | undefined;
      if (!init && !d.source)
        throw badRequest(`Invalid value for field 'resource.disks[${i}]': ''. Give initializeParams or source.`);
      if (init?.sourceImage) this.resolveImage(String(init.sourceImage), projectName);
      const deviceName = String(d.deviceName ?? (i === 0 ? name : `persistent-disk-${i}`));
      return {
        kind: 'compute#attachedDisk',
        type: d.type ?? 'PERSISTENT',
        mode: d.mode ?? 'READ_WRITE',
        boot: Boolean(d.boot),
        autoDelete: d.autoDelete ?? Boolean(d.boot),
        deviceName,
        index: i,
        source: `projects/${projectName}/zones/${zone}/disks/${i === 0 ? name : `${name}-${deviceName}`}`,
        diskSizeGb: String(init?.diskSizeGb ?? 10),
        interface: d.interface ?? 'SCSI',
        ...(d.diskEncryptionKey ? { diskEncryptionKey: d.diskEncryptionKey } : {}),
      };
    });
    for (const a of (body.guestAccelerators as Json[] | undefined) ?? []) {
      const t = String(a.acceleratorType ?? '')
        .split('/')
        .pop()!;
      if (!ACCELERATOR_TYPES.includes(t)) throw notFound(`projects/${projectName}/zones/${zone}/acceleratorTypes/${t}`);
    }
    const nics = ((body.networkInterfaces as Json[] | undefined) ?? [{}]).map((nic, i) =>
      this.attach(projectName, zone, nic, i),
    );
    const error =
      injected ??
      (this.cpusInRegion(p, regionOf(zone)) + shape[0] > this.cpuQuota
        ? {
            code: 'QUOTA_EXCEEDED',
            message: `Quota 'CPUS' exceeded.  Limit: ${this.cpuQuota}.0 in region ${regionOf(zone)}.`,
            httpStatus: 403,
          }
        : undefined);
    if (error) {
      return this.operation(projectName, p, { kind: 'zone', name: zone }, 'insert', selfPath, requestId, {
        code: error.code,
        message: error.message ?? `${error.code}: the insert failed`,
        httpStatus: error.httpStatus ?? 403,
      });
    }
    const metadata = (body.metadata as Json | undefined) ?? {};
    const labels = (body.labels as Json | undefined) ?? {};
    this.ledger.push({
      project: projectName,
      zone,
      name,
      labels: { ...(labels as Record<string, string>) },
      gone: false,
    });
    const tags = (body.tags as Json | undefined) ?? {};
    p.instances.set(name, {
      zone,
      createdAt: this.now(),
      phase: 'create',
      since: this.now(),
      body: {
        ...body,
        kind: 'compute#instance',
        id: numericId(`${selfPath}/${this.now()}`),
        name,
        machineType: `projects/${projectName}/zones/${zone}/machineTypes/${mt[2]}`,
        disks: outDisks,
        networkInterfaces: nics,
        metadata: { kind: 'compute#metadata', items: metadata.items ?? [], fingerprint: fingerprint(metadata.items) },
        labels,
        labelFingerprint: fingerprint(labels),
        tags: { items: tags.items ?? [], fingerprint: fingerprint(tags.items) },
        scheduling: {
          onHostMaintenance: 'MIGRATE',
          automaticRestart: true,
          preemptible: false,
          ...((body.scheduling as Json) ?? {}),
        },
        canIpForward: body.canIpForward ?? false,
        deletionProtection: body.deletionProtection ?? false,
        cpuPlatform: 'Intel Cascade Lake',
        creationTimestamp: new Date(this.now()).toISOString(),
        fingerprint: fingerprint(name),
      },
    });
    return this.operation(projectName, p, { kind: 'zone', name: zone }, 'insert', selfPath, requestId);
  }

  /** A network interface: the network/subnetwork must exist; an address comes from the subnetwork's range. */
  private attach(projectName: string, zone: string, nic: Json, i: number): Json {
    const region = regionOf(zone);
    let subnet: (Json & { nextHost: number }) | undefined;
    let networkPath: string;
    if (nic.subnetwork) {
      const rel = relative(String(nic.subnetwork), projectName);
      const m = /^projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(rel);
      if (!m) throw invalid(`resource.networkInterfaces[${i}].subnetwork`, nic.subnetwork, 'The URL is malformed.');
      if (m[2] !== region)
        throw invalid(
          `resource.networkInterfaces[${i}].subnetwork`,
          nic.subnetwork,
          `Subnetwork must be in region ${region}.`,
        );
      subnet = this.getSubnetwork(m[1]!, m[2]!, m[3]!) as Json & { nextHost: number };
      networkPath = String(subnet.network);
      if (nic.network && relative(String(nic.network), projectName) !== networkPath)
        throw invalid(
          `resource.networkInterfaces[${i}].network`,
          nic.network,
          'The subnetwork does not belong to this network.',
        );
    } else {
      networkPath = relative(String(nic.network ?? 'global/networks/default'), projectName);
      const m = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(networkPath);
      if (!m) throw invalid(`resource.networkInterfaces[${i}].network`, nic.network, 'The URL is malformed.');
      const net = this.getNetwork(m[1]!, m[2]!);
      subnet = this.listSubnetworks(m[1]!, region).find((s) => s.network === net.selfPath) as
        | (Json & { nextHost: number })
        | undefined;
      if (!subnet)
        throw invalid(
          `resource.networkInterfaces[${i}].network`,
          nic.network,
          `The network has no subnetwork in region ${region}: give one.`,
        );
    }
    const [base] = String(subnet.ipCidrRange).split('/');
    const networkIP = nic.networkIP ?? intToIpv4(ipv4ToInt(base!) + subnet.nextHost++);
    const accessConfigs = ((nic.accessConfigs as Json[] | undefined) ?? []).map((ac) => ({
      kind: 'compute#accessConfig',
      type: ac.type ?? 'ONE_TO_ONE_NAT',
      name: ac.name ?? 'External NAT',
      natIP:
        ac.natIP ??
        `34.${100 + Math.floor(this.natNext / 65536)}.${Math.floor(this.natNext / 256) % 256}.${this.natNext++ % 256}`,
      networkTier: ac.networkTier ?? 'PREMIUM',
    }));
    return {
      kind: 'compute#networkInterface',
      name: `nic${i}`,
      network: networkPath,
      subnetwork: String(subnet.selfPath),
      networkIP,
      stackType: 'IPV4_ONLY',
      fingerprint: fingerprint(networkIP),
      ...(accessConfigs.length ? { accessConfigs } : {}),
      ...(nic.aliasIpRanges ? { aliasIpRanges: nic.aliasIpRanges } : {}),
    };
  }

  private instance(projectName: string, zone: string, name: string): Instance {
    this.zone(projectName, zone);
    const p = this.project(projectName);
    this.settle(p);
    const inst = p.instances.get(name);
    if (!inst || inst.zone !== zone) throw notFound(`projects/${projectName}/zones/${zone}/instances/${name}`);
    return inst;
  }

  instanceJson(projectName: string, inst: Instance, base: string): Json {
    const b = inst.body;
    const zonePath = `projects/${projectName}/zones/${inst.zone}`;
    const abs = (v: unknown) => this.link(base, String(v));
    return {
      ...b,
      status: this.statusOf(inst),
      zone: abs(zonePath),
      machineType: abs(b.machineType),
      selfLink: abs(`${zonePath}/instances/${b.name}`),
      disks: (b.disks as Json[]).map((d) => ({ ...d, source: abs(d.source) })),
      networkInterfaces: (b.networkInterfaces as Json[]).map((n) => ({
        ...n,
        network: abs(n.network),
        subnetwork: abs(n.subnetwork),
      })),
      ...(this.statusOf(inst) === 'TERMINATED'
        ? { lastStopTimestamp: new Date(inst.since + this.stepMs).toISOString() }
        : {}),
    };
  }

  getInstance(projectName: string, zone: string, name: string, base: string): Json {
    return this.instanceJson(projectName, this.instance(projectName, zone, name), base);
  }

  listInstances(projectName: string, zone: string | undefined, base: string): Json[] {
    if (zone) this.zone(projectName, zone);
    const p = this.project(projectName);
    this.settle(p);
    return [...p.instances.values()]
      .filter((i) => !zone || i.zone === zone)
      .sort((a, b) => String(a.body.name).localeCompare(String(b.body.name)))
      .map((i) => this.instanceJson(projectName, i, base));
  }

  deleteInstance(projectName: string, zone: string, name: string, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const inst = this.instance(projectName, zone, name);
    if (inst.body.deletionProtection)
      throw new GceHttpError(
        400,
        'resourceIsProtected',
        `Resource cannot be deleted while deletionProtection is set: 'projects/${projectName}/zones/${zone}/instances/${name}'`,
      );
    if (inst.phase !== 'delete') {
      inst.phase = 'delete';
      inst.since = this.now();
    }
    return this.operation(
      projectName,
      p,
      { kind: 'zone', name: zone },
      'delete',
      `projects/${projectName}/zones/${zone}/instances/${name}`,
      requestId,
    );
  }

  stopOrStart(
    projectName: string,
    zone: string,
    name: string,
    verb: 'stop' | 'start',
    requestId: string | undefined,
  ): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const inst = this.instance(projectName, zone, name);
    if (inst.phase === 'delete')
      throw new GceHttpError(
        400,
        'resourceNotReady',
        `The resource 'projects/${projectName}/zones/${zone}/instances/${name}' is not ready`,
      );
    const status = this.statusOf(inst);
    if (verb === 'stop' && status !== 'TERMINATED' && status !== 'STOPPING') {
      inst.phase = 'stop';
      inst.since = this.now();
    }
    if (verb === 'start' && status === 'TERMINATED') {
      inst.phase = 'start';
      inst.since = this.now();
    }
    return this.operation(
      projectName,
      p,
      { kind: 'zone', name: zone },
      verb,
      `projects/${projectName}/zones/${zone}/instances/${name}`,
      requestId,
    );
  }

  setLabels(projectName: string, zone: string, name: string, body: Json, requestId: string | undefined): Operation {
    const p = this.project(projectName);
    const again = this.repeated(p, requestId);
    if (again) return again;
    const inst = this.instance(projectName, zone, name);
    if (body.labelFingerprint !== inst.body.labelFingerprint)
      throw new GceHttpError(
        412,
        'conditionNotMet',
        'Labels fingerprint either invalid or resource labels have changed',
      );
    inst.body.labels = body.labels ?? {};
    inst.body.labelFingerprint = fingerprint(inst.body.labels);
    return this.operation(
      projectName,
      p,
      { kind: 'zone', name: zone },
      'setLabels',
      `projects/${projectName}/zones/${zone}/instances/${name}`,
      requestId,
    );
  }
}
