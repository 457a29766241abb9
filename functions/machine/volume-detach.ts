// Which attached volumes a deleting Machine waits for (upstream's shouldWaitForNodeVolumes): the Node's
// status.volumesAttached and the VolumeAttachments on it, matched to PersistentVolumes, minus the volumes of pods the
// drain leaves on the Node (DaemonSet, mirror, `cluster.x-k8s.io/drain: skip`) — their volumes never detach, so
// waiting for them would hold the Machine forever. Pure: the listed objects in, what to wait for out.
import type { KubeObject } from '../../shared/api/meta.ts';
import type { Pod } from './drain-plan.ts';

export interface PersistentVolume extends KubeObject {
  spec?: {
    csi?: { driver?: string; volumeHandle?: string };
    claimRef?: { kind?: string; namespace?: string; name?: string };
  };
}

export interface VolumeAttachment extends KubeObject {
  spec?: { nodeName?: string; source?: { persistentVolumeName?: string } };
  status?: { attached?: boolean };
}

export interface VolumeWait {
  /** `namespace/name` of the claims whose volumes are still attached. */
  persistentVolumeClaims: string[];
  persistentVolumesWithoutClaim: string[];
  nodeVolumesWithoutPV: string[];
  attachmentsWithoutPV: string[];
}

/** The claims of the pods the drain skips (`namespace/claim`). */
export function claimsOfPods(pods: Pod[]): Set<string> {
  const out = new Set<string>();
  for (const p of pods)
    for (const v of p.spec?.volumes ?? [])
      if (v.persistentVolumeClaim?.claimName) out.add(`${p.metadata.namespace}/${v.persistentVolumeClaim.claimName}`);
  return out;
}

/** The PersistentVolume names the attachments on this Node hold attached. */
export function attachedPVNames(attachments: VolumeAttachment[], node: string): string[] {
  return attachments
    .filter((a) => a.spec?.nodeName === node && a.status?.attached === true)
    .map((a) => a.spec?.source?.persistentVolumeName)
    .filter((n): n is string => Boolean(n));
}

export function volumesWaitingForDetach(o: {
  nodeVolumeNames: string[];
  attachedPVNames: string[];
  pvs: PersistentVolume[];
  claimsToIgnore: Set<string>;
}): VolumeWait {
  const nodeNames = new Set(o.nodeVolumeNames);
  const pvNames = new Set(o.attachedPVNames);
  const foundNode = new Set<string>();
  const foundPV = new Set<string>();
  const claims = new Set<string>();
  const withoutClaim: string[] = [];
  for (const pv of o.pvs) {
    const name = pv.metadata.name!;
    let found = false;
    const csi = pv.spec?.csi;
    // The name the kubelet reports a CSI volume under in status.volumesAttached.
    const attachedAs =
      csi?.driver && csi.volumeHandle ? `kubernetes.io/csi/${csi.driver}^${csi.volumeHandle}` : undefined;
    if (attachedAs && nodeNames.has(attachedAs)) {
      foundNode.add(attachedAs);
      found = true;
    }
    if (pvNames.has(name)) {
      foundPV.add(name);
      found = true;
    }
    if (!found) continue;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.kind !== 'PersistentVolumeClaim') withoutClaim.push(name);
    else claims.add(`${ref.namespace}/${ref.name}`);
  }
  return {
    persistentVolumeClaims: [...claims].filter((c) => !o.claimsToIgnore.has(c)).sort(),
    persistentVolumesWithoutClaim: withoutClaim.sort(),
    nodeVolumesWithoutPV: [...nodeNames].filter((n) => !foundNode.has(n)).sort(),
    attachmentsWithoutPV: [...pvNames].filter((n) => !foundPV.has(n)).sort(),
  };
}

export function nothingToWaitFor(w: VolumeWait): boolean {
  return (
    w.persistentVolumeClaims.length === 0 &&
    w.persistentVolumesWithoutClaim.length === 0 &&
    w.nodeVolumesWithoutPV.length === 0 &&
    w.attachmentsWithoutPV.length === 0
  );
}

/** Up to five names, then how many more, as upstream lists strings in messages. */
function list(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')}, ... (${names.length - 5} more)` : names.join(', ');
}

/** Upstream's wording of the wait (attachedVolumeInformation.conditionMessage). */
export function volumeWaitMessage(w: VolumeWait, startedAt: string): string {
  const lines = [`Waiting for Node volumes to be detached (started at ${startedAt})`];
  if (w.persistentVolumeClaims.length) lines.push(`* PersistentVolumeClaims: ${list(w.persistentVolumeClaims)}`);
  if (w.persistentVolumesWithoutClaim.length)
    lines.push(
      `* PersistentVolumes without a .spec.claimRef to a PersistentVolumeClaim: ${list(w.persistentVolumesWithoutClaim)}`,
    );
  if (w.nodeVolumesWithoutPV.length)
    lines.push(
      `* Node with .status.volumesAttached entries not matching a PersistentVolume: ${list(w.nodeVolumesWithoutPV)}`,
    );
  if (w.attachmentsWithoutPV.length)
    lines.push(
      `* VolumeAttachment with .spec.source.persistentVolumeName not matching a PersistentVolume: ${list(w.attachmentsWithoutPV)}`,
    );
  return lines.join('\n');
}
