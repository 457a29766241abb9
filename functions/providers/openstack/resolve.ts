// Resolve once, then act (reference §1.3, CAPO's `status.resolved`): the image, flavor, server group, networks,
// subnets and security groups a machine names by filter become IDs before anything is created; a filter that
// matches nothing, or several things, is a problem naming the field. IDs are taken as given (CAPO does not look
// them up), so only filters cost calls.
import type { OpenStackCluster, OpenStackMachineSpec } from '../../../shared/api/providers/openstack.ts';
import type { NeutronResource, OpenStackApi } from './api.ts';
import { portDescription, portName } from './names.ts';
import type { ResolvedMachine, ResolvedPort } from './request.ts';

export type Resolution =
  | { ok: true; resolved: Required<Pick<ResolvedMachine, 'imageID' | 'flavorID'>> & ResolvedMachine }
  | { ok: false; reason: string; message: string };

interface NeutronFilter {
  name?: string | undefined;
  description?: string | undefined;
  projectID?: string | undefined;
  tags?: string[] | undefined;
  tagsAny?: string[] | undefined;
  notTags?: string[] | undefined;
  notTagsAny?: string[] | undefined;
  [k: string]: unknown;
}

/** A CAPO filter as Neutron query parameters. */
export function neutronQuery(f: NeutronFilter): Record<string, string | string[]> {
  const q: Record<string, string | string[]> = {};
  if (f.name) q.name = f.name;
  if (f.description) q.description = f.description;
  if (f.projectID) q.project_id = f.projectID;
  if (f.tags?.length) q.tags = f.tags.join(',');
  if (f.tagsAny?.length) q['tags-any'] = f.tagsAny.join(',');
  if (f.notTags?.length) q['not-tags'] = f.notTags.join(',');
  if (f.notTagsAny?.length) q['not-tags-any'] = f.notTagsAny.join(',');
  if (typeof f.ipVersion === 'number') q.ip_version = String(f.ipVersion);
  if (typeof f.cidr === 'string') q.cidr = f.cidr;
  if (typeof f.gatewayIP === 'string') q.gateway_ip = f.gatewayIP;
  return q;
}

class Unresolved extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

function exactlyOne<T extends { id: string }>(
  items: T[],
  what: string,
  field: string,
  reason: string,
  describe: string,
): string {
  if (items.length === 1) return items[0]!.id;
  if (!items.length) throw new Unresolved(reason, `${field}: no ${what} matches ${describe}`);
  throw new Unresolved(
    reason,
    `${field}: ${items.length} ${what}s match ${describe} (${items.map((i) => i.id).join(', ')}); make the filter match one`,
  );
}

export interface ResolveInput {
  api: OpenStackApi;
  name: string;
  namespace: string;
  clusterName: string;
  spec: OpenStackMachineSpec;
  cluster: Pick<OpenStackCluster, 'spec' | 'status'> | undefined;
  /** The spec path the spec sits at, for messages (`spec`). */
  at?: string;
}

export async function resolveMachine(i: ResolveInput): Promise<Resolution> {
  const at = i.at ?? 'spec';
  const { api, spec } = i;
  try {
    // Image: an ID as is; a filter (name, tags) must match exactly one image.
    let imageID: string;
    if (spec.image.id) imageID = spec.image.id;
    else if (spec.image.filter) {
      const f = spec.image.filter;
      const images = await api.listImages({ name: f.name, tags: f.tags });
      imageID = exactlyOne(images, 'image', `${at}.image.filter`, 'ImageNotFound', JSON.stringify(f));
    } else
      throw new Unresolved(
        'ImageNotFound',
        `${at}.image.imageRef (an ORC Image) is not supported by capi-fn; use image.id or image.filter`,
      );

    // Flavor: an ID as is; a name → the first flavor of that exact name.
    let flavorID: string;
    if (spec.flavorID) flavorID = spec.flavorID;
    else {
      const flavors = await api.listFlavors();
      const f = flavors.find((x) => x.name === spec.flavor);
      if (!f) throw new Unresolved('FlavorNotFound', `${at}.flavor: no flavor is named "${spec.flavor ?? ''}"`);
      flavorID = f.id;
    }

    let serverGroupID: string | undefined;
    if (spec.serverGroup?.id) serverGroupID = spec.serverGroup.id;
    else if (spec.serverGroup?.filter?.name) {
      const groups = (await api.listServerGroups()).filter((g) => g.name === spec.serverGroup!.filter!.name);
      serverGroupID = exactlyOne(
        groups,
        'server group',
        `${at}.serverGroup.filter`,
        'ServerGroupNotFound',
        JSON.stringify(spec.serverGroup.filter),
      );
    }

    const ports = await resolvePorts(i, at);
    // A trunk needs Neutron's trunk extension (CAPO checks it before any port is made).
    const trunked = ports.findIndex((p) => p.trunk);
    if (trunked >= 0 && !(await api.listExtensions()).includes('trunk'))
      throw new Unresolved(
        'TrunkNotSupported',
        `${spec.ports?.length ? `${at}.ports[${trunked}].trunk` : `${at}.trunk`}: the network service has no trunk extension`,
      );
    return { ok: true, resolved: { imageID, flavorID, ...(serverGroupID ? { serverGroupID } : {}), ports } };
  } catch (e) {
    if (e instanceof Unresolved) return { ok: false, reason: e.reason, message: e.message };
    throw e;
  }
}

async function resolvePorts(i: ResolveInput, at: string): Promise<ResolvedPort[]> {
  const { api, spec, cluster } = i;
  const clusterNetwork = cluster?.status?.network?.id ?? cluster?.spec?.network?.id;
  const opts = spec.ports?.length ? spec.ports : undefined;
  const description = portDescription(i.namespace, i.clusterName);
  const sgCache = new Map<string, string>();
  const resolveGroups = async (
    groups: NonNullable<OpenStackMachineSpec['securityGroups']>,
    field: string,
  ): Promise<string[]> => {
    const ids: string[] = [];
    for (const [k, g] of groups.entries()) {
      if (g.id) ids.push(g.id);
      else if (g.filter) {
        const key = JSON.stringify(g.filter);
        let id = sgCache.get(key);
        if (!id) {
          const found = await api.listSecurityGroups(neutronQuery(g.filter));
          id = exactlyOne(found, 'security group', `${field}[${k}].filter`, 'SecurityGroupNotFound', key);
          sgCache.set(key, id);
        }
        ids.push(id);
      }
    }
    return ids;
  };
  const machineGroups = await resolveGroups(spec.securityGroups ?? [], `${at}.securityGroups`);

  if (!opts) {
    if (!clusterNetwork)
      throw new Unresolved(
        'InvalidMachineSpec',
        `${at}.ports is empty and the OpenStackCluster names no network (spec.network, status.network); declare ports`,
      );
    const subnets = cluster?.status?.network?.subnets?.map((s) => ({ subnet: s.id })) ?? [];
    return [
      {
        name: portName(i.name, 0),
        description,
        networkID: clusterNetwork,
        ...(subnets.length ? { fixedIPs: subnets } : {}),
        ...(machineGroups.length ? { securityGroups: machineGroups } : {}),
        ...(spec.trunk ? { trunk: true } : {}),
      },
    ];
  }

  const out: ResolvedPort[] = [];
  for (const [k, p] of opts.entries()) {
    const field = `${at}.ports[${k}]`;
    let networkID: string | undefined;
    if (p.network?.id) networkID = p.network.id;
    else if (p.network?.filter) {
      const nets: NeutronResource[] = await api.listNetworks(neutronQuery(p.network.filter));
      networkID = exactlyOne(
        nets,
        'network',
        `${field}.network.filter`,
        'NetworkNotFound',
        JSON.stringify(p.network.filter),
      );
    } else networkID = clusterNetwork;
    const fixedIPs: NonNullable<ResolvedPort['fixedIPs']> = [];
    for (const [j, f] of (p.fixedIPs ?? []).entries()) {
      let subnet: string | undefined;
      if (f.subnet?.id) subnet = f.subnet.id;
      else if (f.subnet?.filter) {
        const subs = await api.listSubnets({
          ...neutronQuery(f.subnet.filter),
          ...(networkID ? { network_id: networkID } : {}),
        });
        const found = subs.length === 1 ? subs[0]! : undefined;
        subnet = exactlyOne(
          subs,
          'subnet',
          `${field}.fixedIPs[${j}].subnet.filter`,
          'SubnetNotFound',
          JSON.stringify(f.subnet.filter),
        );
        networkID ??= found?.network_id;
      }
      fixedIPs.push({ ...(subnet ? { subnet } : {}), ...(f.ipAddress ? { ipAddress: f.ipAddress } : {}) });
    }
    if (!networkID)
      throw new Unresolved(
        'NetworkNotFound',
        `${field}.network is not set and the OpenStackCluster names no network; set network.id or network.filter`,
      );
    const own = await resolveGroups(p.securityGroups ?? [], `${field}.securityGroups`);
    const groups = p.disablePortSecurity ? [] : [...new Set([...own, ...machineGroups])];
    out.push({
      name: portName(i.name, k, p.nameSuffix),
      description: p.description ?? description,
      networkID,
      ...(p.tags?.length ? { tags: p.tags } : {}),
      ...((p.trunk ?? spec.trunk) ? { trunk: true } : {}),
      ...(fixedIPs.length ? { fixedIPs } : {}),
      ...(groups.length ? { securityGroups: groups } : {}),
      ...(p.adminStateUp !== undefined ? { adminStateUp: p.adminStateUp } : {}),
      ...(p.macAddress ? { macAddress: p.macAddress } : {}),
      ...(p.allowedAddressPairs?.length ? { allowedAddressPairs: p.allowedAddressPairs } : {}),
      ...(p.hostID ? { hostID: p.hostID } : {}),
      ...(p.vnicType ? { vnicType: p.vnicType } : {}),
      ...(p.profile ? { profile: p.profile } : {}),
      ...(p.disablePortSecurity !== undefined ? { disablePortSecurity: p.disablePortSecurity } : {}),
      ...(p.propagateUplinkStatus !== undefined ? { propagateUplinkStatus: p.propagateUplinkStatus } : {}),
      ...(p.valueSpecs?.length ? { valueSpecs: p.valueSpecs } : {}),
    });
  }
  return out;
}
