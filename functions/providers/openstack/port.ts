// The kit's port over Nova, Neutron and Cinder. Identity is the server name (the OpenStackMachine's) plus the
// Machine UID in its metadata; the ownership marker is the cluster in its metadata. Nova has no idempotency token,
// so a create looks first: ports are found by the Machine UID tag and their deterministic name before any is made,
// volumes by their name and metadata, and the server by name + metadata right before `POST /servers` (the kit's
// lease keeps a second invocation out meanwhile, and its lookup before every create finds a server whose create
// answer was lost). Deleting a server leaves its ports and volumes: `releaseLeftovers` removes them once it is gone.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { CloudInstance, CloudPort, InstanceState } from '../kit/port.ts';
import type { NeutronPort, NovaServer, OpenStackApi } from './api.ts';
import { OpenStackApiError } from './client.ts';
import { PortConflictError, VolumeNotReadyError } from './errors.ts';
import { CLUSTER_METADATA, formatProviderID, UID_METADATA, UID_TAG_PREFIX, uidTag } from './names.ts';
import { blockDevices, portBody, type ServerRequest } from './request.ts';

/** Nova status → the kit's state (CAPO: BUILD waits, ACTIVE is ready, ERROR fails, SHUTOFF is stopped). */
const STATES: Record<string, InstanceState> = {
  BUILD: 'pending',
  ACTIVE: 'running',
  // Passing states of a running server: not a failure.
  REBOOT: 'running',
  HARD_REBOOT: 'running',
  PASSWORD: 'running',
  REBUILD: 'pending',
  MIGRATING: 'running',
  RESIZE: 'running',
  VERIFY_RESIZE: 'running',
  REVERT_RESIZE: 'running',
  SHUTOFF: 'stopped',
  PAUSED: 'stopped',
  SUSPENDED: 'stopped',
  SHELVED: 'stopped',
  SHELVED_OFFLOADED: 'stopped',
  RESCUE: 'stopped',
  UNKNOWN: 'stopped',
  DELETED: 'gone',
  SOFT_DELETED: 'gone',
  ERROR: 'failed',
};

/** Addresses as CAPO reports them: networks by name, IPv4 before IPv6, fixed → InternalIP, floating → ExternalIP; then the name. */
export function addressesOf(s: NovaServer): MachineAddress[] {
  const out: MachineAddress[] = [];
  for (const net of Object.keys(s.addresses ?? {}).sort()) {
    const list = [...(s.addresses?.[net] ?? [])].sort((a, b) => a.version - b.version);
    for (const a of list) {
      const type = a['OS-EXT-IPS:type'];
      if (type === 'fixed' || type === undefined) out.push({ type: 'InternalIP', address: a.addr });
      else if (type === 'floating') out.push({ type: 'ExternalIP', address: a.addr });
    }
  }
  out.push({ type: 'InternalDNS', address: s.name });
  return out;
}

export function toCloudInstance(s: NovaServer, region?: string): CloudInstance {
  const deleting = s['OS-EXT-STS:task_state'] === 'deleting';
  const state = deleting ? 'terminating' : (STATES[s.status] ?? 'failed');
  const md = s.metadata ?? {};
  const failed = state === 'failed';
  return {
    id: s.id,
    providerID: formatProviderID(s.id, region),
    state,
    nativeState: s.status,
    ...(s.status === 'BUILD' || s.status === 'REBUILD' || deleting ? { transitioning: true } : {}),
    addresses: addressesOf(s),
    failureDomain: s['OS-EXT-AZ:availability_zone'] || undefined,
    owner: { cluster: md[CLUSTER_METADATA], machineUid: md[UID_METADATA] },
    ...(s.created ? { createdAt: new Date(s.created).toISOString() } : {}),
    hostname: s.name,
    ...(s.flavor?.original_name ? { instanceType: s.flavor.original_name } : {}),
    ...(failed
      ? {
          failureReason: 'UpdateError',
          failureMessage: s.fault?.message
            ? `server ${s.id} is ${s.status}: ${s.fault.message}`
            : `server ${s.id} is in state ${s.status}`,
        }
      : {}),
    raw: s,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PortOptions {
  region?: string | undefined;
  /** How long a create waits for its volumes to become available before it gives up for this reconcile. */
  volumeWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What `create` made besides the server, for the machine's status (`status.resources`). */
export interface CreatedResources {
  ports: string[];
  volumes: string[];
}

async function orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof OpenStackApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** The Machine UID a port's tags name, if any. */
function uidOfPort(p: NeutronPort): string | undefined {
  return p.tags?.find((t) => t.startsWith(UID_TAG_PREFIX))?.slice(UID_TAG_PREFIX.length);
}

/**
 * The ports of this Machine: those tagged with its UID, and those with the names and networks it resolved that carry
 * no other Machine's tag (a crash between `POST /ports` and tagging leaves one untagged: Neutron without the
 * `tag-ports-during-bulk-creation` extension drops tags from the create).
 */
export async function machinePorts(
  api: OpenStackApi,
  machineUid: string,
  named: Array<{ name: string; networkID: string }> = [],
): Promise<NeutronPort[]> {
  const byId = new Map((await api.listPorts({ tags: uidTag(machineUid) })).map((p) => [p.id, p]));
  for (const n of named) {
    for (const p of await api.listPorts({ name: n.name, network_id: n.networkID })) {
      const owner = uidOfPort(p);
      if (owner === undefined || owner === machineUid) byId.set(p.id, p);
    }
  }
  return [...byId.values()];
}

export function openstackPort(api: OpenStackApi, o: PortOptions = {}): CloudPort<ServerRequest> {
  const wait = o.sleep ?? sleep;
  const mine = (servers: NovaServer[], uid: string) => servers.filter((s) => s.metadata?.[UID_METADATA] === uid);

  async function ensurePorts(r: ServerRequest): Promise<string[]> {
    const ids: string[] = [];
    for (const want of r.ports) {
      // By name and network, as CAPO looks (the tag may be missing after a crash right after the create).
      const same = await api.listPorts({ name: want.name, network_id: want.networkID });
      if (same.length > 1)
        throw new PortConflictError(
          `several ports are named ${want.name} on network ${want.networkID}; delete the extra ones`,
        );
      let port = same[0];
      const owner = port ? uidOfPort(port) : undefined;
      if (port && owner !== undefined && owner !== r.machineUid)
        throw new PortConflictError(
          `port ${port.id} (${want.name}) belongs to another Machine (${owner}); waiting until it is deleted`,
        );
      port ??= await api.createPort(portBody(want));
      // Tags in the create are dropped by a Neutron without `tag-ports-during-bulk-creation`: set them apart.
      const wanted = [...(want.tags ?? [])].sort().join(',');
      if ([...(port.tags ?? [])].sort().join(',') !== wanted) await api.replacePortTags(port.id, want.tags ?? []);
      if (want.trunk) {
        const trunks = await api.listTrunks({ port_id: port.id });
        if (!trunks.length) await api.createTrunk({ name: want.name, port_id: port.id });
      }
      ids.push(port.id);
    }
    return ids;
  }

  async function ensureVolumes(r: ServerRequest): Promise<Record<string, string>> {
    const wanted = [...(r.rootVolume ? [r.rootVolume] : []), ...r.volumes];
    if (!wanted.length) return {};
    const existing = await api.listVolumes({ metadata: { [UID_METADATA]: r.machineUid } });
    const ids: Record<string, string> = {};
    const pending: string[] = [];
    for (const v of wanted) {
      let vol = existing.find((x) => x.name === v.name);
      vol ??= await api.createVolume({
        name: v.name,
        size: v.sizeGiB,
        ...(v.type ? { volume_type: v.type } : {}),
        ...(v.availabilityZone ? { availability_zone: v.availabilityZone } : {}),
        ...(v.imageID ? { imageRef: v.imageID } : {}),
        metadata: { [UID_METADATA]: r.machineUid },
      });
      ids[v.name] = vol.id;
      if (vol.status !== 'available') pending.push(vol.id);
    }
    // CAPO waits for `available` inside the reconcile; here briefly, then the lease is released and a later
    // reconcile finds the volume by name.
    const deadline = Date.now() + (o.volumeWaitMs ?? 10_000);
    for (const id of pending) {
      for (;;) {
        const v = await api.getVolume(id);
        if (v.status === 'available') break;
        if (v.status === 'error')
          throw new OpenStackApiError(
            400,
            'block-storage',
            `volume ${id} is in error`,
            'VolumeError',
            undefined,
            `GET /volumes/${id}`,
          );
        if (Date.now() > deadline) throw new VolumeNotReadyError(id, v.status);
        await wait(500);
      }
    }
    return ids;
  }

  return {
    async find(identity) {
      return mine(await api.listServersNamed(identity.name), identity.machineUid).map((s) =>
        toCloudInstance(s, o.region),
      );
    },
    async get(id) {
      const s = await orUndefined(() => api.getServer(id));
      return s ? toCloudInstance(s, o.region) : undefined;
    },
    async create(r) {
      const ports = await ensurePorts(r);
      const volumeIds = await ensureVolumes(r);
      // No idempotency token in Nova: the server may exist from a create whose answer was lost.
      const [found] = mine(await api.listServersNamed(r.name), r.machineUid);
      if (found) return toCloudInstance(found, o.region);
      const bdm = blockDevices(r, volumeIds);
      const server = {
        ...r.server,
        networks: ports.map((port) => ({ port })),
        ...(bdm ? { block_device_mapping_v2: bdm } : {}),
      };
      const { id } = await api.createServer(server, r.hints);
      const created: CreatedResources = { ports, volumes: Object.values(volumeIds) };
      // What Nova accepted, without another call: BUILD until the next look.
      return {
        ...toCloudInstance(
          { id, name: r.name, status: 'BUILD', metadata: r.server.metadata as Record<string, string> },
          o.region,
        ),
        raw: { capiFnCreated: created },
      };
    },
    async delete(inst) {
      try {
        await api.deleteServer(inst.id);
      } catch (e) {
        if (e instanceof OpenStackApiError && e.status === 404) return;
        throw e;
      }
    },
    async listOwned(scope) {
      const all = await api.listServers();
      return all
        .filter(
          (s) =>
            s.metadata?.[UID_METADATA] && (!scope.clusterName || s.metadata?.[CLUSTER_METADATA] === scope.clusterName),
        )
        .map((s) => toCloudInstance(s, o.region))
        .filter((i) => i.state !== 'gone');
    },
  };
}

/**
 * After the server is gone (reference §1.6): the ports capi-fn made for the Machine (trunks first), and volumes
 * that Nova did not delete with the server. Returns the volumes still attached (to wait for).
 */
export async function releaseLeftovers(
  api: OpenStackApi,
  machineUid: string,
  o: { trunks: boolean; volumes: boolean; ports?: Array<{ name: string; networkID: string }> | undefined },
): Promise<string[]> {
  for (const p of await machinePorts(api, machineUid, o.ports)) {
    if (o.trunks) {
      for (const t of await api.listTrunks({ port_id: p.id })) await orUndefined(() => api.deleteTrunk(t.id));
    }
    await orUndefined(() => api.deletePort(p.id));
  }
  if (!o.volumes) return [];
  const attached: string[] = [];
  for (const v of await api.listVolumes({ metadata: { [UID_METADATA]: machineUid } })) {
    if (v.status === 'in-use' || v.attachments?.length) {
      attached.push(v.id);
      continue;
    }
    await orUndefined(() => api.deleteVolume(v.id));
  }
  return attached;
}
