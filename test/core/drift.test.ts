// The drift check's orphan scan against the embedded API server: report by default (log, count, an Event on
// the Cluster that repeats as a count), delete only when asked and only past the grace period, keep going
// when one cloud cannot be reached.
import { afterEach, describe, expect, it } from 'vitest';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import { orphanOptionsFromEnv } from '../../functions/drift/scanners.ts';
import type { OrphanScanner, OwnedInstance } from '../../functions/providers/kit/orphans.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { silentLogger } from '../../shared/runtime/logger.ts';
import { type CapiEnv, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';

let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const NOW = new Date('2026-12-02T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function scanner(owned: OwnedInstance[], deleted: string[], fail?: Error): OrphanScanner {
  return {
    provider: 'test',
    clusterName: CLUSTER,
    cluster: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace: NS, name: CLUSTER },
    listOwned: async () => {
      if (fail) throw fail;
      return owned;
    },
    terminate: async (id) => {
      deleted.push(id);
    },
  };
}

interface EventObj extends KubeObject {
  reason?: string;
  count?: number;
  message?: string;
}

describe('drift check: orphan scan', () => {
  it('reports old orphans with an Event on the Cluster, leaves young ones and owned ones, deletes only when asked', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    const deleted: string[] = [];
    const owned: OwnedInstance[] = [
      { id: 'i-old', machineUid: 'gone-1', createdAt: minutesAgo(30), description: 'i-old (old orphan)' },
      { id: 'i-young', machineUid: 'gone-2', createdAt: minutesAgo(2), description: 'i-young (young orphan)' },
    ];
    const run = (reap: boolean) =>
      runDriftCheck({
        kube: env!.kube,
        bus: { publish: async () => {} },
        kinds: [],
        source: 'test',
        scanners: [scanner(owned, deleted)],
        log: silentLogger,
        now: () => NOW,
        orphanGraceMs: 10 * 60_000,
        reapOrphans: reap,
      });
    const first = await run(false);
    expect(first.orphans.map((o) => [o.id, o.terminated])).toEqual([['i-old', false]]);
    expect(first.orphansInGrace).toBe(1);
    expect(deleted).toEqual([]);
    await run(false);
    const events = (await env.kube.listAll<EventObj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: NS })).items;
    expect(events.map((e) => [e.reason, e.count])).toEqual([['OrphanedInstance', 2]]);
    expect(events[0]!.message).toContain('i-old (old orphan)');

    const reaped = await run(true);
    expect(reaped.orphans.map((o) => [o.id, o.terminated])).toEqual([['i-old', true]]);
    expect(deleted).toEqual(['i-old']);
  });

  it('a cloud that cannot be reached is reported and the check goes on', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    const deleted: string[] = [];
    const report = await runDriftCheck({
      kube: env.kube,
      bus: { publish: async () => {} },
      kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'Cluster' }],
      source: 'test',
      scanners: [
        scanner([], deleted, new Error('connect ECONNREFUSED')),
        scanner([{ id: 'i-1', machineUid: 'x', description: 'i-1' }], deleted),
      ],
      log: silentLogger,
      orphanGraceMs: 0,
    });
    expect(report.scanErrors).toEqual([{ provider: 'test', cluster: CLUSTER, error: 'Error: connect ECONNREFUSED' }]);
    expect(report.orphans.map((o) => o.id)).toEqual(['i-1']);
    expect(report.resynced).toBe(1);
  });
});

describe('orphan options from the environment', () => {
  it('reports by default, deletes when asked, and names a wrong variable', () => {
    expect(orphanOptionsFromEnv({})).toEqual({ reapOrphans: false, orphanGraceMs: 600_000 });
    expect(orphanOptionsFromEnv({ CAPI_FN_ORPHANS: 'delete', CAPI_FN_ORPHAN_GRACE: '1h' })).toEqual({
      reapOrphans: true,
      orphanGraceMs: 3_600_000,
    });
    expect(() => orphanOptionsFromEnv({ CAPI_FN_ORPHANS: 'yes' })).toThrow(/CAPI_FN_ORPHANS=yes: must be "report"/);
    expect(() => orphanOptionsFromEnv({ CAPI_FN_ORPHAN_GRACE: 'soon' })).toThrow(/CAPI_FN_ORPHAN_GRACE=soon/);
  });
});
