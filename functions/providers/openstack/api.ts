// The OpenStack calls the provider makes, for one cloud, in the services' own words (reference §1.3–§1.9). Each
// method is one HTTP call (lists follow their `next` links) through the transport, so a test wrapping the
// transport counts them and can crash after any one.

import type { OpenStackCall, OpenStackTransport, Session } from './client.ts';
import type { CloudConfig } from './clouds.ts';

export interface NovaServer {
  id: string;
  name: string;
  status: string;
  metadata?: Record<string, string>;
  tags?: string[];
  addresses?: Record<
    string,
    Array<{ addr: string; version: number; 'OS-EXT-IPS:type'?: string; 'OS-EXT-IPS-MAC:mac_addr'?: string }>
  >;
  'OS-EXT-AZ:availability_zone'?: string;
  flavor?: { original_name?: string; id?: string };
  image?: { id: string } | string;
  created?: string;
  fault?: { code?: number; message?: string };
  'OS-EXT-STS:task_state'?: string | null;
  'os-extended-volumes:volumes_attached'?: Array<{ id: string; delete_on_termination?: boolean }>;
}

export interface NovaFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

export interface NeutronPort {
  id: string;
  name: string;
  network_id: string;
  device_id: string;
  tags?: string[];
  status?: string;
  fixed_ips?: Array<{ subnet_id: string; ip_address: string }>;
  mac_address?: string;
}

export interface NeutronResource {
  id: string;
  name: string;
  tags?: string[];
  project_id?: string;
  network_id?: string;
  port_id?: string;
  cidr?: string;
  [k: string]: unknown;
}

export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  tags?: string[];
}

export interface CinderVolume {
  id: string;
  name: string;
  status: string;
  size: number;
  metadata?: Record<string, string>;
  attachments?: Array<{ server_id: string }>;
}

type Query = OpenStackCall['query'];

export class OpenStackApi {
  readonly transport: OpenStackTransport;
  readonly cloud: CloudConfig;

  constructor(transport: OpenStackTransport, cloud: CloudConfig) {
    this.transport = transport;
    this.cloud = cloud;
  }

  private async call<T>(c: OpenStackCall): Promise<T> {
    return (await this.transport.request<T>(this.cloud, c)).body;
  }

  /** A Neutron or Nova list, following the `<key>_links` next page (Glance's `next`). */
  private async list<T>(service: OpenStackCall['service'], path: string, key: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let q: Query = query;
    for (let pages = 0; pages < 100; pages++) {
      const body: Record<string, unknown> = await this.call<Record<string, unknown>>({
        service,
        method: 'GET',
        path,
        query: q,
      });
      const items = (body[key] as T[] | undefined) ?? [];
      out.push(...items);
      const links = body[`${key}_links`] as Array<{ rel: string; href: string }> | undefined;
      const next: string | undefined =
        links?.find((l) => l.rel === 'next')?.href ?? (typeof body.next === 'string' ? body.next : undefined);
      const marker: string | null | undefined = next ? new URL(next, 'http://x').searchParams.get('marker') : undefined;
      if (!marker || !items.length) break;
      q = { ...(query ?? {}), marker };
    }
    return out;
  }

  session(): Promise<Session> {
    return this.transport.session(this.cloud);
  }

  // ---- Nova ----
  /** Servers whose name matches exactly (Nova's filter is a regular expression: anchored and escaped). */
  listServersNamed(name: string): Promise<NovaServer[]> {
    return this.list('compute', '/servers/detail', 'servers', {
      name: `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
    });
  }
  listServers(query: Query = {}): Promise<NovaServer[]> {
    return this.list('compute', '/servers/detail', 'servers', query);
  }
  async getServer(id: string): Promise<NovaServer> {
    return (await this.call<{ server: NovaServer }>({ service: 'compute', method: 'GET', path: `/servers/${id}` }))
      .server;
  }
  async createServer(server: Record<string, unknown>, hints?: Record<string, unknown>): Promise<{ id: string }> {
    const body = { server, ...(hints && Object.keys(hints).length ? { 'os:scheduler_hints': hints } : {}) };
    return (await this.call<{ server: { id: string } }>({ service: 'compute', method: 'POST', path: '/servers', body }))
      .server;
  }
  async deleteServer(id: string): Promise<void> {
    await this.call({ service: 'compute', method: 'DELETE', path: `/servers/${id}` });
  }
  listFlavors(): Promise<NovaFlavor[]> {
    return this.list('compute', '/flavors/detail', 'flavors');
  }
  async listAvailabilityZones(): Promise<Array<{ zoneName: string; zoneState: { available: boolean } }>> {
    return (
      await this.call<{ availabilityZoneInfo: Array<{ zoneName: string; zoneState: { available: boolean } }> }>({
        service: 'compute',
        method: 'GET',
        path: '/os-availability-zone',
      })
    ).availabilityZoneInfo;
  }
  async listServerGroups(): Promise<Array<{ id: string; name: string }>> {
    return (
      await this.call<{ server_groups: Array<{ id: string; name: string }> }>({
        service: 'compute',
        method: 'GET',
        path: '/os-server-groups',
      })
    ).server_groups;
  }

  // ---- Glance ----
  listImages(q: { name?: string | undefined; tags?: string[] | undefined; id?: string }): Promise<GlanceImage[]> {
    return this.list('image', '/images', 'images', {
      ...(q.name ? { name: q.name } : {}),
      ...(q.tags?.length ? { tag: q.tags } : {}),
      ...(q.id ? { id: q.id } : {}),
    });
  }
  getImage(id: string): Promise<GlanceImage> {
    return this.call({ service: 'image', method: 'GET', path: `/images/${id}` });
  }

  // ---- Neutron ----
  listNetworks(q: Query = {}): Promise<NeutronResource[]> {
    return this.list('network', '/networks', 'networks', q);
  }
  async getNetwork(id: string): Promise<NeutronResource> {
    return (
      await this.call<{ network: NeutronResource }>({ service: 'network', method: 'GET', path: `/networks/${id}` })
    ).network;
  }
  listSubnets(q: Query = {}): Promise<NeutronResource[]> {
    return this.list('network', '/subnets', 'subnets', q);
  }
  listSecurityGroups(q: Query = {}): Promise<NeutronResource[]> {
    return this.list('network', '/security-groups', 'security_groups', q);
  }
  listPorts(q: Query = {}): Promise<NeutronPort[]> {
    return this.list('network', '/ports', 'ports', q);
  }
  async createPort(port: Record<string, unknown>): Promise<NeutronPort> {
    return (
      await this.call<{ port: NeutronPort }>({ service: 'network', method: 'POST', path: '/ports', body: { port } })
    ).port;
  }
  async replacePortTags(id: string, tags: string[]): Promise<void> {
    await this.call({ service: 'network', method: 'PUT', path: `/ports/${id}/tags`, body: { tags } });
  }
  async deletePort(id: string): Promise<void> {
    await this.call({ service: 'network', method: 'DELETE', path: `/ports/${id}` });
  }
  listTrunks(q: Query = {}): Promise<NeutronResource[]> {
    return this.list('network', '/trunks', 'trunks', q);
  }
  async createTrunk(trunk: Record<string, unknown>): Promise<NeutronResource> {
    return (
      await this.call<{ trunk: NeutronResource }>({
        service: 'network',
        method: 'POST',
        path: '/trunks',
        body: { trunk },
      })
    ).trunk;
  }
  async deleteTrunk(id: string): Promise<void> {
    await this.call({ service: 'network', method: 'DELETE', path: `/trunks/${id}` });
  }
  async listExtensions(): Promise<string[]> {
    return (
      await this.call<{ extensions: Array<{ alias: string }> }>({
        service: 'network',
        method: 'GET',
        path: '/extensions',
      })
    ).extensions.map((e) => e.alias);
  }

  // ---- Cinder ----
  listVolumes(q: { name?: string; metadata?: Record<string, string> }): Promise<CinderVolume[]> {
    return this.list('block-storage', '/volumes/detail', 'volumes', {
      ...(q.name ? { name: q.name } : {}),
      ...(q.metadata ? { metadata: JSON.stringify(q.metadata) } : {}),
    });
  }
  async createVolume(volume: Record<string, unknown>): Promise<CinderVolume> {
    return (
      await this.call<{ volume: CinderVolume }>({
        service: 'block-storage',
        method: 'POST',
        path: '/volumes',
        body: { volume },
      })
    ).volume;
  }
  async getVolume(id: string): Promise<CinderVolume> {
    return (
      await this.call<{ volume: CinderVolume }>({ service: 'block-storage', method: 'GET', path: `/volumes/${id}` })
    ).volume;
  }
  async deleteVolume(id: string): Promise<void> {
    await this.call({ service: 'block-storage', method: 'DELETE', path: `/volumes/${id}` });
  }
}
