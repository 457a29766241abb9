// The scheduled drift check: every object any handler watches gets a `resync` event (so a missed or
// dead-lettered event can never leave an object unreconciled for longer than one period), and each
// provider's cloud is scanned for instances whose Machine no longer exists.

import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import type { EventBus } from '../../shared/bus/types.ts';
import { newResourceEvent, refOf } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import type { WatchedKind } from '../../shared/runtime/watched-kinds.ts';

/** A provider's view of the instances capi-fn created (identified by the Machine UID they carry). */
export interface OrphanScanner {
  provider: string;
  listOwned(): Promise<Array<{ id: string; machineUid: string; createdAt?: string; description: string }>>;
  terminate?(id: string): Promise<void>;
}

export interface DriftOptions {
  kube: KubeClient;
  bus: Pick<EventBus, 'publish'>;
  kinds: WatchedKind[];
  source: string;
  scanners?: OrphanScanner[];
  log: Logger;
  now?: () => Date;
  /** Instances younger than this are never called orphans (a create may still be recording). */
  orphanGraceMs?: number;
  /** Terminate orphans past the grace period (default: report only). */
  reapOrphans?: boolean;
  batchSize?: number;
}

export interface DriftReport {
  resynced: number;
  missingKinds: string[];
  orphans: Array<{ provider: string; id: string; machineUid: string; description: string; terminated: boolean }>;
}

export async function runDriftCheck(o: DriftOptions): Promise<DriftReport> {
  const report: DriftReport = { resynced: 0, missingKinds: [], orphans: [] };
  const batchSize = o.batchSize ?? 100;
  for (const k of o.kinds) {
    const type = { apiVersion: k.group ? `${k.group}/${k.version}` : k.version, kind: k.kind };
    let items: Awaited<ReturnType<KubeClient['listAll']>>['items'];
    try {
      items = (await o.kube.listAll(type)).items;
    } catch (e) {
      if (isNotFound(e)) {
        report.missingKinds.push(`${k.kind}.${k.group || 'core'}`);
        continue;
      }
      throw e;
    }
    for (let i = 0; i < items.length; i += batchSize) {
      const events = items.slice(i, i + batchSize).map((obj) =>
        newResourceEvent({
          type: 'io.capifn.resource.resync',
          source: o.source,
          ref: refOf(obj),
          ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
        }),
      );
      await o.bus.publish(events);
      report.resynced += events.length;
    }
  }
  if (o.scanners?.length) {
    const machineUids = new Set(
      (await o.kube.listAll({ apiVersion: CAPI_API_VERSION, kind: 'Machine' })).items.map((m) => m.metadata.uid ?? ''),
    );
    const now = (o.now ?? (() => new Date()))().getTime();
    const grace = o.orphanGraceMs ?? 10 * 60_000;
    for (const s of o.scanners) {
      for (const inst of await s.listOwned()) {
        if (machineUids.has(inst.machineUid)) continue;
        if (inst.createdAt && now - Date.parse(inst.createdAt) < grace) continue;
        let terminated = false;
        if (o.reapOrphans && s.terminate) {
          await s.terminate(inst.id);
          terminated = true;
        }
        o.log.warn(
          { provider: s.provider, instance: inst.id, machineUid: inst.machineUid, terminated },
          `orphaned instance: ${inst.description}`,
        );
        report.orphans.push({ provider: s.provider, ...inst, terminated });
      }
    }
  }
  o.log.info(
    { resynced: report.resynced, orphans: report.orphans.length, missingKinds: report.missingKinds },
    'drift check done',
  );
  return report;
}
