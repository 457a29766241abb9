// The emulated Azure Resource Manager: subscriptions, resource groups and the resources capi-fn and the Azure
// CLI touch (virtual networks and subnets, NICs, VMs with their instance view, managed disks, availability sets,
// galleries and images, user-assigned identities; anything else is stored as given), in memory. Time is lazy and
// comes from `now()`: every request first settles what is due (a VM is Creating for `vmCreateMs`, Deleting for
// `vmDeleteMs`; an operation is InProgress until its resource settles), so nothing runs between requests and
// tests can drive the clock. Wire shapes follow the REST reference (providers-aws-gcp-azure.md §8): resource
// bodies with `properties`, async operations with `Azure-AsyncOperation` and `Location`, ARM's error shape.
import { createHash, randomUUID } from 'node:crypto';
import {
  DEFAULT_LOCATIONS,
  DEFAULT_MARKETPLACE,
  DEFAULT_SKUS,
  type MarketplaceImage,
  type SkuInfo,
} from './catalog.ts';
import { ArmHttpError, invalidParameter, resourceGroupNotFound, resourceNotFound } from './errors.ts';

export type Json = Record<string, unknown>;

export interface ArmFault {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** A regular expression source matched against the request path (case-insensitive). */
  path?: string;
  /** Answer with this error instead of doing the request (429 adds `Retry-After: retryAfter ?? 1`). */
  http?: { status: number; code: string; message?: string; retryAfter?: number };
  /** Accept the PUT, then fail its async operation with this code (the VM ends Failed), e.g. AllocationFailed. */
  asyncError?: { code: string; message?: string };
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

export interface ArmEmulatorOptions {
  /** How long a new VM stays Creating (default 1000 ms). */
  vmCreateMs?: number;
  /** How long a deleted VM stays Deleting (default 500 ms). */
  vmDeleteMs?: number;
  /** How long a NIC, disk or network PUT/DELETE stays in progress (default 0: done at the first poll). */
  networkMs?: number;
  /** vCPUs per location before a VM PUT fails with OperationNotAllowed (quota). */
  coreQuota?: number;
  subscriptionId?: string;
  tenantId?: string;
  /** Service principals the token endpoint accepts (clientId → secret); absent: any. */
  clients?: Record<string, string>;
  locations?: Record<string, string[]>;
  skus?: SkuInfo[];
  now?: () => number;
}

interface Resource {
  id: string;
  name: string;
  /** `Microsoft.Compute/virtualMachines`, `Microsoft.Network/virtualNetworks/subnets` … */
  type: string;
  sub: string;
  rg: string;
  location?: string | undefined;
  tags: Record<string, string>;
  properties: Json;
  /** Top-level fields other than the usual ones (zones, identity, plan, sku, kind). */
  extra: Json;
  createdAt: number;
  phase: 'creating' | 'ready' | 'failed' | 'deleting';
  since: number;
  /** Why a create failed (the operation's error, also in the instance view). */
  failure?: { code: string; message: string } | undefined;
  powerState: 'running' | 'stopped' | 'deallocated';
}

interface Operation {
  id: string;
  sub: string;
  namespace: string;
  location: string;
  resourceId: string;
  kind: 'PUT' | 'DELETE' | 'POST';
  startedAt: number;
  /** Until then InProgress. */
  doneAt: number;
  error?: { code: string; message: string } | undefined;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const TYPE_CASE: Record<string, string> = {};
for (const t of [
  'Microsoft.Compute/virtualMachines',
  'Microsoft.Compute/disks',
  'Microsoft.Compute/availabilitySets',
  'Microsoft.Compute/galleries',
  'Microsoft.Compute/galleries/images',
  'Microsoft.Compute/galleries/images/versions',
  'Microsoft.Compute/images',
  'Microsoft.Compute/diskEncryptionSets',
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/virtualNetworks/subnets',
  'Microsoft.Network/networkInterfaces',
  'Microsoft.Network/loadBalancers',
  'Microsoft.Network/applicationSecurityGroups',
  'Microsoft.Network/networkSecurityGroups',
  'Microsoft.ManagedIdentity/userAssignedIdentities',
])
  TYPE_CASE[t.toLowerCase()] = t;

const VM = 'microsoft.compute/virtualmachines';
const NIC = 'microsoft.network/networkinterfaces';
const DISK = 'microsoft.compute/disks';
const VNET = 'microsoft.network/virtualnetworks';
const SUBNET = 'microsoft.network/virtualnetworks/subnets';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class ArmState {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly clients: Record<string, string> | undefined;
  readonly locations: Record<string, string[]>;
  readonly skus: SkuInfo[];
  readonly marketplace: MarketplaceImage[] = [...DEFAULT_MARKETPLACE];
  vmCreateMs: number;
  vmDeleteMs: number;
  networkMs: number;
  /** vCPUs per location; tests may change it while running. */
  coreQuota: number;
  /** SKUs refused with SkuNotAvailable, as `<location>/<size>` (or `<location>/<size>/<zone>`). */
  readonly restrictedSkus = new Set<string>();
  readonly faults: ArmFault[] = [];
  readonly now: () => number;
  /** Every VM ever created, deleted ones included (ARM forgets them): "one VM per Machine, ever" is checked here. */
  readonly ledger: Array<{ id: string; name: string; rg: string; tags: Record<string, string>; gone: boolean }> = [];
  /** Every request answered (method, path, status, user agent), for tests and the closing figures. */
  readonly requests: Array<{ method: string; path: string; status: number; agent?: string | undefined }> = [];
  /** Access tokens issued by the token endpoints. */
  readonly tokens = new Set<string>();
  private readonly groups = new Map<string, { sub: string; name: string; location: string; tags: Json }>();
  private readonly resources = new Map<string, Resource>();
  private readonly operations = new Map<string, Operation>();

  constructor(o: ArmEmulatorOptions = {}) {
    this.subscriptionId = o.subscriptionId ?? '00000000-0000-4000-8000-0000005ab5c0';
    this.tenantId = o.tenantId ?? '00000000-0000-4000-8000-0000000a7e17';
    this.clients = o.clients;
    this.locations = { ...(o.locations ?? DEFAULT_LOCATIONS) };
    this.skus = [...(o.skus ?? DEFAULT_SKUS)];
    this.vmCreateMs = o.vmCreateMs ?? 1000;
    this.vmDeleteMs = o.vmDeleteMs ?? 500;
    this.networkMs = o.networkMs ?? 0;
    this.coreQuota = o.coreQuota ?? 1000;
    this.now = o.now ?? Date.now;
  }

  reset(): void {
    this.groups.clear();
    this.resources.clear();
    this.operations.clear();
    this.faults.length = 0;
    this.ledger.length = 0;
    this.requests.length = 0;
    this.restrictedSkus.clear();
  }

  /** The first fault matching the request, consumed. */
  takeFault(method: string, path: string): ArmFault | undefined {
    const i = this.faults.findIndex(
      (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || new RegExp(f.path, 'i').test(path)),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  // ---- time ------------------------------------------------------------------------------------------------

  /** Moves every resource whose transition is due. */
  settle(): void {
    const now = this.now();
    for (const r of [...this.resources.values()]) {
      const t = r.type.toLowerCase();
      const createMs = t === VM ? this.vmCreateMs : this.networkMs;
      const deleteMs = t === VM ? this.vmDeleteMs : this.networkMs;
      if (r.phase === 'creating' && now >= r.since + createMs) {
        r.phase = r.failure ? 'failed' : 'ready';
        r.since = r.since + createMs;
      }
      if (r.phase === 'deleting' && now >= r.since + deleteMs) this.remove(r);
    }
  }

  /** Settles everything, however far in the future it is due (tests that read the final state). */
  settleAll(): void {
    for (const r of [...this.resources.values()]) {
      if (r.phase === 'creating') r.phase = r.failure ? 'failed' : 'ready';
      if (r.phase === 'deleting') this.remove(r);
    }
    for (const op of this.operations.values()) op.doneAt = Math.min(op.doneAt, this.now());
  }

  private remove(r: Resource): void {
    const key = r.id.toLowerCase();
    this.resources.delete(key);
    for (const child of [...this.resources.keys()]) if (child.startsWith(`${key}/`)) this.resources.delete(child);
    if (r.type.toLowerCase() !== VM) return;
    for (const e of this.ledger) if (e.id.toLowerCase() === key) e.gone = true;
    // What the VM held: disks and NICs set to go with it go, the others are detached and stay.
    const sp = rec(r.properties.storageProfile);
    const disks = [rec(sp.osDisk), ...arr(sp.dataDisks)];
    for (const d of disks) {
      const id = str(rec(d.managedDisk).id);
      const disk = id ? this.resources.get(id.toLowerCase()) : undefined;
      if (!disk) continue;
      if (d.deleteOption === 'Delete') this.resources.delete(disk.id.toLowerCase());
      else {
        delete disk.extra.managedBy;
        disk.properties.diskState = 'Unattached';
      }
    }
    for (const n of arr(rec(r.properties.networkProfile).networkInterfaces)) {
      const nic = this.resources.get(String(n.id ?? '').toLowerCase());
      if (!nic) continue;
      if (rec(n.properties).deleteOption === 'Delete') this.resources.delete(nic.id.toLowerCase());
      else delete nic.properties.virtualMachine;
    }
  }

  private operation(r: Resource, kind: Operation['kind'], doneAt: number, error?: Operation['error']): Operation {
    const op: Operation = {
      id: randomUUID(),
      sub: r.sub,
      namespace: r.type.split('/')[0]!,
      location: r.location ?? 'eastus',
      resourceId: r.id,
      kind,
      startedAt: this.now(),
      doneAt,
      error,
    };
    this.operations.set(op.id, op);
    return op;
  }

  private asyncHeaders(op: Operation, base: string, apiVersion: string, withLocation: boolean): Record<string, string> {
    const at = `${base}subscriptions/${op.sub}/providers/${op.namespace}/locations/${op.location}`;
    return {
      'azure-asyncoperation': `${at}/operations/${op.id}?api-version=${apiVersion}`,
      ...(withLocation ? { location: `${at}/operationResults/${op.id}?api-version=${apiVersion}` } : {}),
      'retry-after': '1',
    };
  }

  /** `GET …/locations/{l}/operations/{id}`: the operation's status document. */
  operationStatus(id: string): ArmResponse {
    this.settle();
    const op = this.operations.get(id);
    if (!op) throw new ArmHttpError(404, 'NotFound', `The operation '${id}' was not found.`);
    const done = this.now() >= op.doneAt;
    const status = !done ? 'InProgress' : op.error ? 'Failed' : 'Succeeded';
    return {
      status: 200,
      body: {
        name: op.id,
        status,
        startTime: new Date(op.startedAt).toISOString(),
        ...(done ? { endTime: new Date(op.doneAt).toISOString() } : {}),
        ...(done && op.error ? { error: op.error } : {}),
      },
      ...(!done ? { headers: { 'retry-after': '1' } } : {}),
    };
  }

  /** `GET …/locations/{l}/operationResults/{id}`: 202 while running, then the result (204 for a delete). */
  operationResult(id: string, base: string, apiVersion: string): ArmResponse {
    this.settle();
    const op = this.operations.get(id);
    if (!op) throw new ArmHttpError(404, 'NotFound', `The operation '${id}' was not found.`);
    if (this.now() < op.doneAt) return { status: 202, headers: this.asyncHeaders(op, base, apiVersion, true) };
    if (op.error) throw new ArmHttpError(400, op.error.code, op.error.message);
    if (op.kind !== 'PUT') return { status: 204 };
    const r = this.resources.get(op.resourceId.toLowerCase());
    return r ? { status: 200, body: this.json(r, base, false) } : { status: 204 };
  }

  // ---- subscriptions, groups, locations, SKUs ---------------------------------------------------------------

  subscriptionJson(): Json {
    return {
      id: `/subscriptions/${this.subscriptionId}`,
      subscriptionId: this.subscriptionId,
      tenantId: this.tenantId,
      displayName: 'capi-fn emulated subscription',
      state: 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'Internal_2014-09-01',
        spendingLimit: 'Off',
      },
      authorizationSource: 'RoleBased',
    };
  }

  private groupKey(sub: string, rg: string): string {
    return `${sub}/${rg}`.toLowerCase();
  }

  group(sub: string, rg: string): { sub: string; name: string; location: string; tags: Json } {
    const g = this.groups.get(this.groupKey(sub, rg));
    if (!g) throw resourceGroupNotFound(rg);
    return g;
  }

  groupJson(g: { sub: string; name: string; location: string; tags: Json }): Json {
    return {
      id: `/subscriptions/${g.sub}/resourceGroups/${g.name}`,
      name: g.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: g.location,
      tags: g.tags,
      properties: { provisioningState: 'Succeeded' },
    };
  }

  putGroup(sub: string, rg: string, body: Json): ArmResponse {
    const location = str(body.location);
    if (!location) throw invalidParameter('location', "The 'location' property is required for this definition.");
    if (!this.locations[location.toLowerCase()])
      throw new ArmHttpError(
        400,
        'LocationNotAvailableForResourceGroup',
        `The provided location '${location}' is not available for resource group.`,
      );
    const key = this.groupKey(sub, rg);
    const existed = this.groups.get(key);
    const g = { sub, name: existed?.name ?? rg, location: location.toLowerCase(), tags: rec(body.tags) };
    this.groups.set(key, g);
    return { status: existed ? 200 : 201, body: this.groupJson(g) };
  }

  listGroups(sub: string): Json[] {
    return [...this.groups.values()]
      .filter((g) => g.sub.toLowerCase() === sub.toLowerCase())
      .map((g) => this.groupJson(g));
  }

  deleteGroup(sub: string, rg: string): ArmResponse {
    const key = this.groupKey(sub, rg);
    if (!this.groups.has(key)) return { status: 204 };
    for (const [id, r] of this.resources) if (this.groupKey(r.sub, r.rg) === key) this.resources.delete(id);
    this.groups.delete(key);
    return { status: 200 };
  }

  locationsJson(sub: string): Json[] {
    return Object.entries(this.locations).map(([name, zones]) => ({
      id: `/subscriptions/${sub}/locations/${name}`,
      name,
      displayName: name,
      regionalDisplayName: name,
      type: 'Region',
      metadata: { regionType: 'Physical', regionCategory: 'Recommended' },
      ...(zones.length
        ? { availabilityZoneMappings: zones.map((z) => ({ logicalZone: z, physicalZone: `${name}-az${z}` })) }
        : {}),
    }));
  }

  skusJson(filterLocation?: string): Json[] {
    const out: Json[] = [];
    for (const [loc, zones] of Object.entries(this.locations)) {
      if (filterLocation && loc !== filterLocation.toLowerCase()) continue;
      for (const s of this.skus) {
        const restricted = this.restrictedSkus.has(`${loc}/${s.name}`.toLowerCase());
        out.push({
          resourceType: 'virtualMachines',
          name: s.name,
          tier: 'Standard',
          size: s.name.replace(/^Standard_/, ''),
          family: s.family,
          locations: [loc],
          locationInfo: [{ location: loc, zones, zoneDetails: [] }],
          capabilities: [
            { name: 'vCPUs', value: String(s.vCPUs) },
            { name: 'vCPUsAvailable', value: String(s.vCPUs) },
            { name: 'MemoryGB', value: String(s.memoryGB) },
            { name: 'PremiumIO', value: String(s.premiumIO) },
            { name: 'AcceleratedNetworkingEnabled', value: String(s.acceleratedNetworking) },
            { name: 'EncryptionAtHostSupported', value: String(s.encryptionAtHost) },
            { name: 'EphemeralOSDiskSupported', value: String(s.ephemeralOSDisk) },
            { name: 'TrustedLaunchDisabled', value: String(!s.trustedLaunch) },
            { name: 'HyperVGenerations', value: 'V1,V2' },
            { name: 'MaximumPlatformFaultDomainCount', value: '3' },
          ],
          restrictions: restricted
            ? [
                {
                  type: 'Location',
                  values: [loc],
                  restrictionInfo: { locations: [loc] },
                  reasonCode: 'NotAvailableForSubscription',
                },
              ]
            : [],
        });
      }
    }
    return out;
  }

  marketplaceImage(location: string, publisher: string, offer: string, sku: string, version: string): Json {
    const m = this.marketplace.find(
      (i) =>
        i.publisher.toLowerCase() === publisher.toLowerCase() &&
        i.offer.toLowerCase() === offer.toLowerCase() &&
        i.sku.toLowerCase() === sku.toLowerCase() &&
        (version.toLowerCase() === 'latest' || i.version === version),
    );
    if (!m || !this.locations[location.toLowerCase()])
      throw new ArmHttpError(404, 'ImageNotFound', `Artifact: VMImage was not found.`);
    return {
      id: `/Subscriptions/${this.subscriptionId}/Providers/Microsoft.Compute/Locations/${location}/Publishers/${m.publisher}/ArtifactTypes/VMImage/Offers/${m.offer}/Skus/${m.sku}/Versions/${m.version}`,
      name: m.version,
      location,
      properties: {
        hyperVGeneration: 'V2',
        osDiskImage: { operatingSystem: 'Linux', sizeInGb: 30 },
        architecture: 'x64',
      },
    };
  }

  // ---- resources ---------------------------------------------------------------------------------------------

  /** The resource by its ID (any case), settled; undefined when absent. */
  find(id: string): Resource | undefined {
    this.settle();
    return this.resources.get(id.replace(/\/$/, '').toLowerCase());
  }

  private idOf(sub: string, rg: string, namespace: string, segments: string[]): { id: string; type: string } {
    const typeParts = [namespace];
    for (let i = 0; i < segments.length; i += 2) typeParts.push(segments[i]!);
    const rawType = typeParts.join('/');
    const type = TYPE_CASE[rawType.toLowerCase()] ?? rawType;
    const cased = type.split('/');
    const path = segments.map((s, i) => (i % 2 === 0 ? cased[i / 2 + 1] : s)).join('/');
    return {
      id: `/subscriptions/${sub}/resourceGroups/${this.group(sub, rg).name}/providers/${cased[0]}/${path}`,
      type,
    };
  }

  /** The resource's wire JSON (`instanceView` expanded for VMs when asked). */
  json(r: Resource, base: string, expandInstanceView: boolean): Json {
    const t = r.type.toLowerCase();
    const properties: Json = { ...r.properties };
    if (t === VM) {
      properties.provisioningState = this.vmProvisioningState(r);
      if (expandInstanceView) properties.instanceView = this.instanceView(r);
    } else if (t !== SUBNET) {
      properties.provisioningState =
        r.phase === 'deleting' ? 'Deleting' : r.phase === 'creating' ? 'Updating' : 'Succeeded';
    } else properties.provisioningState = 'Succeeded';
    void base;
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      ...(r.location ? { location: r.location } : {}),
      ...(t === SUBNET ? {} : { tags: r.tags }),
      ...r.extra,
      properties,
      ...(t === VM || t === NIC || t === VNET || t === SUBNET ? { etag: `W/"${r.since}"` } : {}),
    };
  }

  private vmProvisioningState(r: Resource): string {
    return { creating: 'Creating', ready: 'Succeeded', failed: 'Failed', deleting: 'Deleting' }[r.phase];
  }

  instanceView(r: Resource): Json {
    const at = new Date(r.since).toISOString();
    const prov =
      r.phase === 'failed'
        ? {
            code: `ProvisioningState/failed/${r.failure?.code ?? 'InternalError'}`,
            level: 'Error',
            displayStatus: 'Provisioning failed',
            message: r.failure?.message ?? 'the operation failed',
            time: at,
          }
        : {
            code: `ProvisioningState/${this.vmProvisioningState(r).toLowerCase()}`,
            level: 'Info',
            displayStatus: `Provisioning ${this.vmProvisioningState(r).toLowerCase()}`,
            time: at,
          };
    const power =
      r.phase === 'creating'
        ? 'starting'
        : r.phase === 'deleting'
          ? 'stopping'
          : r.phase === 'failed'
            ? 'stopped'
            : r.powerState;
    const display: Record<string, string> = {
      starting: 'VM starting',
      running: 'VM running',
      stopping: 'VM stopping',
      stopped: 'VM stopped',
      deallocated: 'VM deallocated',
    };
    return {
      computerName: str(rec(r.properties.osProfile).computerName) ?? r.name,
      osName: 'rhcos',
      hyperVGeneration: 'V2',
      statuses: [prov, { code: `PowerState/${power}`, level: 'Info', displayStatus: display[power] }],
    };
  }

  list(sub: string, rg: string | undefined, type: string): Json[] {
    this.settle();
    if (rg) this.group(sub, rg);
    return [...this.resources.values()]
      .filter(
        (r) =>
          r.type.toLowerCase() === type.toLowerCase() &&
          r.sub.toLowerCase() === sub.toLowerCase() &&
          (!rg || r.rg.toLowerCase() === rg.toLowerCase()),
      )
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
      .map((r) => this.json(r, '', false));
  }

  get(sub: string, rg: string, namespace: string, segments: string[], expand: boolean): Json {
    const { id, type } = this.idOf(sub, rg, namespace, segments);
    const r = this.find(id);
    if (!r)
      throw resourceNotFound(
        type,
        segments
          .slice(1)
          .filter((_, i) => i % 2 === 0)
          .join('/'),
        rg,
      );
    return this.json(r, '', expand);
  }

  /** PUT of any resource: validates what the type needs, stores it, answers 201/200 (+ async headers for LRO types). */
  put(
    sub: string,
    rg: string,
    namespace: string,
    segments: string[],
    body: Json,
    base: string,
    apiVersion: string,
    fault?: ArmFault,
  ): ArmResponse {
    this.settle();
    const g = this.group(sub, rg);
    const { id, type } = this.idOf(sub, rg, namespace, segments);
    const t = type.toLowerCase();
    const name = segments[segments.length - 1]!;
    const existing = this.resources.get(id.toLowerCase());
    if (existing?.phase === 'deleting')
      throw new ArmHttpError(
        409,
        'OperationNotAllowed',
        `Operation on '${name}' is not allowed: the resource is marked for deletion.`,
      );
    const location = (str(body.location) ?? (t.split('/').length > 2 ? undefined : g.location))?.toLowerCase();
    if (t.split('/').length === 2 && location && !this.locations[location])
      throw new ArmHttpError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${location}' is not available for resource type '${type}'.`,
      );
    const { properties: _p, tags: _t, location: _l, id: _i, name: _n, type: _ty, etag: _e, ...extra } = body;
    const r: Resource = existing ?? {
      id,
      name,
      type,
      sub,
      rg: g.name,
      location: t.split('/').length === 2 ? location : undefined,
      tags: {},
      properties: {},
      extra: {},
      createdAt: this.now(),
      phase: 'creating',
      since: this.now(),
      powerState: 'running',
    };
    const incoming = rec(body.properties);
    if (t === VM) {
      if (existing) {
        // An update: only tags change here (capi-fn never updates a VM; `az vm update` sets tags).
        r.tags = { ...rec(body.tags) } as Record<string, string>;
        return { status: 200, body: this.json(r, base, false) };
      }
      this.validateVm(r, body, incoming);
      r.properties = this.vmProperties(r, incoming);
      r.extra = extra;
      r.tags = { ...rec(body.tags) } as Record<string, string>;
      if (fault?.asyncError)
        r.failure = {
          code: fault.asyncError.code,
          message: fault.asyncError.message ?? `${fault.asyncError.code} (injected)`,
        };
      this.resources.set(id.toLowerCase(), r);
      this.attachVm(r);
      this.ledger.push({ id, name, rg: g.name, tags: { ...r.tags }, gone: false });
      const op = this.operation(r, 'PUT', r.since + this.vmCreateMs, r.failure);
      return { status: 201, body: this.json(r, base, false), headers: this.asyncHeaders(op, base, apiVersion, false) };
    }
    if (t === NIC) r.properties = this.nicProperties(r, incoming, existing);
    else if (t === VNET) r.properties = this.vnetProperties(r, incoming);
    else if (t === SUBNET) {
      const vnetId = id.replace(/\/subnets\/[^/]+$/, '');
      const vnet = this.resources.get(vnetId.toLowerCase());
      if (!vnet) throw resourceNotFound('Microsoft.Network/virtualNetworks', segments[1]!, rg);
      r.properties = { ...incoming };
      r.phase = 'ready';
    } else if (t === 'microsoft.compute/galleries/images/versions' || t === 'microsoft.compute/galleries/images') {
      const parent = id.replace(/\/[^/]+\/[^/]+$/, '');
      if (!this.resources.has(parent.toLowerCase()))
        throw new ArmHttpError(
          404,
          'ParentResourceNotFound',
          `Can not perform requested operation on nested resource. Parent resource '${parent.split('/').pop()}' not found.`,
        );
      r.properties = { ...incoming };
    } else r.properties = { ...r.properties, ...incoming };
    r.extra = { ...r.extra, ...extra };
    r.tags = { ...rec(body.tags) } as Record<string, string>;
    if (!existing) {
      r.phase = this.networkMs > 0 ? 'creating' : 'ready';
      r.since = this.now();
    }
    this.resources.set(id.toLowerCase(), r);
    if (t === VNET) for (const s of arr(r.properties.subnets)) this.storeSubnet(r, s);
    const lro = t === NIC || t === VNET || t === SUBNET || t === DISK || t.startsWith('microsoft.compute/galleries');
    if (!lro) return { status: existing ? 200 : 201, body: this.json(r, base, false) };
    const op = this.operation(r, 'PUT', this.now() + this.networkMs);
    return {
      status: existing ? 200 : 201,
      body: this.json(r, base, false),
      headers: this.asyncHeaders(op, base, apiVersion, false),
    };
  }

  private vnetProperties(r: Resource, p: Json): Json {
    const subnets = arr(p.subnets).map((s) => ({
      name: s.name,
      id: `${r.id}/subnets/${String(s.name)}`,
      properties: { ...rec(s.properties), provisioningState: 'Succeeded' },
      type: 'Microsoft.Network/virtualNetworks/subnets',
    }));
    return { ...p, subnets, resourceGuid: randomUUID(), enableDdosProtection: false };
  }

  private storeSubnet(vnet: Resource, s: Json): void {
    const id = `${vnet.id}/subnets/${String(s.name)}`;
    if (this.resources.has(id.toLowerCase())) return;
    this.resources.set(id.toLowerCase(), {
      id,
      name: String(s.name),
      type: 'Microsoft.Network/virtualNetworks/subnets',
      sub: vnet.sub,
      rg: vnet.rg,
      tags: {},
      properties: { ...rec(s.properties) },
      extra: {},
      createdAt: this.now(),
      phase: 'ready',
      since: this.now(),
      powerState: 'running',
    });
  }

  private nicProperties(r: Resource, p: Json, existing: Resource | undefined): Json {
    const configs = arr(p.ipConfigurations);
    if (!configs.length)
      throw invalidParameter('properties.ipConfigurations', 'A network interface needs at least one IP configuration.');
    const before = arr(existing?.properties.ipConfigurations);
    const out = configs.map((c, i) => {
      const cp = rec(c.properties);
      const subnetId = str(rec(cp.subnet).id);
      const subnet = subnetId ? this.resources.get(subnetId.toLowerCase()) : undefined;
      if (!subnet)
        throw new ArmHttpError(
          400,
          'InvalidResourceReference',
          `Resource ${subnetId ?? '(none)'} referenced by resource ${r.id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
          { target: `properties.ipConfigurations[${i}].properties.subnet.id` },
        );
      const prior = before.find((b) => b.name === c.name);
      const ip = str(rec(prior?.properties).privateIPAddress) ?? str(cp.privateIPAddress) ?? this.allocateIp(subnet);
      return {
        name: c.name,
        id: `${r.id}/ipConfigurations/${String(c.name)}`,
        type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
        properties: {
          ...cp,
          privateIPAddress: ip,
          privateIPAllocationMethod: cp.privateIPAllocationMethod ?? 'Dynamic',
          privateIPAddressVersion: 'IPv4',
          primary: cp.primary ?? i === 0,
          provisioningState: 'Succeeded',
        },
      };
    });
    return {
      ...p,
      ipConfigurations: out,
      ...(existing?.properties.virtualMachine ? { virtualMachine: existing.properties.virtualMachine } : {}),
      macAddress: existing?.properties.macAddress ?? this.mac(r.id),
      resourceGuid: existing?.properties.resourceGuid ?? randomUUID(),
      nicType: 'Standard',
    };
  }

  private mac(id: string): string {
    const h = createHash('sha256').update(id).digest('hex');
    return `00-0D-3A-${h.slice(0, 2)}-${h.slice(2, 4)}-${h.slice(4, 6)}`.toUpperCase();
  }

  private allocateIp(subnet: Resource): string {
    const prefix =
      str(subnet.properties.addressPrefix) ?? str(arr(subnet.properties.addressPrefixes)[0]) ?? '10.0.0.0/24';
    const [net, bits] = prefix.split('/');
    const size = 2 ** (32 - Number(bits));
    const used = new Set<string>();
    for (const r of this.resources.values())
      if (r.type.toLowerCase() === NIC)
        for (const c of arr(r.properties.ipConfigurations)) used.add(String(rec(c.properties).privateIPAddress));
    // Azure reserves the first four addresses and the last one of every subnet.
    for (let i = 4; i < size - 1; i++) {
      const ip = intToIpv4(ipv4ToInt(net!) + i);
      if (!used.has(ip)) return ip;
    }
    throw new ArmHttpError(
      400,
      'SubnetIsFull',
      `Subnet ${subnet.name} with address prefix ${prefix} does not have enough capacity.`,
    );
  }

  private validateVm(r: Resource, body: Json, p: Json): void {
    const location = r.location!;
    const size = str(rec(p.hardwareProfile).vmSize);
    const sku = this.skus.find((s) => s.name.toLowerCase() === size?.toLowerCase());
    if (!size || !sku)
      throw invalidParameter(
        'vmSize',
        `The value ${size ?? '(none)'} provided for the VM size is not valid. The valid sizes in the current region are: ${this.skus.map((s) => s.name).join(',')}. Find out more on the available VM sizes in each region at https://aka.ms/azure-regions.`,
      );
    const zones = Array.isArray(body.zones) ? (body.zones as string[]) : [];
    const known = this.locations[location] ?? [];
    for (const z of zones)
      if (!known.includes(z))
        throw invalidParameter(
          'zones',
          `The zone(s) '${z}' for resource '${r.name}' is not supported. The supported zones for location '${location}' are '${known.join(',')}'`,
        );
    if (
      this.restrictedSkus.has(`${location}/${sku.name}`.toLowerCase()) ||
      zones.some((z) => this.restrictedSkus.has(`${location}/${sku.name}/${z}`.toLowerCase()))
    )
      throw new ArmHttpError(
        409,
        'SkuNotAvailable',
        `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${sku.name}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
      );
    const used = [...this.resources.values()]
      .filter((x) => x.type.toLowerCase() === VM && x.location === location && x.phase !== 'deleting')
      .reduce(
        (n, x) => n + (this.skus.find((s) => s.name === rec(x.properties.hardwareProfile).vmSize)?.vCPUs ?? 0),
        0,
      );
    if (used + sku.vCPUs > this.coreQuota)
      throw new ArmHttpError(
        409,
        'OperationNotAllowed',
        `Operation could not be completed as it results in exceeding approved ${sku.family} Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${this.coreQuota}, Current Usage: ${used}, Additional Required: ${sku.vCPUs}, (Minimum) New Limit Required: ${used + sku.vCPUs}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP.`,
      );
    const nics = arr(rec(p.networkProfile).networkInterfaces);
    if (!nics.length)
      throw invalidParameter('networkProfile', 'Virtual machine must have at least one network interface.');
    for (const [i, n] of nics.entries()) {
      const nic = this.resources.get(String(n.id ?? '').toLowerCase());
      if (!nic || nic.type.toLowerCase() !== NIC)
        throw new ArmHttpError(400, 'InvalidParameter', `Resource '${String(n.id)}' was not found.`, {
          target: `networkProfile.networkInterfaces[${i}].id`,
        });
      const holder = str(rec(nic.properties.virtualMachine).id);
      if (holder && holder.toLowerCase() !== r.id.toLowerCase())
        throw new ArmHttpError(
          400,
          'NicInUse',
          `Network Interface ${nic.id} is used by existing resource ${holder}. In order to delete the network interface, it must be dissociated from the resource.`,
        );
    }
    const sp = rec(p.storageProfile);
    const image = rec(sp.imageReference);
    this.resolveImage(image, location);
    const os = rec(p.osProfile);
    if (!str(os.adminUsername))
      throw invalidParameter('adminUsername', "Required parameter 'adminUsername' is missing (null).");
    if (os.customData !== undefined) {
      const cd = String(os.customData);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(cd) || Buffer.from(cd, 'base64').length > 65535)
        throw invalidParameter(
          'customData',
          'Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters.',
        );
    }
    for (const k of arr(rec(rec(os.linuxConfiguration).ssh).publicKeys))
      if (!/^(ssh-rsa|ecdsa-sha2-nistp\d+|ssh-ed25519) [A-Za-z0-9+/=]+/.test(String(k.keyData ?? '')))
        throw invalidParameter(
          'linuxConfiguration.ssh.publicKeys.keyData',
          'The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.',
        );
    const as = str(rec(p.availabilitySet).id);
    if (as && !this.resources.has(as.toLowerCase()))
      throw new ArmHttpError(404, 'NotFound', `The entity was not found in this Azure location.`, {
        target: 'availabilitySet.id',
      });
    for (const id of Object.keys(rec(rec(body.identity).userAssignedIdentities)))
      if (!this.resources.has(id.toLowerCase()))
        throw new ArmHttpError(
          400,
          'FailedIdentityOperation',
          `Identity (principal) '${id}' was not found in the resource group.`,
          { target: 'identity.userAssignedIdentities' },
        );
  }

  /** An image reference the VM PUT may use: a gallery image version (or `latest`), a managed image, a marketplace image. */
  private resolveImage(ref: Json, location: string): void {
    const id = str(ref.id);
    if (id) {
      const latest = /^(.*\/images\/[^/]+)\/versions\/latest$/i.exec(id);
      if (latest) {
        const def = this.resources.get(latest[1]!.toLowerCase());
        const versions = [...this.resources.keys()].filter((k) =>
          k.startsWith(`${latest[1]!.toLowerCase()}/versions/`),
        );
        if (def && versions.length) return;
      } else if (this.resources.has(id.toLowerCase())) return;
      throw new ArmHttpError(
        404,
        'GalleryImageNotFound',
        `The gallery image ${id} is not available in ${location} region. Please contact image owner to replicate to this region, or change your requested region.`,
        {
          target: 'imageReference',
        },
      );
    }
    if (str(ref.communityGalleryImageId) || str(ref.sharedGalleryImageId)) return;
    const { publisher, offer, sku, version } = ref as Record<string, string>;
    if (!publisher || !offer || !sku)
      throw invalidParameter('imageReference', 'The value of parameter imageReference is invalid.');
    try {
      this.marketplaceImage(location, publisher, offer, sku, version ?? 'latest');
    } catch {
      throw new ArmHttpError(
        404,
        'PlatformImageNotFound',
        `The platform image '${publisher}:${offer}:${sku}:${version ?? 'latest'}' is not available. Verify that all fields in the storage profile are correct.`,
        {
          target: 'imageReference',
        },
      );
    }
  }

  /** What the VM keeps: the request, minus customData (never returned), plus the disks it made and its vmId. */
  private vmProperties(r: Resource, p: Json): Json {
    const sp = rec(p.storageProfile);
    const os = rec(sp.osDisk);
    const osName = str(os.name) ?? `${r.name}_OsDisk_1_${createHash('sha256').update(r.id).digest('hex').slice(0, 32)}`;
    const osDisk = this.makeDisk(r, osName, rec(os.managedDisk), Number(os.diskSizeGB ?? 30), os);
    const dataDisks = arr(sp.dataDisks).map((d) => {
      const disk = this.makeDisk(
        r,
        str(d.name) ?? `${r.name}_disk${String(d.lun)}`,
        rec(d.managedDisk),
        Number(d.diskSizeGB ?? 4),
        d,
      );
      return {
        ...d,
        name: disk.name,
        managedDisk: { ...rec(d.managedDisk), id: disk.id },
        deleteOption: d.deleteOption ?? 'Detach',
      };
    });
    const { customData: _cd, ...osProfile } = rec(p.osProfile);
    return {
      ...p,
      vmId: randomUUID(),
      timeCreated: new Date(this.now()).toISOString(),
      osProfile: {
        ...osProfile,
        secrets: [],
        allowExtensionOperations: osProfile.allowExtensionOperations ?? true,
        requireGuestProvisionSignal: true,
      },
      storageProfile: {
        ...sp,
        osDisk: {
          ...os,
          osType: os.osType ?? 'Linux',
          name: osDisk.name,
          createOption: os.createOption ?? 'FromImage',
          caching: os.caching ?? 'ReadWrite',
          managedDisk: { ...rec(os.managedDisk), id: osDisk.id },
          diskSizeGB: osDisk.properties.diskSizeGB,
          deleteOption: os.deleteOption ?? 'Detach',
        },
        dataDisks,
      },
    };
  }

  private makeDisk(vm: Resource, name: string, md: Json, sizeGB: number, spec: Json): Resource {
    const id = `/subscriptions/${vm.sub}/resourceGroups/${vm.rg}/providers/Microsoft.Compute/disks/${name}`;
    const existing = this.resources.get(id.toLowerCase());
    if (existing) {
      const holder = str(existing.extra.managedBy);
      if (holder && holder.toLowerCase() !== vm.id.toLowerCase())
        throw new ArmHttpError(409, 'Conflict', `Disk ${name} is attached to VM ${holder}.`);
      return existing;
    }
    const disk: Resource = {
      id,
      name,
      type: 'Microsoft.Compute/disks',
      sub: vm.sub,
      rg: vm.rg,
      location: vm.location,
      tags: {},
      properties: {
        diskSizeGB: sizeGB,
        diskState: 'Attached',
        creationData: { createOption: spec.createOption ?? 'Empty' },
        encryption: {
          type: rec(md.diskEncryptionSet).id ? 'EncryptionAtRestWithCustomerKey' : 'EncryptionAtRestWithPlatformKey',
        },
        timeCreated: new Date(this.now()).toISOString(),
      },
      extra: { managedBy: vm.id, sku: { name: md.storageAccountType ?? 'Standard_LRS' } },
      createdAt: this.now(),
      phase: 'ready',
      since: this.now(),
      powerState: 'running',
    };
    this.resources.set(id.toLowerCase(), disk);
    return disk;
  }

  private attachVm(vm: Resource): void {
    for (const n of arr(rec(vm.properties.networkProfile).networkInterfaces)) {
      const nic = this.resources.get(String(n.id ?? '').toLowerCase());
      if (nic) nic.properties.virtualMachine = { id: vm.id };
    }
  }

  /** DELETE of any resource: 202 with both headers while it goes, 204 when absent. */
  delete(
    sub: string,
    rg: string,
    namespace: string,
    segments: string[],
    base: string,
    apiVersion: string,
  ): ArmResponse {
    this.settle();
    this.group(sub, rg);
    const { id } = this.idOf(sub, rg, namespace, segments);
    const r = this.resources.get(id.toLowerCase());
    if (!r) return { status: 204 };
    const t = r.type.toLowerCase();
    if (t === NIC && r.properties.virtualMachine)
      throw new ArmHttpError(
        400,
        'NicInUse',
        `Network Interface ${r.id} is used by existing resource ${String(rec(r.properties.virtualMachine).id)}. In order to delete the network interface, it must be dissociated from the resource.`,
      );
    if (t === DISK && r.extra.managedBy)
      throw new ArmHttpError(
        409,
        'OperationNotAllowed',
        `Disk ${r.name} is attached to VM ${String(r.extra.managedBy)}.`,
      );
    if (
      t === VNET &&
      [...this.resources.values()].some(
        (x) =>
          x.type.toLowerCase() === NIC &&
          arr(x.properties.ipConfigurations).some((c) =>
            String(rec(rec(c.properties).subnet).id)
              .toLowerCase()
              .startsWith(`${id.toLowerCase()}/`),
          ),
      )
    )
      throw new ArmHttpError(400, 'InUseSubnetCannotBeDeleted', `Subnet of ${r.name} is in use and cannot be deleted.`);
    if (r.phase !== 'deleting') {
      r.phase = 'deleting';
      r.since = this.now();
    }
    const ms = t === VM ? this.vmDeleteMs : this.networkMs;
    if (ms <= 0) this.remove(r);
    const op = this.operation(r, 'DELETE', r.since + ms);
    return { status: 202, headers: this.asyncHeaders(op, base, apiVersion, true) };
  }

  /** POST start / powerOff / deallocate / restart on a VM. */
  vmAction(sub: string, rg: string, name: string, action: string, base: string, apiVersion: string): ArmResponse {
    const { id } = this.idOf(sub, rg, 'Microsoft.Compute', ['virtualMachines', name]);
    const r = this.find(id);
    if (!r) throw resourceNotFound('Microsoft.Compute/virtualMachines', name, rg);
    const a = action.toLowerCase();
    if (a === 'start' || a === 'restart') r.powerState = 'running';
    else if (a === 'poweroff') r.powerState = 'stopped';
    else if (a === 'deallocate') r.powerState = 'deallocated';
    else throw new ArmHttpError(404, 'NotFound', `No action ${action}`);
    const op = this.operation(r, 'POST', this.now());
    return { status: 202, headers: this.asyncHeaders(op, base, apiVersion, true) };
  }

  // ---- helpers for tests and the CLI ----------------------------------------------------------------------

  /** Seeds a resource group, a vnet with subnets, and anything else, without HTTP (what an installed cluster has). */
  seedNetwork(o: {
    rg: string;
    location: string;
    vnet: string;
    subnets: Record<string, string>;
    vnetRg?: string;
  }): void {
    const sub = this.subscriptionId;
    if (!this.groups.has(this.groupKey(sub, o.rg))) this.putGroup(sub, o.rg, { location: o.location });
    const vrg = o.vnetRg ?? o.rg;
    if (!this.groups.has(this.groupKey(sub, vrg))) this.putGroup(sub, vrg, { location: o.location });
    this.put(
      sub,
      vrg,
      'Microsoft.Network',
      ['virtualNetworks', o.vnet],
      {
        location: o.location,
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          subnets: Object.entries(o.subnets).map(([name, addressPrefix]) => ({ name, properties: { addressPrefix } })),
        },
      },
      '',
      'seed',
    );
  }

  /** Creates or replaces a resource straight in the store (a gallery image, an identity), ready at once. */
  seed(sub: string, rg: string, namespace: string, segments: string[], body: Json): void {
    if (!this.groups.has(this.groupKey(sub, rg))) {
      const location = str(body.location) ?? Object.keys(this.locations)[0]!;
      this.putGroup(sub, rg, { location });
    }
    this.put(sub, rg, namespace, segments, body, '', 'seed');
    const { id } = this.idOf(sub, rg, namespace, segments);
    const r = this.resources.get(id.toLowerCase());
    if (r && r.phase === 'creating') r.phase = 'ready';
  }

  /** Every resource of a type (for tests: `Microsoft.Network/networkInterfaces`), settled. */
  all(type: string): Array<{ id: string; name: string; tags: Record<string, string>; state: string }> {
    this.settle();
    return [...this.resources.values()]
      .filter((r) => r.type.toLowerCase() === type.toLowerCase())
      .map((r) => ({
        id: r.id,
        name: r.name,
        tags: r.tags,
        state: r.type.toLowerCase() === VM ? this.vmProvisioningState(r) : r.phase,
      }));
  }
}
