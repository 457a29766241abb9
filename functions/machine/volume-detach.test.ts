// The volume-detach wait as upstream decides it: attached volumes matched to PersistentVolumes, the claims of pods
// the drain leaves on the Node ignored, unmatched entries reported rather than silently waited on.
import { describe, expect, it } from 'vitest';
import type { Pod } from './drain-plan.ts';
import {
  attachedPVNames,
  claimsOfPods,
  nothingToWaitFor,
  type PersistentVolume,
  volumesWaitingForDetach,
  volumeWaitMessage,
} from './volume-detach.ts';

const pv = (name: string, handle: string, claim?: string): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    csi: { driver: 'ebs.csi.aws.com', volumeHandle: handle },
    ...(claim ? { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'apps', name: claim } } : {}),
  },
});
const attachedAs = (handle: string) => `kubernetes.io/csi/ebs.csi.aws.com^${handle}`;
const podWith = (name: string, claim: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps' },
  spec: { nodeName: 'n1', volumes: [{ persistentVolumeClaim: { claimName: claim } }, {}] },
});

describe('volumesWaitingForDetach', () => {
  const pvs = [pv('pv-data', 'vol-1', 'data'), pv('pv-logs', 'vol-2', 'logs'), pv('pv-other', 'vol-9', 'other')];

  it('waits for the claims of evicted pods, not of pods the drain skipped', () => {
    const wait = volumesWaitingForDetach({
      nodeVolumeNames: [attachedAs('vol-1'), attachedAs('vol-2')],
      attachedPVNames: [],
      pvs,
      claimsToIgnore: claimsOfPods([podWith('agent', 'logs')]),
    });
    expect(wait.persistentVolumeClaims).toEqual(['apps/data']);
    expect(nothingToWaitFor(wait)).toBe(false);
    expect(volumeWaitMessage(wait, '2026-12-04T00:00:00Z')).toBe(
      'Waiting for Node volumes to be detached (started at 2026-12-04T00:00:00Z)\n* PersistentVolumeClaims: apps/data',
    );
  });

  it('has nothing to wait for when only skipped pods’ volumes remain', () => {
    const wait = volumesWaitingForDetach({
      nodeVolumeNames: [attachedAs('vol-2')],
      attachedPVNames: ['pv-logs'],
      pvs,
      claimsToIgnore: new Set(['apps/logs']),
    });
    expect(nothingToWaitFor(wait)).toBe(true);
  });

  it('reports attached names and attachments that match no PersistentVolume, and volumes without a claim', () => {
    const wait = volumesWaitingForDetach({
      nodeVolumeNames: ['kubernetes.io/aws-ebs/vol-legacy'],
      attachedPVNames: ['pv-gone', 'pv-static'],
      pvs: [{ ...pv('pv-static', 'vol-5'), spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-5' } } }],
      claimsToIgnore: new Set(),
    });
    expect(wait).toEqual({
      persistentVolumeClaims: [],
      persistentVolumesWithoutClaim: ['pv-static'],
      nodeVolumesWithoutPV: ['kubernetes.io/aws-ebs/vol-legacy'],
      attachmentsWithoutPV: ['pv-gone'],
    });
    expect(volumeWaitMessage(wait, 't').split('\n').slice(1)).toEqual([
      '* PersistentVolumes without a .spec.claimRef to a PersistentVolumeClaim: pv-static',
      '* Node with .status.volumesAttached entries not matching a PersistentVolume: kubernetes.io/aws-ebs/vol-legacy',
      '* VolumeAttachment with .spec.source.persistentVolumeName not matching a PersistentVolume: pv-gone',
    ]);
  });

  it('counts only attachments on this Node that are attached', () => {
    const va = (name: string, node: string, attached: boolean) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name },
      spec: { nodeName: node, source: { persistentVolumeName: name } },
      status: { attached },
    });
    expect(attachedPVNames([va('a', 'n1', true), va('b', 'n1', false), va('c', 'n2', true)], 'n1')).toEqual(['a']);
  });
});
