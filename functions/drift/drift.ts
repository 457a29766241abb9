// The scheduled drift check: every object any handler watches gets a `resync` event (so a missed or
// dead-lettered event can never leave an object unreconciled for longer than one period), and each
// provider's cloud is scanned for instances whose Machine no longer exists.

import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import type { EventBus } from '../../shared/bus/types.ts';
import { newResourceEvent, refOf } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent } from '../../shared/kube/events.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import type { WatchedKind } from '../../shared/runtime/watched-kinds.ts';
import type { OrphanScanner } from '../providers/kit/orphans.ts';

export type { OrphanScanner };

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
  /** Delete orphans past the grace period (default: report only). */
  reapOrphans?: boolean;
  batchSize?: number;
}

export interface DriftReport {
  resynced: number;
  missingKinds: string[];
  orphans: Array<{
    provider: string;
    cluster: string;
    id: string;
    machineUid: string;
    description: string;
    terminated: boolean;
  }>;
  /** Orphans younger than the grace period, left for the next check (a create may still be recording). */
  orphansInGrace: number;
  /** Scanners that failed (a cloud unreachable): the next check tries again. */
  scanErrors: Array<{ provider: string; cluster: string; error: string }>;
}

/**
 * Instances that carry capi-fn's markers for a cluster but whose Machine no longer exists. Reported (logged, counted,
 * and an Event on the Cluster); deleted only when asked, only past the grace period, and only those the scanner
 * listed as carrying the cluster's ownership marker.
 */
async function scanOrphans(o: DriftOptions, report: DriftReport): Promise<void> {
  const machineUids = new Set(
    (await o.kube.listAll({ apiVersion: CAPI_API_VERSION, kind: 'Machine' })).items.map((m) => m.metadata.uid ?? ''),
  );
  const now = (o.now ?? (() => new Date()))();
  const grace = o.orphanGraceMs ?? 10 * 60_000;
  for (const s of o.scanners ?? []) {
    let owned: Awaited<ReturnType<OrphanScanner['listOwned']>>;
    try {
      owned = await s.listOwned();
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      o.log.warn({ provider: s.provider, cluster: s.clusterName, err: error }, 'orphan scan failed');
      report.scanErrors.push({ provider: s.provider, cluster: s.clusterName, error });
      continue;
    }
    for (const inst of owned) {
      if (machineUids.has(inst.machineUid)) continue;
      if (inst.createdAt && now.getTime() - Date.parse(inst.createdAt) < grace) {
        report.orphansInGrace++;
        continue;
      }
      let terminated = false;
      if (o.reapOrphans && s.terminate) {
        await s.terminate(inst.id);
        terminated = true;
      }
      o.log.warn(
        { provider: s.provider, cluster: s.clusterName, instance: inst.id, machineUid: inst.machineUid, terminated },
        `orphaned instance: ${inst.description}`,
      );
      report.orphans.push({ provider: s.provider, cluster: s.clusterName, ...inst, terminated });
      if (s.cluster) {
        await recordEvent(
          o.kube,
          {
            regarding: s.cluster,
            type: 'Warning',
            reason: terminated ? 'OrphanedInstanceDeleted' : 'OrphanedInstance',
            message: terminated
              ? `deleted ${s.provider} instance ${inst.description}: it carries this cluster's marker for Machine ${inst.machineUid}, which no longer exists`
              : `${s.provider} instance ${inst.description} carries this cluster's marker for Machine ${inst.machineUid}, which no longer exists; delete it, or run the drift check with orphan deletion on`,
            component: 'capi-fn-drift',
          },
          now,
        );
      }
    }
  }
}

export async function runDriftCheck(o: DriftOptions): Promise<DriftReport> {
  const report: DriftReport = { resynced: 0, missingKinds: [], orphans: [], orphansInGrace: 0, scanErrors: [] };
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
  if (o.scanners?.length) await scanOrphans(o, report);
  o.log.info(
    { resynced: report.resynced, orphans: report.orphans.length, missingKinds: report.missingKinds },
    'drift check done',
  );
  return report;
}
