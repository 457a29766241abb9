// The instances.insert body for one GCPMachine (reference §3.3, CAPG's MachineScope.InstanceSpec), built from
// the spec, the GCPCluster and the references resolved before the call. Pure: the same machine always gives
// the same body. What the spec asks that GCE cannot do is a problem naming the field, and nothing is created.
import type { GCPCluster, GCPMachineSpec } from '../../../shared/api/providers/gcp.ts';
import type { GceInstance } from './client.ts';
import { CLUSTER_LABEL_PREFIX, IDENTITY_LABEL, labelValue, ROLE_LABEL } from './names.ts';

export interface ImageRef {
  project: string;
  /** An image name, or `family/<family>`. */
  image: string;
  /** The field it came from, for messages. */
  field: 'spec.image' | 'spec.imageFamily';
}

/**
 * `spec.image` (a name, `projects/P/global/images/I`, or a full URL) or else `spec.imageFamily` (a family name,
 * `projects/P/global/images/family/F`, or a full URL). CAPG falls back to its own Ubuntu family; capi-fn asks
 * for an image instead (an OpenShift node needs RHCOS).
 */
export function imageRef(spec: GCPMachineSpec, project: string): ImageRef | { problem: string } {
  const parse = (v: string, field: ImageRef['field'], family: boolean): ImageRef | { problem: string } => {
    const path = v.replace(/^https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\//, '');
    const fam = /^projects\/([^/]+)\/global\/images\/family\/([^/]+)$/.exec(path);
    if (fam) return { project: fam[1]!, image: `family/${fam[2]}`, field };
    const img = /^projects\/([^/]+)\/global\/images\/([^/]+)$/.exec(path);
    if (img) return { project: img[1]!, image: img[2]!, field };
    if (/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(path)) return { project, image: family ? `family/${path}` : path, field };
    return { problem: `${field} "${v}" is not an image name, projects/<p>/global/images/<image>, or a full image URL` };
  };
  if (spec.image) return parse(spec.image, 'spec.image', false);
  if (spec.imageFamily) return parse(spec.imageFamily, 'spec.imageFamily', true);
  return {
    problem:
      'neither spec.image nor spec.imageFamily is set; name the RHCOS image (projects/<p>/global/images/<image>)',
  };
}

export interface InsertPlan {
  name: string;
  project: string;
  zone: string;
  spec: GCPMachineSpec;
  cluster: Pick<GCPCluster, 'spec'>;
  clusterName: string;
  machineUid: string;
  role: 'node' | 'control-plane';
  /** The image's selfLink (or partial URL), resolved. */
  sourceImage: string;
  /** `projects/<p>/regions/<r>/subnetworks/<s>` when spec.subnet is set. */
  subnetwork?: string | undefined;
  /** The bootstrap data, verbatim (OpenShift's Ignition). */
  userData: string;
}

export type InsertBody = { ok: true; body: GceInstance } | { ok: false; problems: string[] };

const DISK_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

function encryptionKey(k: GCPMachineSpec['rootDiskEncryptionKey']): Record<string, unknown> | undefined {
  if (!k) return undefined;
  if (k.keyType === 'Managed' && k.managedKey?.kmsKeyName)
    return {
      kmsKeyName: k.managedKey.kmsKeyName,
      ...(k.kmsKeyServiceAccount ? { kmsKeyServiceAccount: k.kmsKeyServiceAccount } : {}),
    };
  if (k.keyType === 'Supplied' && k.suppliedKey?.rawKey) return { rawKey: k.suppliedKey.rawKey };
  if (k.keyType === 'Supplied' && k.suppliedKey?.rsaEncryptedKey)
    return { rsaEncryptedKey: k.suppliedKey.rsaEncryptedKey };
  return undefined;
}

const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;

/** A problem in a GCPMachine spec: the field, what is wrong, and the fix (the webhook's words too). */
export interface SpecProblem {
  field: string;
  rule: string;
  fix: string;
}

/**
 * What Compute Engine would refuse in a GCPMachine spec, found before any call: the webhook refuses it at
 * admission (naming the field), and a machine admitted before this rule existed gets it as a condition.
 * `at` is the path of the spec (`spec` or `spec.template.spec`).
 */
export function specProblems(s: Partial<GCPMachineSpec>, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (s.rootDiskEncryptionKey && !encryptionKey(s.rootDiskEncryptionKey))
    out.push({
      field: `${at}.rootDiskEncryptionKey`,
      rule: 'names no key',
      fix: 'set managedKey.kmsKeyName (keyType Managed), or suppliedKey.rawKey / rsaEncryptedKey (keyType Supplied)',
    });
  if (s.provisioningModel === 'Spot' && s.preemptible)
    out.push({
      field: `${at}.preemptible`,
      rule: 'cannot be set together with provisioningModel: Spot',
      fix: 'keep one: Spot is the newer form of preemptible',
    });
  const gpus = s.guestAccelerators ?? [];
  if (gpus.length && s.onHostMaintenance === 'Migrate')
    out.push({
      field: `${at}.onHostMaintenance`,
      rule: 'Migrate is not possible with guestAccelerators (GPUs cannot live-migrate)',
      fix: 'set onHostMaintenance: Terminate, or leave it unset',
    });
  for (const [i, g] of gpus.entries())
    if (!g.type)
      out.push({
        field: `${at}.guestAccelerators[${i}].type`,
        rule: 'is required',
        fix: 'name the type, e.g. nvidia-tesla-t4',
      });
  for (const [k, v] of Object.entries(s.additionalLabels ?? {})) {
    if (!LABEL_KEY.test(k.toLowerCase()))
      out.push({
        field: `${at}.additionalLabels[${k}]`,
        rule: 'is not a valid GCE label key',
        fix: 'start with a letter; use lowercase letters, digits, - and _ (at most 63)',
      });
    else if (!LABEL_VALUE.test(labelValue(v)))
      out.push({
        field: `${at}.additionalLabels[${k}]`,
        rule: `value "${v}" is not a valid GCE label value`,
        fix: 'use lowercase letters, digits, - and _ (at most 63)',
      });
  }
  return out;
}

export function buildInsertBody(p: InsertPlan): InsertBody {
  const s = p.spec;
  const problems: string[] = [];
  const zoneUrl = `zones/${p.zone}`;
  const netProject = p.cluster.spec?.network?.hostProject ?? p.project;
  const networkName = p.cluster.spec?.network?.name ?? 'default';
  const gpus = s.guestAccelerators ?? [];

  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(p.name))
    problems.push(`the GCPMachine name "${p.name}" is not a valid GCE instance name ([a-z]([-a-z0-9]{0,61}[a-z0-9])?)`);
  for (const v of specProblems(s, 'spec')) problems.push(`${v.field}: ${v.rule}`);
  const spot = s.provisioningModel === 'Spot';
  const userLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(p.cluster.spec?.additionalLabels ?? {}), ...(s.additionalLabels ?? {}) })) {
    const key = k.toLowerCase();
    if (!LABEL_KEY.test(key))
      problems.push(`label key "${k}" (GCPCluster additionalLabels) is not a valid GCE label key`);
    else if (!LABEL_VALUE.test(labelValue(v)))
      problems.push(`label "${k}" (GCPCluster additionalLabels) has an invalid value "${v}"`);
    else userLabels[key] = labelValue(v);
  }
  const clusterLabel = `${CLUSTER_LABEL_PREFIX}${p.clusterName}`;
  if (!/^[a-z][-_a-z0-9]{0,62}$/.test(clusterLabel))
    problems.push(`the cluster name "${p.clusterName}" cannot form the GCE label ${clusterLabel}`);
  if (problems.length) return { ok: false, problems };

  const disks: Array<Record<string, unknown>> = [
    {
      boot: true,
      autoDelete: true,
      initializeParams: {
        sourceImage: p.sourceImage,
        ...(s.rootDeviceSize ? { diskSizeGb: String(s.rootDeviceSize) } : {}),
        diskType: `${zoneUrl}/diskTypes/${s.rootDeviceType ?? 'pd-standard'}`,
        ...(s.resourceManagerTags?.length
          ? {
              resourceManagerTags: Object.fromEntries(
                s.resourceManagerTags.map((t) => [`${t.parentID}/${t.key}`, t.value]),
              ),
            }
          : {}),
      },
      ...(encryptionKey(s.rootDiskEncryptionKey) ? { diskEncryptionKey: encryptionKey(s.rootDiskEncryptionKey) } : {}),
    },
    ...(s.additionalDisks ?? []).map((d) =>
      d.deviceType === 'local-ssd'
        ? {
            type: 'SCRATCH',
            interface: 'NVME',
            autoDelete: true,
            initializeParams: { diskType: `${zoneUrl}/diskTypes/local-ssd`, diskSizeGb: '375' },
          }
        : {
            autoDelete: true,
            initializeParams: {
              diskType: `${zoneUrl}/diskTypes/${d.deviceType ?? 'pd-standard'}`,
              ...(d.size ? { diskSizeGb: String(d.size) } : {}),
            },
            ...(encryptionKey(d.encryptionKey) ? { diskEncryptionKey: encryptionKey(d.encryptionKey) } : {}),
          },
    ),
  ];

  const tags = [...(s.additionalNetworkTags ?? []), `${p.clusterName}-${p.role}`, p.clusterName];
  const body: GceInstance = {
    name: p.name,
    machineType: `${zoneUrl}/machineTypes/${s.instanceType}`,
    canIpForward: s.ipForwarding !== 'Disabled',
    disks,
    networkInterfaces: [
      {
        network: `projects/${netProject}/global/networks/${networkName}`,
        ...(p.subnetwork ? { subnetwork: p.subnetwork } : {}),
        ...(s.publicIP ? { accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] } : {}),
      },
    ],
    serviceAccounts: [
      {
        email: s.serviceAccounts?.email ?? 'default',
        scopes: s.serviceAccounts?.scopes?.length ? s.serviceAccounts.scopes : DISK_SCOPES,
      },
    ],
    metadata: {
      items: [
        ...(s.additionalMetadata ?? []).map((m) => ({
          key: m.key,
          ...(m.value !== undefined ? { value: m.value } : {}),
        })),
        { key: 'user-data', value: p.userData },
      ],
    },
    labels: { ...userLabels, [clusterLabel]: 'owned', [ROLE_LABEL]: p.role, [IDENTITY_LABEL]: p.machineUid },
    tags: { items: [...new Set(tags)] },
    scheduling: {
      ...(s.preemptible ? { preemptible: true } : {}),
      ...(spot ? { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' } : {}),
      // GPUs cannot live-migrate; upstream forces TERMINATE with accelerators.
      onHostMaintenance:
        gpus.length || spot || s.preemptible ? 'TERMINATE' : (s.onHostMaintenance ?? 'Migrate').toUpperCase(),
      automaticRestart: !(spot || s.preemptible),
    },
    ...(s.shieldedInstanceConfig
      ? {
          shieldedInstanceConfig: {
            enableSecureBoot: s.shieldedInstanceConfig.secureBoot === 'Enabled',
            enableVtpm: s.shieldedInstanceConfig.virtualizedTrustedPlatformModule !== 'Disabled',
            enableIntegrityMonitoring: s.shieldedInstanceConfig.integrityMonitoring !== 'Disabled',
          },
        }
      : {}),
    ...(s.confidentialCompute && s.confidentialCompute !== 'Disabled'
      ? {
          confidentialInstanceConfig: {
            enableConfidentialCompute: true,
            ...(s.confidentialCompute === 'Enabled'
              ? {}
              : {
                  confidentialInstanceType: {
                    AMDEncryptedVirtualization: 'SEV',
                    AMDEncryptedVirtualizationNestedPaging: 'SEV_SNP',
                    AMDSecureEncryptedVirtualizationSecureNestedPaging: 'SEV_SNP',
                    IntelTrustedDomainExtensions: 'TDX',
                  }[s.confidentialCompute],
                }),
          },
        }
      : {}),
    ...(gpus.length
      ? {
          guestAccelerators: gpus.map((g) => ({
            acceleratorType: `${zoneUrl}/acceleratorTypes/${g.type}`,
            acceleratorCount: g.count ?? 1,
          })),
        }
      : {}),
    ...(s.resourceManagerTags?.length
      ? {
          params: {
            resourceManagerTags: Object.fromEntries(
              s.resourceManagerTags.map((t) => [`${t.parentID}/${t.key}`, t.value]),
            ),
          },
        }
      : {}),
  };
  return { ok: true, body };
}
