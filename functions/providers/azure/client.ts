// The Azure Resource Manager calls the Azure provider makes, in ARM's words, over the official
// @azure/arm-compute and @azure/arm-network clients with @azure/identity credentials. Long-running operations
// never hold a function open: a `begin*` call sends only the initial request (`poller.submitted()`) and returns
// the poller's serialized state, which the handler records in status; `pollOperation` restores it on a later
// invocation and polls once (CAPZ's `longRunningOperationStates`). SDK retries are off (CAPZ does the same):
// throttling and transient errors come back to the handler, which requeues after `Retry-After`.
//
// AZURE_RESOURCE_MANAGER_ENDPOINT points the clients elsewhere (the emulator); AZURE_AUTHORITY_HOST the token
// requests. Both SDKs refuse bearer tokens over http, so the endpoint is https (trust a private CA through
// NODE_EXTRA_CA_CERTS, or the `ca` option in process).

import type { AvailabilitySet, ResourceSku, VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, Subnet } from '@azure/arm-network';
import type { TokenCredential } from '@azure/identity';
import { ERROR_TARGET_HEADER } from './errors.ts';
import { parseResourceID } from './names.ts';

export type { AvailabilitySet, NetworkInterface, ResourceSku, Subnet, VirtualMachine };

export const DEFAULT_RESOURCE_MANAGER_ENDPOINT = 'https://management.azure.com/';
const PUBLIC_AUTHORITIES = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn'];

/** An operation begun and not finished, as CAPZ records it (`status.longRunningOperationStates[]`). */
export interface RecordedOperation {
  type: 'PUT' | 'DELETE';
  /** `virtualmachine`, `networkinterface`, `disk`. */
  serviceName: 'virtualmachine' | 'networkinterface' | 'disk';
  resourceGroup: string;
  name: string;
  /** The serialized poller (`poller.serialize()`). */
  data: string;
}

export interface OperationProgress {
  status: 'running' | 'succeeded' | 'failed' | 'canceled';
  error?: { code: string; message: string } | undefined;
  /** The serialized poller after this step (record it again while running). */
  data: string;
}

/** A long-running operation's failure (the VM create's AllocationFailed …), as an Error the classifier reads. */
export class OperationFailedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'OperationFailedError';
    this.code = code;
  }
}

/** The calls the provider makes; each one is one ARM request (a poll may add the final GET). */
export interface ArmApi {
  getVirtualMachine(sub: string, rg: string, name: string): Promise<VirtualMachine>;
  listVirtualMachines(sub: string, rg: string): Promise<VirtualMachine[]>;
  beginCreateVirtualMachine(sub: string, rg: string, name: string, vm: VirtualMachine): Promise<OperationProgress>;
  beginDeleteVirtualMachine(sub: string, rg: string, name: string): Promise<OperationProgress>;
  getNetworkInterface(sub: string, rg: string, name: string): Promise<NetworkInterface>;
  beginCreateNetworkInterface(sub: string, rg: string, name: string, nic: NetworkInterface): Promise<OperationProgress>;
  beginDeleteNetworkInterface(sub: string, rg: string, name: string): Promise<OperationProgress>;
  /** A managed disk: whether it exists and what holds it (`managedBy`). */
  getDisk(sub: string, rg: string, name: string): Promise<{ id?: string; managedBy?: string }>;
  beginDeleteDisk(sub: string, rg: string, name: string): Promise<OperationProgress>;
  getSubnet(sub: string, rg: string, vnet: string, name: string): Promise<Subnet>;
  getVirtualNetwork(sub: string, rg: string, name: string): Promise<{ id?: string; location?: string }>;
  /** A gallery image version (`…/versions/latest`: the image definition), or a managed image, by ARM ID. */
  getImageByID(id: string): Promise<{ id?: string }>;
  getMarketplaceImage(
    sub: string,
    location: string,
    publisher: string,
    offer: string,
    sku: string,
    version: string,
  ): Promise<{ id?: string }>;
  /** The VM sizes of a location, with their capabilities and zones. */
  listSkus(sub: string, location: string): Promise<ResourceSku[]>;
  createAvailabilitySet(sub: string, rg: string, name: string, body: AvailabilitySet): Promise<AvailabilitySet>;
  getAvailabilitySet(sub: string, rg: string, name: string): Promise<AvailabilitySet>;
  deleteAvailabilitySet(sub: string, rg: string, name: string): Promise<void>;
  /** One poll of a recorded operation (restored from its serialized state). */
  pollOperation(sub: string, op: RecordedOperation): Promise<OperationProgress>;
}

export interface ServicePrincipal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface AzureClientOptions {
  /** ARM endpoint (default AZURE_RESOURCE_MANAGER_ENDPOINT, else Azure's public cloud). */
  endpoint?: string;
  /** The AAD authority (default AZURE_AUTHORITY_HOST, else the SDK's). */
  authorityHost?: string;
  /** A service principal; absent: the standard variables (@azure/identity's chain). */
  principal?: ServicePrincipal;
  /** A credential to use as is (tests). */
  credential?: TokenCredential;
  /** CA certificates to trust instead of the system's (an emulator's, in process). */
  ca?: string;
  env?: NodeJS.ProcessEnv;
}

export function resourceManagerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const e = env.AZURE_RESOURCE_MANAGER_ENDPOINT || DEFAULT_RESOURCE_MANAGER_ENDPOINT;
  return e.endsWith('/') ? e : `${e}/`;
}

type Sdk = {
  compute: typeof import('@azure/arm-compute');
  network: typeof import('@azure/arm-network');
  identity: typeof import('@azure/identity');
};
let sdk: Promise<Sdk> | undefined;
/** The SDKs load on the first call, so a function that never calls Azure (or fails its setup) does not pay for them. */
function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import('@azure/arm-compute'), import('@azure/arm-network'), import('@azure/identity')]).then(
    ([compute, network, identity]) => ({ compute, network, identity }),
  );
  return sdk;
}

/**
 * ARM names the field it refuses in `error.target`, but the SDKs' RestError for a long-running operation's initial
 * request keeps only the code and message: this policy copies the target into a response header the error keeps.
 */
const ERROR_TARGET_POLICY = {
  name: 'capiFnArmErrorTarget',
  async sendRequest(
    request: unknown,
    next: (
      r: unknown,
    ) => Promise<{ status: number; bodyAsText?: string | null; headers: { set(n: string, v: string): void } }>,
  ) {
    const res = await next(request);
    if (res.status >= 400 && res.bodyAsText) {
      try {
        const target = (JSON.parse(res.bodyAsText) as { error?: { target?: string } }).error?.target;
        if (typeof target === 'string' && target) res.headers.set(ERROR_TARGET_HEADER, target);
      } catch {
        // Not JSON: nothing to copy.
      }
    }
    return res;
  },
};

type ClientPolicies = NonNullable<
  ConstructorParameters<Sdk['compute']['ComputeManagementClient']>[2]
>['additionalPolicies'];
type Compute = InstanceType<Sdk['compute']['ComputeManagementClient']>;
type Network = InstanceType<Sdk['network']['NetworkManagementClient']>;
interface Poller {
  submitted(): Promise<void>;
  poll(): Promise<unknown>;
  serialize(): Promise<string>;
  readonly operationState?: { status: string; error?: Error } | undefined;
}

export class AzureArmClients implements ArmApi {
  readonly endpoint: string;
  readonly authorityHost: string | undefined;
  protected readonly o: AzureClientOptions;
  private credential: Promise<TokenCredential> | undefined;
  private readonly clients = new Map<string, Promise<{ compute: Compute; network: Network }>>();

  constructor(o: AzureClientOptions = {}) {
    this.o = o;
    const env = o.env ?? process.env;
    this.endpoint = o.endpoint ?? resourceManagerEndpoint(env);
    this.authorityHost = o.authorityHost ?? (env.AZURE_AUTHORITY_HOST || undefined);
  }

  private tls() {
    return this.o.ca ? { tlsOptions: { ca: this.o.ca } } : {};
  }

  private cred(): Promise<TokenCredential> {
    this.credential ??= loadSdk().then(({ identity }) => {
      if (this.o.credential) return this.o.credential;
      const authority = this.authorityHost;
      const opts = {
        ...(authority ? { authorityHost: authority } : {}),
        // MSAL's instance discovery asks login.microsoftonline.com about any other authority (an emulator, Azure Stack).
        ...(authority && !PUBLIC_AUTHORITIES.some((h) => authority.includes(h))
          ? { disableInstanceDiscovery: true }
          : {}),
        ...this.tls(),
      };
      const p = this.o.principal;
      if (p) return new identity.ClientSecretCredential(p.tenantId, p.clientId, p.clientSecret, opts);
      return new identity.DefaultAzureCredential(opts);
    });
    return this.credential;
  }

  private for(sub: string): Promise<{ compute: Compute; network: Network }> {
    let c = this.clients.get(sub);
    if (!c) {
      c = Promise.all([loadSdk(), this.cred()]).then(([{ compute, network }, cred]) => {
        // CAPZ disables the SDK's retries: a throttled or failed call goes back to the handler, which requeues.
        const opts = {
          endpoint: this.endpoint,
          retryOptions: { maxRetries: 0 },
          // The policy is typed structurally here: @azure/core-rest-pipeline is the SDKs' dependency, not ours.
          additionalPolicies: [{ policy: ERROR_TARGET_POLICY, position: 'perCall' }] as unknown as ClientPolicies,
          ...this.tls(),
        };
        return {
          compute: new compute.ComputeManagementClient(cred, sub, opts),
          network: new network.NetworkManagementClient(cred, sub, opts),
        };
      });
      this.clients.set(sub, c);
    }
    return c;
  }

  async getVirtualMachine(sub: string, rg: string, name: string): Promise<VirtualMachine> {
    return (await this.for(sub)).compute.virtualMachines.get(rg, name, { expand: 'instanceView' });
  }

  async listVirtualMachines(sub: string, rg: string): Promise<VirtualMachine[]> {
    const out: VirtualMachine[] = [];
    for await (const vm of (await this.for(sub)).compute.virtualMachines.list(rg)) out.push(vm);
    return out;
  }

  async beginCreateVirtualMachine(sub: string, rg: string, name: string, vm: VirtualMachine) {
    return begun((await this.for(sub)).compute.virtualMachines.createOrUpdate(rg, name, vm));
  }

  async beginDeleteVirtualMachine(sub: string, rg: string, name: string) {
    return begun((await this.for(sub)).compute.virtualMachines.delete(rg, name, { forceDeletion: true }));
  }

  async getNetworkInterface(sub: string, rg: string, name: string): Promise<NetworkInterface> {
    return (await this.for(sub)).network.networkInterfaces.get(rg, name);
  }

  async beginCreateNetworkInterface(sub: string, rg: string, name: string, nic: NetworkInterface) {
    return begun((await this.for(sub)).network.networkInterfaces.createOrUpdate(rg, name, nic));
  }

  async beginDeleteNetworkInterface(sub: string, rg: string, name: string) {
    return begun((await this.for(sub)).network.networkInterfaces.delete(rg, name));
  }

  async getDisk(sub: string, rg: string, name: string) {
    const d = await (await this.for(sub)).compute.disks.get(rg, name);
    return { ...(d.id ? { id: d.id } : {}), ...(d.managedBy ? { managedBy: d.managedBy } : {}) };
  }

  async beginDeleteDisk(sub: string, rg: string, name: string) {
    return begun((await this.for(sub)).compute.disks.delete(rg, name));
  }

  async getSubnet(sub: string, rg: string, vnet: string, name: string): Promise<Subnet> {
    return (await this.for(sub)).network.subnets.get(rg, vnet, name);
  }

  async getVirtualNetwork(sub: string, rg: string, name: string) {
    return (await this.for(sub)).network.virtualNetworks.get(rg, name);
  }

  async getImageByID(id: string): Promise<{ id?: string }> {
    const r = parseResourceID(id);
    const [type, name, childType, child, grandType, grand] = r?.segments ?? [];
    if (!r) throw new Error(`not an ARM resource ID: ${id}`);
    if (r.namespace.toLowerCase() !== 'microsoft.compute') throw new Error(`not a Microsoft.Compute image ID: ${id}`);
    const c = (await this.for(r.sub)).compute;
    if (type?.toLowerCase() === 'images' && name) return c.images.get(r.rg, name);
    if (type?.toLowerCase() === 'galleries' && name && childType?.toLowerCase() === 'images' && child) {
      if (grandType?.toLowerCase() === 'versions' && grand && grand.toLowerCase() !== 'latest')
        return c.galleryImageVersions.get(r.rg, name, child, grand);
      return c.galleryImages.get(r.rg, name, child);
    }
    throw new Error(`not an image or gallery image version ID: ${id}`);
  }

  async getMarketplaceImage(
    sub: string,
    location: string,
    publisher: string,
    offer: string,
    sku: string,
    version: string,
  ) {
    const c = (await this.for(sub)).compute;
    if (version.toLowerCase() !== 'latest') return c.virtualMachineImages.get(location, publisher, offer, sku, version);
    const list = await c.virtualMachineImages.list(location, publisher, offer, sku, { top: 1 });
    if (!list.length)
      throw new OperationFailedError('PlatformImageNotFound', `no version of ${publisher}:${offer}:${sku}`);
    return { id: list[0]!.id ?? '' };
  }

  async listSkus(sub: string, location: string): Promise<ResourceSku[]> {
    const out: ResourceSku[] = [];
    for await (const s of (await this.for(sub)).compute.resourceSkus.list({ filter: `location eq '${location}'` }))
      if (s.resourceType === 'virtualMachines') out.push(s);
    return out;
  }

  async createAvailabilitySet(sub: string, rg: string, name: string, body: AvailabilitySet) {
    return (await this.for(sub)).compute.availabilitySets.createOrUpdate(rg, name, body);
  }

  async getAvailabilitySet(sub: string, rg: string, name: string) {
    return (await this.for(sub)).compute.availabilitySets.get(rg, name);
  }

  async deleteAvailabilitySet(sub: string, rg: string, name: string) {
    await (await this.for(sub)).compute.availabilitySets.delete(rg, name);
  }

  async pollOperation(sub: string, op: RecordedOperation): Promise<OperationProgress> {
    const { compute, network } = await this.for(sub);
    const [{ compute: cm, network: nm }] = await Promise.all([loadSdk()]);
    type Source = Parameters<typeof cm.restorePoller>[2];
    type NetSource = Parameters<typeof nm.restorePoller>[2];
    let p: Poller;
    if (op.serviceName === 'virtualmachine') {
      const source = (
        op.type === 'PUT' ? compute.virtualMachines.createOrUpdate : compute.virtualMachines.delete
      ) as Source;
      p = cm.restorePoller(compute, op.data, source) as unknown as Poller;
    } else if (op.serviceName === 'disk')
      p = cm.restorePoller(compute, op.data, compute.disks.delete) as unknown as Poller;
    else {
      const source = (
        op.type === 'PUT' ? network.networkInterfaces.createOrUpdate : network.networkInterfaces.delete
      ) as NetSource;
      p = nm.restorePoller(network, op.data, source) as unknown as Poller;
    }
    try {
      await p.poll();
    } catch (e) {
      // A failed operation: core-lro throws "The long-running operation has failed. <ARM code>. <message>".
      const m = /has failed\. ([A-Za-z][\w.]*)\. ([\s\S]*)$/.exec((e as Error).message);
      const code = (e as { code?: string }).code ?? m?.[1] ?? 'OperationFailed';
      return { status: 'failed', error: { code, message: m?.[2] ?? (e as Error).message }, data: op.data };
    }
    return progress(p, await p.serialize());
  }
}

function progress(p: Poller, data: string): OperationProgress {
  const s = (p.operationState?.status ?? 'running').toLowerCase();
  const status =
    s === 'succeeded' ? 'succeeded' : s === 'failed' ? 'failed' : s === 'canceled' ? 'canceled' : 'running';
  const err = p.operationState?.error as (Error & { code?: string }) | undefined;
  return {
    status,
    ...(err ? { error: { code: err.code ?? 'OperationFailed', message: err.message } } : {}),
    data,
  };
}

/**
 * Sends only the initial request of a long-running operation. Never `await` a poller itself: it is a thenable that
 * polls until done, which is exactly what must not happen in a function.
 */
async function begun(poller: Poller): Promise<OperationProgress> {
  await poller.submitted();
  return progress(poller, await poller.serialize());
}

/** A client bound to another service principal (the AzureClusterIdentity's), cached per Secret version. */
export interface AzureClients extends ArmApi {
  withPrincipal(p: ServicePrincipal, version: string): ArmApi;
}

export class AzureSdkClients extends AzureArmClients implements AzureClients {
  private readonly bound = new Map<string, ArmApi>();
  withPrincipal(p: ServicePrincipal, version: string): ArmApi {
    let c = this.bound.get(version);
    if (!c) {
      const { credential: _c, ...rest } = this.o;
      c = new AzureArmClients({
        ...rest,
        endpoint: this.endpoint,
        ...(this.authorityHost ? { authorityHost: this.authorityHost } : {}),
        principal: p,
      });
      this.bound.clear();
      this.bound.set(version, c);
    }
    return c;
  }
}
