// A Metal3DataTemplate rendered for one claimed host, as CAPM3's Metal3Data controller renders it: the
// metaData map (plus `providerid`) and the OpenStack network_data.json (links, networks, services), from the
// template, the Metal3Data index, the Metal3Machine, its Machine and the BareMetalHost. Pure: a problem is a
// RenderError naming the template field, never a half-rendered Secret.
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import type { LinkMac, Metal3DataTemplateSpec } from '../../../shared/api/providers/metal3-data.ts';
import { hardwareOf } from './hosts.ts';

interface Labelled {
  metadata: { name?: string | undefined; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface RenderInputs {
  template: Metal3DataTemplateSpec;
  index: number;
  namespace: string;
  m3m: Labelled;
  machine: Labelled;
  host: BareMetalHost;
}

export class RenderError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
    this.name = 'RenderError';
  }
}

export interface Rendered {
  metaData?: Record<string, string>;
  networkData?: { links: unknown[]; networks: unknown[]; services: unknown[] };
}

const MAC = /^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$/;

/** The IP-pool sources need metal3's ip-address-manager, which capi-fn does not run (admission refuses them). */
export const POOL_FIELDS = [
  'metaData.ipAddressesFromIPPool',
  'metaData.prefixesFromIPPool',
  'metaData.gatewaysFromIPPool',
  'metaData.dnsServersFromIPPool',
  'networkData.networks.ipv4',
  'networkData.networks.ipv6',
  'networkData.services.dnsFromIPPool',
] as const;

function objectOf(i: RenderInputs, object: string, field: string): Labelled {
  switch (object.toLowerCase()) {
    case 'metal3machine':
      return i.m3m;
    case 'machine':
      return i.machine;
    case 'baremetalhost':
      return i.host as Labelled;
    default:
      throw new RenderError(field, `unknown object "${object}": use metal3machine, machine or baremetalhost`);
  }
}

function nicMac(host: BareMetalHost, name: string, field: string): string {
  const nic = (hardwareOf(host).nics ?? []).find((n) => n.name === name);
  if (!nic?.mac) {
    const names = (hardwareOf(host).nics ?? []).map((n) => n.name).filter(Boolean);
    throw new RenderError(
      field,
      `BareMetalHost ${host.metadata.name} has no NIC "${name}" (${names.length ? `it has ${names.join(', ')}` : 'its hardware details list no NICs'})`,
    );
  }
  return nic.mac;
}

function linkMac(i: RenderInputs, mac: LinkMac, field: string): string {
  let v: string | undefined;
  if (mac.string) v = mac.string;
  else if (mac.fromHostInterface) v = nicMac(i.host, mac.fromHostInterface, `${field}.fromHostInterface`);
  else if (mac.fromAnnotation)
    v = objectOf(i, mac.fromAnnotation.object, `${field}.fromAnnotation.object`).metadata.annotations?.[
      mac.fromAnnotation.annotation
    ];
  if (!v || !MAC.test(v)) throw new RenderError(field, `bad MAC address ${JSON.stringify(v ?? '')}`);
  return v;
}

export function renderMetaData(i: RenderInputs): Record<string, string> | undefined {
  const md = i.template.metaData;
  if (!md) return undefined;
  const out: Record<string, string> = {};
  const f = (k: string, n: number) => `spec.metaData.${k}[${n}]`;
  for (const [n, e] of (md.fromHostInterfaces ?? []).entries()) {
    if (e.fromBootMAC) {
      const boot = i.host.spec?.bootMACAddress;
      if (!boot)
        throw new RenderError(
          f('fromHostInterfaces', n),
          `BareMetalHost ${i.host.metadata.name} has no spec.bootMACAddress`,
        );
      out[e.key] = boot;
    } else out[e.key] = nicMac(i.host, e.interface ?? '', `${f('fromHostInterfaces', n)}.interface`);
  }
  for (const e of md.indexes ?? []) {
    out[e.key] = `${e.prefix ?? ''}${(e.offset ?? 0) + i.index * (e.step || 1)}${e.suffix ?? ''}`;
  }
  for (const e of md.namespaces ?? []) out[e.key] = i.namespace;
  for (const [n, e] of (md.objectNames ?? []).entries())
    out[e.key] = objectOf(i, e.object, `${f('objectNames', n)}.object`).metadata.name ?? '';
  for (const [n, e] of (md.fromLabels ?? []).entries())
    out[e.key] = objectOf(i, e.object, `${f('fromLabels', n)}.object`).metadata.labels?.[e.label] ?? '';
  for (const [n, e] of (md.fromAnnotations ?? []).entries())
    out[e.key] = objectOf(i, e.object, `${f('fromAnnotations', n)}.object`).metadata.annotations?.[e.annotation] ?? '';
  for (const e of md.strings ?? []) out[e.key] = e.value;
  out.providerid = `${i.namespace}/${i.host.metadata.name}/${i.m3m.metadata.name}`;
  return out;
}

export function renderNetworkData(i: RenderInputs): Rendered['networkData'] {
  const nd = i.template.networkData;
  if (!nd) return undefined;
  const links: unknown[] = [];
  const at = 'spec.networkData.links';
  for (const [n, l] of (nd.links?.bonds ?? []).entries()) {
    const entry: Record<string, unknown> = {
      type: 'bond',
      id: l.id,
      mtu: l.mtu ?? 0,
      bond_mode: l.bondMode,
      bond_xmit_hash_policy: l.bondXmitHashPolicy ?? '',
      bond_links: l.bondLinks ?? [],
    };
    if (l.name) entry.name = l.name;
    if (l.macAddress) entry.ethernet_mac_address = linkMac(i, l.macAddress, `${at}.bonds[${n}].macAddress`);
    for (const [k, v] of Object.entries(l.parameters ?? {})) {
      if (`bond_${k}` in entry)
        throw new RenderError(`${at}.bonds[${n}].parameters.${k}`, `bond_${k} is set by the bond's own fields`);
      entry[`bond_${k}`] = v;
    }
    links.push(entry);
  }
  for (const [n, l] of (nd.links?.ethernets ?? []).entries()) {
    const entry: Record<string, unknown> = { type: l.type, id: l.id, mtu: l.mtu ?? 0 };
    if (l.name) entry.name = l.name;
    if (l.macAddress) entry.ethernet_mac_address = linkMac(i, l.macAddress, `${at}.ethernets[${n}].macAddress`);
    links.push(entry);
  }
  for (const [n, l] of (nd.links?.vlans ?? []).entries()) {
    const entry: Record<string, unknown> = {
      type: 'vlan',
      id: l.id,
      mtu: l.mtu ?? 0,
      vlan_link: l.vlanLink,
      vlan_id: l.vlanID,
    };
    if (l.name) entry.name = l.name;
    if (l.macAddress) entry.vlan_mac_address = linkMac(i, l.macAddress, `${at}.vlans[${n}].macAddress`);
    links.push(entry);
  }
  const networks: unknown[] = [];
  const nets = nd.networks ?? {};
  for (const [type, list] of [
    ['ipv4_dhcp', nets.ipv4DHCP],
    ['ipv6_dhcp', nets.ipv6DHCP],
    ['ipv6_slaac', nets.ipv6SLAAC],
  ] as const) {
    for (const net of list ?? []) networks.push({ type, id: net.id, link: net.link, routes: net.routes ?? [] });
  }
  const services = (nd.services?.dns ?? []).map((address) => ({ type: 'dns', address }));
  return { links, networks, services };
}

/** Both documents, or the first RenderError. */
export function renderData(i: RenderInputs): Rendered {
  const metaData = renderMetaData(i);
  const networkData = renderNetworkData(i);
  return { ...(metaData ? { metaData } : {}), ...(networkData ? { networkData } : {}) };
}
