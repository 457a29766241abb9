// The drift check's orphan scan against the embedded API server: report by default (log, count, an Event on
// the Cluster that repeats as a count), delete only when asked and only past the grace period, keep going
// when one cloud cannot be reached.
import { afterEach, describe, expect, it } from 'vitest';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import { orphanOptionsFromEnv } from '../../functions/drift/scanners.ts';
import type { OrphanScanner, OwnedInstance } from '../../functions/providers/kit/orphans.ts';
import { driftCheckedHandlers } from '../../functions/registry.ts';
import { startApiServer } from '../../local/apiserver/index.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { KubeError } from '../../shared/kube/errors.ts';
import { EVENTS_V1, type EventV1 } from '../../shared/kube/events.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { silentLogger } from '../../shared/runtime/logger.ts';
import { watchedKinds } from '../../shared/runtime/watched-kinds.ts';
import { createFleet, FLEET_CLUSTER, FLEET_NS, machineName } from '../support/converged-fleet.ts';
import { allCrds, type CapiEnv, connectionFor, startCapiEnv } from '../support/env.ts';
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
    // One Event whose series counts the second sighting (events.k8s.io/v1, as client-go's recorder writes it).
    const events = (await env.kube.listAll<EventV1>(EVENTS_V1, { namespace: NS })).items;
    expect(events.map((e) => [e.reason, e.series?.count])).toEqual([['OrphanedInstance', 2]]);
    expect(events[0]!.note).toContain('i-old (old orphan)');

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
      mode: 'full',
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

describe('drift check: detect (the default)', () => {
  it('a converged cluster gets no event; each drifted object gets exactly one, with its reason', async () => {
    const api = await startApiServer({ crds: allCrds() });
    try {
      const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
      await createFleet(kube, 12, { at: '2026-12-03T09:00:00Z' });
      const published: ResourceEvent[] = [];
      const kinds = watchedKinds(driftCheckedHandlers());
      const instances = new Map(Array.from({ length: 12 }, (_, i) => [machineName(i), { state: 'running' as string }]));
      const run = async (now: string) => {
        const machines = (
          await kube.listAll({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: FLEET_NS })
        ).items;
        const scannerList: OrphanScanner[] = [
          {
            provider: 'local',
            clusterName: FLEET_CLUSTER,
            listOwned: async () =>
              machines
                .filter((m) => instances.has(m.metadata.name!))
                .map((m) => ({
                  id: m.metadata.name!,
                  machineUid: m.metadata.uid!,
                  description: `i-${m.metadata.name}`,
                  state: instances.get(m.metadata.name!)!.state,
                })),
          },
        ];
        published.length = 0;
        return runDriftCheck({
          kube,
          bus: { publish: async (e) => void published.push(...e) },
          kinds,
          source: 'test',
          scanners: scannerList,
          log: silentLogger,
          now: () => new Date(now),
        });
      };

      const quiet = await run('2026-12-03T09:30:00Z');
      expect(quiet).toMatchObject({ mode: 'detect', resynced: 0, drifted: [], orphans: [] });
      expect(published).toEqual([]);

      // Five differences, each of another kind of drift.
      const M = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', namespace: FLEET_NS };
      const LM = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine', namespace: FLEET_NS };
      const merge = { type: 'merge' as const };
      // 1. a spec change the Machine handler never saw (generation 2, observedGeneration 1)
      await kube.patch({ ...M, name: machineName(0) }, { spec: { nodeDeletionTimeout: '20s' } }, merge);
      // 2. the MachineSet lost its finalizer
      await kube.patch(
        {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'MachineSet',
          namespace: FLEET_NS,
          name: `${FLEET_CLUSTER}-workers`,
        },
        { metadata: { finalizers: null } },
        merge,
      );
      // 3. a Machine not Ready since 09:00 (a lost requeue)
      const m2 = await kube.get<KubeObject & { status: { conditions: Array<Record<string, string>> } }>({
        ...M,
        name: machineName(2),
      });
      m2.status.conditions = m2.status.conditions.map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False', reason: 'NodeConditionsFailed', severity: 'Warning' } : c,
      );
      await kube.updateStatus(m2);
      // 4. a launch intent whose lease ran out
      await kube.patch(
        { ...LM, name: machineName(3) },
        {
          spec: { providerID: null },
          metadata: {
            annotations: {
              'infrastructure.capi-fn.io/create-intent': JSON.stringify({
                key: 'k-1',
                attempt: 1,
                startedAt: '2026-12-03T09:10:00Z',
              }),
            },
          },
        },
        merge,
      );
      // 5. an instance stopped behind its LocalMachine's back
      instances.get(machineName(4))!.state = 'stopped';

      const report = await run('2026-12-03T09:30:00Z');
      const reasons = Object.fromEntries(report.drifted.map((d) => [`${d.kind}/${d.name}`, d.reason]));
      expect(reasons).toEqual({
        [`Machine/${machineName(0)}`]: 'status.observedGeneration 1 is behind metadata.generation 2',
        [`MachineSet/${FLEET_CLUSTER}-workers`]: 'finalizer cluster.x-k8s.io/machineset missing',
        [`Machine/${machineName(2)}`]: 'Ready=False (NodeConditionsFailed) for 30m',
        [`LocalMachine/${machineName(3)}`]: 'create intent k-1 started 20m ago and was not completed',
        [`LocalMachine/${machineName(4)}`]: `its local instance i-${machineName(4)} is stopped`,
      });
      expect(report.resynced).toBe(5);
      expect(published.map((e) => [e.subject.split('/').slice(-2).join('/'), e.data.reason]).sort()).toEqual(
        report.drifted.map((d) => [`${FLEET_NS}/${d.name}`, d.reason]).sort(),
      );
      expect(published.every((e) => e.type === 'io.capifn.resource.resync')).toBe(true);

      // A missing instance, and a deletion stuck for 20 minutes.
      instances.delete(machineName(5));
      await kube.delete({ ...M, name: machineName(6) });
      const later = await run(new Date(Date.now() + 20 * 60_000).toISOString());
      const r2 = Object.fromEntries(later.drifted.map((d) => [`${d.kind}/${d.name}`, d.reason]));
      expect(r2[`LocalMachine/${machineName(5)}`]).toBe('its local instance is missing');
      expect(r2[`Machine/${machineName(6)}`]).toMatch(
        /^deletion stuck for 2\dm \(finalizers: machine.cluster.x-k8s.io\)$/,
      );
    } finally {
      await api.stop();
    }
  });
});

/** Machine `lone-0` in namespace `lone`, where no MachineHealthCheck is: it has no status yet, so it has drifted. */
async function createLoneMachine(kube: KubeClient): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lone' } });
  await kube.create({
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: { name: 'lone-0', namespace: 'lone' },
    spec: {
      clusterName: 'lone',
      bootstrap: { dataSecretName: 'lone-0' },
      infrastructureRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'LocalMachine',
        name: 'lone-0',
      },
    },
  } as KubeObject);
}

describe('drift check: resyncs carry the bridge’s none-of-a-kind flags', () => {
  it('a Machine or Node resync where no MachineHealthCheck exists is flagged for every bus to skip, in both modes', async () => {
    const api = await startApiServer({ crds: allCrds() });
    try {
      const kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
      await createFleet(kube, 2, { at: '2026-12-03T09:00:00Z' });
      // A Machine in a namespace without a MachineHealthCheck, and a Node (cluster-scoped).
      await createLoneMachine(kube);
      await kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-0' } });
      const published: ResourceEvent[] = [];
      const run = (mode: 'full' | 'detect') => {
        published.length = 0;
        return runDriftCheck({
          kube,
          bus: { publish: async (e) => void published.push(...e) },
          kinds: watchedKinds(driftCheckedHandlers()),
          source: 'test',
          log: silentLogger,
          mode,
        });
      };
      const FLAG = 'capifnnonemachinehea';
      const flags = () =>
        Object.fromEntries(
          published
            .filter((e) => ['Machine', 'Node', 'MachineHealthCheck', 'MachineSet'].includes(e.data.ref.kind))
            .map((e) => [`${e.data.ref.kind}/${e.data.ref.name}`, (e as Record<string, unknown>)[FLAG] ?? '-']),
        );

      await run('full');
      expect(flags()).toEqual({
        [`Machine/${machineName(0)}`]: '-',
        [`Machine/${machineName(1)}`]: '-',
        'Machine/lone-0': 'true',
        'Node/node-0': '-',
        [`MachineHealthCheck/${FLEET_CLUSTER}-workers-health`]: '-',
        [`MachineSet/${FLEET_CLUSTER}-workers`]: '-',
      });

      await kube.delete({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'MachineHealthCheck',
        namespace: FLEET_NS,
        name: `${FLEET_CLUSTER}-workers-health`,
      });
      await run('full');
      expect(flags()).toMatchObject({
        [`Machine/${machineName(0)}`]: 'true',
        'Machine/lone-0': 'true',
        'Node/node-0': 'true',
        [`MachineSet/${FLEET_CLUSTER}-workers`]: '-',
      });

      // Detect mode: the lone Machine (no status yet) has drifted; its resync is flagged the same way.
      const report = await run('detect');
      expect(report.drifted.map((d) => `${d.kind}/${d.name}`)).toEqual(['Machine/lone-0']);
      expect(flags()).toEqual({ 'Machine/lone-0': 'true' });
    } finally {
      await api.stop();
    }
  });

  it('a 404 for MachineHealthChecks flags nothing: as for the bridge, the kind may not be loaded yet', async () => {
    const api = await startApiServer({ crds: allCrds() });
    try {
      const real = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
      await createLoneMachine(real);
      // A restarting API server answers 404 for a kind it has not loaded yet.
      const kube = Object.create(real) as KubeClient;
      kube.listAll = (async (t: { kind: string }, opts?: object) => {
        if (t.kind === 'MachineHealthCheck')
          throw new KubeError({ code: 404, reason: 'NotFound', message: 'not loaded', method: 'GET', path: '/x' });
        return real.listAll(t as never, opts);
      }) as KubeClient['listAll'];
      for (const mode of ['full', 'detect'] as const) {
        const published: ResourceEvent[] = [];
        await runDriftCheck({
          kube,
          bus: { publish: async (e) => void published.push(...e) },
          kinds: watchedKinds(driftCheckedHandlers()),
          source: 'test',
          log: silentLogger,
          mode,
        });
        const lone = published.find((e) => e.data.ref.name === 'lone-0');
        expect(lone, mode).toBeDefined();
        expect((lone as Record<string, unknown>).capifnnonemachinehea, mode).toBeUndefined();
      }
    } finally {
      await api.stop();
    }
  });
});
