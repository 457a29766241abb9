// The Metal3 provider's admission rules: what capi-fn cannot do or CAPM3's own webhook refuses is refused at
// admission, naming the field — a dataTemplate that is not a Metal3DataTemplate, an image without a URL or
// checksum when no customDeploy is set, a hostSelector operator no label selector knows (it would match no
// host, silently), a template that names one host (providerID is set by capi-fn after the claim), and in a
// Metal3DataTemplate the IP-pool sources (they need metal3's ip-address-manager, which capi-fn does not run)
// and values that could never render (an unknown object, a malformed MAC).

import { recordedIsImmutable, templateNamesNoInstance, templateSpecOf } from '../kit/admission.ts';
import type { ProviderRuleInput, ProviderViolation } from '../kit/module.ts';
import { rec, str } from '../kit/plan.ts';
import { POOL_FIELDS } from './data-render.ts';

/** The operators CAPM3 lower-cases and hands to a label selector. */
export const HOST_SELECTOR_OPERATORS = ['in', 'notin', 'exists', '!', 'doesnotexist', '=', '==', '!=', 'gt', 'lt'];

function specRules(spec: Record<string, unknown> | undefined, at: string): ProviderViolation[] {
  const out: ProviderViolation[] = [];
  const dt = rec(spec?.dataTemplate);
  if (dt && !str(dt.name))
    out.push({
      field: `${at}.dataTemplate.name`,
      type: 'Required',
      rule: 'a dataTemplate names its Metal3DataTemplate',
      fix: `set ${at}.dataTemplate.name, or remove ${at}.dataTemplate`,
    });
  if (dt && str(dt.kind) && dt.kind !== 'Metal3DataTemplate')
    out.push({
      field: `${at}.dataTemplate.kind`,
      type: 'Unsupported',
      rule: `"${String(dt.kind)}" is not a Metal3DataTemplate`,
      fix: `set ${at}.dataTemplate.kind to Metal3DataTemplate or leave it out`,
    });
  const image = rec(spec?.image);
  if (!str(rec(spec?.customDeploy)?.method)) {
    if (!str(image?.url))
      out.push({
        field: `${at}.image.url`,
        type: 'Required',
        rule: 'an image URL is required when customDeploy.method is not set',
        fix: `set ${at}.customDeploy.method (install_coreos on OpenShift) or ${at}.image.url and checksum`,
      });
    else if (!str(image?.checksum) && image?.format !== 'live-iso')
      out.push({
        field: `${at}.image.checksum`,
        type: 'Required',
        rule: 'an image checksum is required (except for format live-iso)',
        fix: `set ${at}.image.checksum (a URL or the hash) and checksumType`,
      });
  }
  const exprs = rec(spec?.hostSelector)?.matchExpressions;
  for (const [i, e] of (Array.isArray(exprs) ? exprs : []).entries()) {
    const op = str(rec(e)?.operator) ?? '';
    if (!HOST_SELECTOR_OPERATORS.includes(op.toLowerCase()))
      out.push({
        field: `${at}.hostSelector.matchExpressions[${i}].operator`,
        type: 'Unsupported',
        rule: `"${op}" is not a label-selector operator, so it would match no host`,
        fix: `use one of ${HOST_SELECTOR_OPERATORS.join(', ')}`,
      });
  }
  return out;
}

export function metal3MachineTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = templateSpecOf(i);
  return [
    ...templateNamesNoInstance(spec, ['providerID'], {
      noun: 'host',
      how: 'after the claim',
      fix: 'choose hosts with hostSelector',
    }),
    ...specRules(spec, 'spec.template.spec'),
  ];
}

export function metal3MachineRules(i: ProviderRuleInput): ProviderViolation[] {
  return [
    ...recordedIsImmutable(i, 'providerID', { noun: 'host', fix: 'delete the Machine to move it to another host' }),
    ...specRules(rec(i.object.spec), 'spec'),
  ];
}

const OBJECTS = ['metal3machine', 'machine', 'baremetalhost'];
const MAC = /^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$/;

function at(o: Record<string, unknown> | undefined, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = rec(v)?.[k];
  return v;
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map((x) => rec(x) ?? {}) : [];
}

export function metal3DataTemplateRules(i: ProviderRuleInput): ProviderViolation[] {
  const spec = rec(i.object.spec);
  const out: ProviderViolation[] = [];
  for (const f of POOL_FIELDS) {
    const v = at(spec, f);
    if (v !== undefined && !(Array.isArray(v) && v.length === 0))
      out.push({
        field: `spec.${f}`,
        type: 'Forbidden',
        rule: "IP pools need metal3's ip-address-manager, which capi-fn does not run",
        fix: 'use networkData.networks.ipv4DHCP / ipv6DHCP, or give the Metal3Machine a rendered networkData Secret',
      });
  }
  const md = rec(spec?.metaData);
  for (const key of ['objectNames', 'fromLabels', 'fromAnnotations'])
    for (const [n, e] of list(md?.[key]).entries()) {
      const o = str(e.object) ?? '';
      if (!OBJECTS.includes(o.toLowerCase()))
        out.push({
          field: `spec.metaData.${key}[${n}].object`,
          type: 'Unsupported',
          rule: `"${o}" is not an object a Metal3Machine's data can be read from`,
          fix: `use one of ${OBJECTS.join(', ')}`,
        });
    }
  for (const [n, e] of list(md?.fromHostInterfaces).entries())
    if (!e.fromBootMAC && !str(e.interface))
      out.push({
        field: `spec.metaData.fromHostInterfaces[${n}].interface`,
        type: 'Required',
        rule: 'a host interface entry names the NIC (or sets fromBootMAC)',
        fix: 'set interface to a NIC name of the host status.hardware.nics, or fromBootMAC: true',
      });
  const links = rec(at(spec, 'networkData.links'));
  for (const kind of ['ethernets', 'bonds', 'vlans'])
    for (const [n, l] of list(links?.[kind]).entries()) {
      const mac = str(rec(l.macAddress)?.string);
      if (mac !== undefined && !MAC.test(mac))
        out.push({
          field: `spec.networkData.links.${kind}[${n}].macAddress.string`,
          type: 'Invalid',
          rule: `"${mac}" is not a MAC address`,
          fix: 'write six hex pairs separated by : or -, or use fromHostInterface',
        });
    }
  return out;
}
