// The create request for one OpenStackMachine (reference §1.2–§1.4, CAPO's server spec), built from the spec, the
// OpenStackCluster and what was resolved before the call (status.resolved). Pure: the same machine always gives
// the same request. What the spec asks that OpenStack would refuse is a problem naming the field.
import type { OpenStackMachineSpec } from '../../../shared/api/providers/openstack.ts';
import { CLUSTER_METADATA, deviceVolumeName, rootVolumeName, UID_METADATA, uidTag } from './names.ts';

/** What CAPO records in `status.resolved` (the schema's ResolvedMachineSpec). */
export interface ResolvedPort {
  name: string;
  description: string;
  networkID: string;
  tags?: string[] | undefined;
  trunk?: boolean | undefined;
  fixedIPs?: Array<{ subnet?: string | undefined; ipAddress?: string | undefined }> | undefined;
  securityGroups?: string[] | undefined;
  adminStateUp?: boolean | undefined;
  macAddress?: string | undefined;
  allowedAddressPairs?: Array<{ ipAddress: string; macAddress?: string | undefined }> | undefined;
  hostID?: string | undefined;
  vnicType?: string | undefined;
  profile?: { ovsHWOffload?: boolean | undefined; trusted?: boolean | undefined } | undefined;
  disablePortSecurity?: boolean | undefined;
  propagateUplinkStatus?: boolean | undefined;
  valueSpecs?: Array<{ name: string; key: string; value: string }> | undefined;
}

export interface ResolvedMachine {
  imageID?: string | undefined;
  flavorID?: string | undefined;
  serverGroupID?: string | undefined;
  ports?: ResolvedPort[] | undefined;
}

export interface VolumeRequest {
  name: string;
  sizeGiB: number;
  type?: string | undefined;
  availabilityZone?: string | undefined;
  /** The root volume is made from the image. */
  imageID?: string | undefined;
  /** Additional devices carry Nova's device tag. */
  tag?: string | undefined;
}

/** Everything `port.create` needs: ports, volumes, then the server (in that order). */
export interface ServerRequest {
  name: string;
  machineUid: string;
  ports: ResolvedPort[];
  volumes: VolumeRequest[];
  rootVolume?: VolumeRequest | undefined;
  /** The `POST /servers` body, without `networks` and the volume mappings (filled in with their IDs). */
  server: Record<string, unknown>;
  /** Blank local devices (`Local` additional block devices). */
  localDevices: Array<{ name: string; sizeGiB: number }>;
  hints: Record<string, unknown>;
}

export interface SpecProblem {
  field: string;
  rule: string;
  fix: string;
}

const RESERVED_METADATA = new Set([UID_METADATA, CLUSTER_METADATA]);
/** Nova's user_data limit, once base64-encoded (reference §1.4). */
export const USER_DATA_MAX = 65535;

/** What OpenStack (or capi-fn's identity scheme) would refuse in a spec, naming the field. */
export function specProblems(spec: Partial<OpenStackMachineSpec>, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (!spec.flavor && !spec.flavorID)
    out.push({ field: `${at}.flavor`, rule: 'a server needs a flavor', fix: 'set flavor (a name) or flavorID' });
  if (spec.flavor && spec.flavorID)
    out.push({ field: `${at}.flavorID`, rule: 'flavor and flavorID are exclusive', fix: 'set only one of them' });
  for (const [i, t] of (spec.tags ?? []).entries()) {
    if (t.length > 60 || t.includes(',') || t.includes('/'))
      out.push({
        field: `${at}.tags[${i}]`,
        rule: `Nova refuses tag "${t}" (at most 60 characters, no "," or "/")`,
        fix: 'shorten the tag or remove the character',
      });
  }
  const md = spec.serverMetadata ?? [];
  if (md.length > 126)
    out.push({
      field: `${at}.serverMetadata`,
      rule: 'Nova allows 128 metadata items and capi-fn uses 2',
      fix: 'keep at most 126 items',
    });
  for (const [i, m] of md.entries()) {
    if (RESERVED_METADATA.has(m.key))
      out.push({
        field: `${at}.serverMetadata[${i}].key`,
        rule: `"${m.key}" is capi-fn's identity marker`,
        fix: 'use another key',
      });
  }
  const seenSuffix = new Set<string>();
  for (const [i, p] of (spec.ports ?? []).entries()) {
    if (p.nameSuffix !== undefined) {
      if (seenSuffix.has(p.nameSuffix))
        out.push({
          field: `${at}.ports[${i}].nameSuffix`,
          rule: `nameSuffix "${p.nameSuffix}" is used twice`,
          fix: 'give every port its own nameSuffix',
        });
      if (/^\d+$/.test(p.nameSuffix))
        out.push({
          field: `${at}.ports[${i}].nameSuffix`,
          rule: 'a numeric nameSuffix collides with the index-named ports',
          fix: 'use a non-numeric suffix',
        });
      seenSuffix.add(p.nameSuffix);
    }
    if (p.disablePortSecurity && p.securityGroups?.length)
      out.push({
        field: `${at}.ports[${i}].securityGroups`,
        rule: 'Neutron refuses security groups on a port without port security',
        fix: 'remove securityGroups or disablePortSecurity',
      });
  }
  const devices = new Set<string>();
  for (const [i, d] of (spec.additionalBlockDevices ?? []).entries()) {
    if (d.name === 'root')
      out.push({
        field: `${at}.additionalBlockDevices[${i}].name`,
        rule: '"root" is the root volume’s name',
        fix: 'pick another name',
      });
    if (devices.has(d.name))
      out.push({
        field: `${at}.additionalBlockDevices[${i}].name`,
        rule: `device name "${d.name}" is used twice`,
        fix: 'give every device its own name',
      });
    devices.add(d.name);
    if (d.storage.type === 'Local' && d.storage.volume)
      out.push({
        field: `${at}.additionalBlockDevices[${i}].storage.volume`,
        rule: 'a Local device has no volume settings',
        fix: 'remove storage.volume or use type Volume',
      });
  }
  if (spec.rootVolume?.availabilityZone?.from === 'Name' && !spec.rootVolume.availabilityZone.name)
    out.push({
      field: `${at}.rootVolume.availabilityZone.name`,
      rule: 'from: Name needs a name',
      fix: 'set name, or from: Machine',
    });
  return out;
}

export interface BuildInput {
  name: string;
  spec: OpenStackMachineSpec;
  resolved: Required<Pick<ResolvedMachine, 'imageID' | 'flavorID'>> & ResolvedMachine;
  machineUid: string;
  clusterName: string;
  /** The Machine's failure domain (a Nova availability zone). */
  availabilityZone?: string | undefined;
  /** OpenStackCluster.spec.tags (OpenShift: openshiftClusterID=<infraName>). */
  clusterTags: string[];
  /** The bootstrap data, raw bytes. */
  userData: Buffer;
}

export type Built = { ok: true; request: ServerRequest } | { ok: false; problems: string[] };

function volumeAz(
  v: { availabilityZone?: { from?: string | undefined; name?: string | undefined } | undefined },
  machineAz: string | undefined,
) {
  // CAPO: default (and from: Machine) is the machine's zone; from: Name names one.
  if (v.availabilityZone?.from === 'Name') return v.availabilityZone.name;
  return machineAz;
}

/** The server tags: the machine's, then the cluster's, deduplicated (CAPO). */
export function serverTags(spec: Pick<OpenStackMachineSpec, 'tags'>, clusterTags: string[]): string[] {
  return [...new Set([...(spec.tags ?? []), ...clusterTags])];
}

export function buildServerRequest(i: BuildInput): Built {
  const problems: string[] = [];
  const userData = i.userData.toString('base64');
  if (userData.length > USER_DATA_MAX)
    problems.push(`the bootstrap data is ${userData.length} bytes once base64-encoded; Nova allows ${USER_DATA_MAX}`);
  const tags = serverTags(i.spec, i.clusterTags);
  const metadata: Record<string, string> = {};
  for (const m of i.spec.serverMetadata ?? []) metadata[m.key] = m.value;
  metadata[UID_METADATA] = i.machineUid;
  metadata[CLUSTER_METADATA] = i.clusterName;
  const ports = (i.resolved.ports ?? []).map((p) => ({
    ...p,
    tags: [...new Set([...tags, ...(p.tags ?? []), uidTag(i.machineUid)])],
  }));
  if (!ports.length) problems.push('no ports: set spec.ports, or give the OpenStackCluster a network (spec.network)');
  const rootVolume: VolumeRequest | undefined = i.spec.rootVolume
    ? {
        name: rootVolumeName(i.name),
        sizeGiB: i.spec.rootVolume.sizeGiB,
        type: i.spec.rootVolume.type,
        availabilityZone: volumeAz(i.spec.rootVolume, i.availabilityZone),
        imageID: i.resolved.imageID,
      }
    : undefined;
  const volumes: VolumeRequest[] = [];
  const localDevices: Array<{ name: string; sizeGiB: number }> = [];
  for (const d of i.spec.additionalBlockDevices ?? []) {
    if (d.storage.type === 'Local') localDevices.push({ name: d.name, sizeGiB: d.sizeGiB });
    else
      volumes.push({
        name: deviceVolumeName(i.name, d.name),
        sizeGiB: d.sizeGiB,
        type: d.storage.volume?.type,
        availabilityZone: volumeAz(d.storage.volume ?? {}, i.availabilityZone),
        tag: d.name,
      });
  }
  const server: Record<string, unknown> = {
    name: i.name,
    flavorRef: i.resolved.flavorID,
    ...(rootVolume ? {} : { imageRef: i.resolved.imageID }),
    ...(i.availabilityZone ? { availability_zone: i.availabilityZone } : {}),
    user_data: userData,
    metadata,
    ...(tags.length ? { tags } : {}),
    ...(i.spec.configDrive !== undefined ? { config_drive: i.spec.configDrive } : {}),
    ...(i.spec.sshKeyName ? { key_name: i.spec.sshKeyName } : {}),
  };
  const hints: Record<string, unknown> = {};
  if (i.resolved.serverGroupID) hints.group = i.resolved.serverGroupID;
  for (const h of i.spec.schedulerHintAdditionalProperties ?? []) {
    hints[h.name] =
      h.value.type === 'Bool' ? h.value.bool : h.value.type === 'Number' ? h.value.number : h.value.string;
  }
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    request: { name: i.name, machineUid: i.machineUid, ports, volumes, rootVolume, server, localDevices, hints },
  };
}

/** The Neutron `POST /ports` body for one resolved port (reference §1.3). */
export function portBody(p: ResolvedPort): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: p.name,
    network_id: p.networkID,
    description: p.description,
    tags: p.tags ?? [],
  };
  if (p.fixedIPs?.length)
    body.fixed_ips = p.fixedIPs.map((f) => ({
      ...(f.subnet ? { subnet_id: f.subnet } : {}),
      ...(f.ipAddress ? { ip_address: f.ipAddress } : {}),
    }));
  if (p.disablePortSecurity) body.port_security_enabled = false;
  else if (p.securityGroups?.length) body.security_groups = p.securityGroups;
  if (p.adminStateUp !== undefined) body.admin_state_up = p.adminStateUp;
  if (p.macAddress) body.mac_address = p.macAddress;
  if (p.allowedAddressPairs?.length)
    body.allowed_address_pairs = p.allowedAddressPairs.map((a) => ({
      ip_address: a.ipAddress,
      ...(a.macAddress ? { mac_address: a.macAddress } : {}),
    }));
  if (p.hostID) body['binding:host_id'] = p.hostID;
  if (p.vnicType) body['binding:vnic_type'] = p.vnicType;
  if (p.profile && (p.profile.ovsHWOffload || p.profile.trusted))
    body['binding:profile'] = {
      ...(p.profile.ovsHWOffload ? { capabilities: ['switchdev'] } : {}),
      ...(p.profile.trusted ? { trusted: true } : {}),
    };
  if (p.propagateUplinkStatus !== undefined) body.propagate_uplink_status = p.propagateUplinkStatus;
  for (const v of p.valueSpecs ?? []) body[v.key] = v.value;
  return body;
}

/** Nova's `block_device_mapping_v2` with the volume IDs made for this machine (reference §1.4). */
export function blockDevices(
  r: ServerRequest,
  volumeIds: Record<string, string>,
): Array<Record<string, unknown>> | undefined {
  const out: Array<Record<string, unknown>> = [];
  if (r.rootVolume) {
    out.push({
      source_type: 'volume',
      destination_type: 'volume',
      uuid: volumeIds[r.rootVolume.name],
      boot_index: 0,
      delete_on_termination: true,
    });
  } else if (r.volumes.length || r.localDevices.length) {
    out.push({
      source_type: 'image',
      destination_type: 'local',
      uuid: r.server.imageRef,
      boot_index: 0,
      delete_on_termination: true,
    });
  }
  for (const v of r.volumes)
    out.push({
      source_type: 'volume',
      destination_type: 'volume',
      uuid: volumeIds[v.name],
      boot_index: -1,
      delete_on_termination: true,
      tag: v.tag,
    });
  for (const d of r.localDevices)
    out.push({
      source_type: 'blank',
      destination_type: 'local',
      volume_size: d.sizeGiB,
      boot_index: -1,
      delete_on_termination: true,
      tag: d.name,
    });
  return out.length ? out : undefined;
}
