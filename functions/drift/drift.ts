// The scheduled drift check. By default it detects: one paged LIST per kind that can drift (the core kinds, and
// the infrastructure kinds the Clusters and Machines refer to), each object compared with what converged means
// (converged.ts), and each provider's instances compared with the infrastructure machines; only the objects that
// differ get a `resync` event, with the reason in it, in a log line and in the report. A converged cluster costs
// a handful of LISTs and no handler invocation. `mode: 'full'` is the old periodic resync of every object every
// handler watches (so a missed or dead-lettered event can never outlive one period), off by default. Both scan
// each provider's cloud for instances whose Machine no longer exists.

import { CAPI_API_VERSION } from '../../shared/api/capi/constants.ts';
import type { EventBus } from '../../shared/bus/types.ts';
import { apiGroupOf, gateExtension, gateKey, newResourceEvent, refOf } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent } from '../../shared/kube/events.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import type { WatchedKind } from '../../shared/runtime/watched-kinds.ts';
import type { OrphanScanner, OwnedInstance } from '../providers/kit/orphans.ts';
import { DEFAULT_LIMITS, type DriftLimits, driftReason, instanceDrift, type ObjectRole } from './converged.ts';

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
  /** `detect` (default): resync only what differs from converged; `full`: resync every watched object. */
  mode?: DriftMode;
  limits?: Partial<DriftLimits>;
}

export type DriftMode = 'detect' | 'full';

export interface DriftedObject {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
  reason: string;
}

export interface DriftReport {
  mode: DriftMode;
  resynced: number;
  /** `detect`: each object that differed, and why (these are what was resynced). */
  drifted: DriftedObject[];
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
async function scanOrphans(
  o: DriftOptions,
  report: DriftReport,
  listedMachineUids?: Set<string>,
): Promise<Map<OrphanScanner, OwnedInstance[]>> {
  const scanned = new Map<OrphanScanner, OwnedInstance[]>();
  const machineUids =
    listedMachineUids ??
    new Set(
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
    scanned.set(s, owned);
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
  return scanned;
}

type Listed = Awaited<ReturnType<KubeClient['listAll']>>['items'];

const typeOf = (k: WatchedKind) => ({ apiVersion: k.group ? `${k.group}/${k.version}` : k.version, kind: k.kind });

async function listKind(o: DriftOptions, k: WatchedKind, report: DriftReport): Promise<Listed | undefined> {
  try {
    return (await o.kube.listAll(typeOf(k))).items;
  } catch (e) {
    if (isNotFound(e)) {
      report.missingKinds.push(`${k.kind}.${k.group || 'core'}`);
      return undefined;
    }
    throw e;
  }
}

const kindKey = (group: string, kind: string) => `${group}/${kind}`;

/**
 * Where each gate (a watch's `whenExists`) has objects (being deleted, for a deleting gate), from complete LISTs:
 * namespaces holding one, per `capifnnone…` extension. The drift check stamps the same flags the bridge does, so a resync of a Machine or Node
 * where no MachineHealthCheck exists does not wake that handler either. A gate kind this check does not watch, or
 * whose LIST answered 404, is left out and flags nothing: as for the bridge, a 404 may be an API server that has
 * not loaded the kind yet, not proof that none exists.
 */
type GatePresence = Map<string, Set<string>>;

async function gatePresence(
  o: DriftOptions,
  report: DriftReport,
  listed: Map<string, Listed | undefined>,
): Promise<GatePresence> {
  const presence: GatePresence = new Map();
  const gates = new Map(o.kinds.flatMap((k) => k.gates ?? []).map((g) => [gateKey(g), g]));
  for (const g of gates.values()) {
    const k = o.kinds.find((w) => w.group === g.group && w.kind === g.kind);
    if (!k) continue;
    const key = kindKey(g.group, g.kind);
    if (!listed.has(key)) listed.set(key, await listKind(o, k, report));
    const items = listed.get(key)?.filter((x) => !g.deleting || x.metadata.deletionTimestamp);
    if (items) presence.set(gateExtension(g), new Set(items.map((x) => x.metadata.namespace ?? '')));
  }
  return presence;
}

/** The gate kinds with no object where `obj` lives (its namespace; anywhere, for a cluster-scoped object). */
function absentFor(o: DriftOptions, obj: Listed[number], presence: GatePresence): string[] {
  const group = apiGroupOf(obj.apiVersion ?? '');
  const k = o.kinds.find((w) => w.group === group && w.kind === obj.kind);
  const ns = obj.metadata.namespace;
  return (k?.gates ?? []).map(gateExtension).filter((ext) => {
    const where = presence.get(ext);
    // A cluster-scoped gate object counts in every namespace, as the bridge counts it.
    return where !== undefined && (ns ? !where.has(ns) && !where.has('') : where.size === 0);
  });
}

async function publishResyncs(
  o: DriftOptions,
  objs: Array<{ obj: Listed[number]; reason?: string }>,
  report: DriftReport,
  presence: GatePresence,
): Promise<void> {
  const batchSize = o.batchSize ?? 100;
  for (let i = 0; i < objs.length; i += batchSize) {
    const events = objs.slice(i, i + batchSize).map(({ obj, reason }) =>
      newResourceEvent({
        type: 'io.capifn.resource.resync',
        source: o.source,
        ref: refOf(obj),
        ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
        ...(reason ? { reason } : {}),
        absent: absentFor(o, obj, presence),
      }),
    );
    await o.bus.publish(events);
    report.resynced += events.length;
  }
}

/** The old periodic resync: every object of every watched kind. */
async function fullResync(o: DriftOptions, report: DriftReport): Promise<void> {
  // The gate kinds are listed first (and not again below): their presence decides the others' flags.
  const listed = new Map<string, Listed | undefined>();
  const presence = await gatePresence(o, report, listed);
  for (const k of o.kinds) {
    const key = kindKey(k.group, k.kind);
    const items = listed.has(key) ? listed.get(key) : await listKind(o, k, report);
    if (items)
      await publishResyncs(
        o,
        items.map((obj) => ({ obj })),
        report,
        presence,
      );
  }
  if (o.scanners?.length) await scanOrphans(o, report);
}

const CORE_KINDS = new Set(['Cluster', 'MachineSet', 'Machine', 'MachineHealthCheck']);
const CAPI_GROUP_NAME = CAPI_API_VERSION.split('/')[0];

async function detect(o: DriftOptions, report: DriftReport): Promise<void> {
  const now = (o.now ?? (() => new Date()))();
  const limits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
  const drifted = new Map<string, { obj: Listed[number]; kind: string; reasons: string[] }>();
  const note = (obj: Listed[number], kind: string, reason: string) => {
    const key = `${obj.apiVersion}/${kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const d = drifted.get(key) ?? { obj, kind, reasons: [] };
    d.reasons.push(reason);
    drifted.set(key, d);
  };
  const check = (items: Listed, kind: string, role: ObjectRole) => {
    for (const obj of items) {
      const reason = driftReason(obj as never, kind, role, now, limits);
      if (reason) note(obj, kind, reason);
    }
  };

  // The core kinds first: their infrastructure references say which provider kinds are worth a LIST.
  // The LISTs of one stage go out together: against a remote API server they overlap.
  const listed = new Map<string, Listed>();
  const core = o.kinds.filter((x) => x.group === CAPI_GROUP_NAME && CORE_KINDS.has(x.kind));
  const coreItems = await Promise.all(core.map((k) => listKind(o, k, report)));
  for (const [i, k] of core.entries()) {
    const items = coreItems[i];
    if (!items) continue;
    listed.set(k.kind, items);
    check(items, k.kind, 'core');
  }
  const refKinds = (kind: string) =>
    new Set(
      (listed.get(kind) ?? [])
        .map((x) => (x.spec as { infrastructureRef?: { kind?: string } } | undefined)?.infrastructureRef?.kind)
        .filter((x): x is string => Boolean(x)),
    );
  const infraMachines: Listed = [];
  const infra = [
    ...[...refKinds('Cluster')].map((kind) => ({ kind, role: 'infraCluster' as const })),
    ...[...refKinds('Machine')].map((kind) => ({ kind, role: 'infraMachine' as const })),
  ]
    .map((x) => ({ ...x, k: o.kinds.find((w) => w.kind === x.kind && w.group !== CAPI_GROUP_NAME) }))
    .filter((x): x is typeof x & { k: WatchedKind } => Boolean(x.k));
  const infraItems = await Promise.all(infra.map((x) => listKind(o, x.k, report)));
  for (const [i, x] of infra.entries()) {
    const items = infraItems[i];
    if (!items) continue;
    check(items, x.kind, x.role);
    if (x.role === 'infraMachine') infraMachines.push(...items);
  }

  // The clouds: orphans, and instances that went away or stopped behind an infrastructure machine's back.
  const machines = listed.get('Machine');
  if (o.scanners?.length) {
    const scanned = await scanOrphans(
      o,
      report,
      machines ? new Set(machines.map((m) => m.metadata.uid ?? '')) : undefined,
    );
    for (const [scanner, owned] of scanned) {
      const byUid = new Map(owned.map((i) => [i.machineUid, i]));
      for (const im of infraMachines) {
        if (im.metadata.labels?.['cluster.x-k8s.io/cluster-name'] !== scanner.clusterName) continue;
        const uid = im.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Machine')?.uid;
        if (!uid) continue;
        const reason = instanceDrift(im as never, byUid.get(uid), scanner.provider);
        if (reason) note(im, im.kind ?? '', reason);
      }
    }
  }

  for (const d of drifted.values()) {
    const reason = d.reasons.join('; ');
    report.drifted.push({
      apiVersion: d.obj.apiVersion ?? '',
      kind: d.kind,
      ...(d.obj.metadata.namespace ? { namespace: d.obj.metadata.namespace } : {}),
      name: d.obj.metadata.name ?? '',
      reason,
    });
    o.log.info(
      { kind: d.kind, namespace: d.obj.metadata.namespace, name: d.obj.metadata.name, reason },
      'drifted; resyncing',
    );
  }
  if (drifted.size === 0) return;
  // MachineHealthCheck, the one gate kind, is a core kind: its LIST above (or its absence) is reused.
  const presence = await gatePresence(o, report, new Map(core.map((k, i) => [kindKey(k.group, k.kind), coreItems[i]])));
  await publishResyncs(
    o,
    [...drifted.values()].map((d) => ({ obj: d.obj, reason: d.reasons.join('; ') })),
    report,
    presence,
  );
}

export async function runDriftCheck(o: DriftOptions): Promise<DriftReport> {
  const mode = o.mode ?? 'detect';
  const report: DriftReport = {
    mode,
    resynced: 0,
    drifted: [],
    missingKinds: [],
    orphans: [],
    orphansInGrace: 0,
    scanErrors: [],
  };
  if (mode === 'full') await fullResync(o, report);
  else await detect(o, report);
  o.log.info(
    {
      mode,
      resynced: report.resynced,
      drifted: report.drifted.length,
      orphans: report.orphans.length,
      missingKinds: report.missingKinds,
    },
    'drift check done',
  );
  return report;
}

/** `CAPI_FN_DRIFT_MODE`: `detect` (default) or `full`; anything else is an error naming the variable. */
export function driftModeFromEnv(env: NodeJS.ProcessEnv): DriftMode {
  const m = env.CAPI_FN_DRIFT_MODE || 'detect';
  if (m !== 'detect' && m !== 'full')
    throw new Error(
      `CAPI_FN_DRIFT_MODE=${m}: must be "detect" (resync only what differs) or "full" (resync every object)`,
    );
  return m;
}
