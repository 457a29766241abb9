// Which kinds the bridge may fold a modification into a waiting addition of (WatchedKind.foldsAdded), and which
// additions it flags for watches that wait for a controller (Watch.addedOnceControlledBy).
import { describe, expect, it } from 'vitest';
import { DEPLOYED_WATCHED_KINDS } from '../../functions/bridge/watched-kinds.generated.ts';
import { CONTROLLER_DELETING, newResourceEvent, unchangedExtension } from '../events/resource-event.ts';
import { targetsFor } from './dispatch.ts';
import { defineHandler, type HandlerDefinition, subscriptionOf, type Watch } from './handler.ts';
import { silentLogger } from './logger.ts';
import { watchedKinds } from './watched-kinds.ts';

function handler(name: string, watches: Watch[]): HandlerDefinition<unknown> {
  return defineHandler({
    name,
    reconciles: { apiVersion: 'v1', kind: 'ConfigMap' },
    watches,
    reconcile: async () => undefined,
  }) as HandlerDefinition<unknown>;
}

const folds = (defs: Array<HandlerDefinition<unknown>>, kind: string) =>
  watchedKinds(defs).find((k) => k.kind === kind)?.foldsAdded === true;

describe('watchedKinds: foldsAdded', () => {
  it('a kind whose watches all take additions and modifications folds', () => {
    const defs = [
      handler('one', [{ group: '', kind: 'ConfigMap' }]),
      handler('two', [{ group: '', kind: 'ConfigMap', events: ['added', 'modified', 'resync'], statusChanges: false }]),
    ];
    expect(folds(defs, 'ConfigMap')).toBe(true);
  });

  it('a watch that takes neither (deletions only) does not stop it', () => {
    const defs = [
      handler('one', [{ group: '', kind: 'ConfigMap' }]),
      handler('two', [{ group: '', kind: 'ConfigMap', events: ['deleted'] }]),
    ];
    expect(folds(defs, 'ConfigMap')).toBe(true);
  });

  it('one watch taking modifications without additions, or additions without modifications, stops it', () => {
    const all = handler('one', [{ group: '', kind: 'ConfigMap' }]);
    expect(
      folds([all, handler('two', [{ group: '', kind: 'ConfigMap', events: ['modified', 'resync'] }])], 'ConfigMap'),
    ).toBe(false);
    expect(folds([all, handler('two', [{ group: '', kind: 'ConfigMap', events: ['added'] }])], 'ConfigMap')).toBe(
      false,
    );
  });

  it('deployed: Nodes fold; Machines and infrastructure machines, which some watch takes only modified, do not', () => {
    const of = (group: string, kind: string) =>
      DEPLOYED_WATCHED_KINDS.find((k) => k.group === group && k.kind === kind)?.foldsAdded;
    expect(of('', 'Node')).toBe(true);
    expect(of('cluster.x-k8s.io', 'MachineSet')).toBe(true);
    expect(of('cluster.x-k8s.io', 'Machine')).toBeUndefined();
    expect(of('infrastructure.cluster.x-k8s.io', 'AWSMachine')).toBeUndefined();
    expect(of('bootstrap.cluster.x-k8s.io', 'KubeadmConfig')).toBeUndefined();
  });
});

describe('addedOnceControlledBy', () => {
  const machine = { group: 'cluster.x-k8s.io', kind: 'Machine' };
  const waits: Watch = {
    group: '',
    kind: 'ConfigMap',
    statusChanges: false,
    ignoring: [['metadata', 'finalizers']],
    addedOnceControlledBy: machine,
  };

  it('gives the watch a skip flag of its own, which the bridge table, the bus subscription and the runtime share', () => {
    const def = handler('waits', [waits]);
    const flag = unchangedExtension('', 'ConfigMap', [['metadata', 'finalizers'], ['status']], machine);
    const k = watchedKinds([def]).find((x) => x.kind === 'ConfigMap')!;
    expect(k.addedOnceControlledBy).toEqual([
      { ignoring: [['metadata', 'finalizers'], ['status']], controller: machine },
    ]);
    expect(k.ignoring).toBeUndefined();
    expect(subscriptionOf(def).kinds[0]!.unchanged).toBe(flag);
    // Without `ignoring` too: the flag then covers the additions alone (and status, which it skips).
    const bare = handler('bare', [{ group: '', kind: 'ConfigMap', addedOnceControlledBy: machine }]);
    expect(subscriptionOf(bare).kinds[0]!.unchanged).toBe(unchangedExtension('', 'ConfigMap', [], machine));
  });

  it('the runtime drops a flagged addition where a bus delivered it anyway', async () => {
    const def = handler('waits', [waits]);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'c' };
    const flag = subscriptionOf(def).kinds[0]!.unchanged!;
    const added = newResourceEvent({ type: 'io.capifn.resource.added', source: 't', ref });
    const kube = undefined as never;
    expect(await targetsFor(def, added, kube, silentLogger)).toEqual([ref]);
    expect(await targetsFor(def, { ...added, [flag]: 'true' }, kube, silentLogger)).toEqual([]);
  });

  it('is refused on a watch that could not hear the adoption, or that has a gate', () => {
    const refused: Array<Partial<Watch>> = [
      { metadataChanges: false },
      { ignoring: [['metadata', 'ownerReferences']] },
      { ignoring: [['metadata']] },
      { events: ['added', 'resync'] },
      { whenExists: { group: 'cluster.x-k8s.io', kind: 'Cluster' }, ignoring: undefined },
    ];
    for (const extra of refused)
      expect(() => handler('bad', [{ ...waits, ...extra }]), JSON.stringify(extra)).toThrow(/addedOnceControlledBy/);
  });

  it('deployed: every provider’s infrastructure machine waits for its Machine', () => {
    // The local provider's handler runs in the embedded default only; its kind is deployed for the Machine handler.
    const infra = DEPLOYED_WATCHED_KINDS.filter(
      (k) => k.group === 'infrastructure.cluster.x-k8s.io' && k.kind.endsWith('Machine') && k.kind !== 'LocalMachine',
    );
    expect(infra.length).toBeGreaterThanOrEqual(6);
    for (const k of infra)
      expect(
        k.addedOnceControlledBy?.map((a) => a.controller),
        k.kind,
      ).toEqual([machine]);
  });
});

describe('ignoringWhileControllerDeleting', () => {
  const machine = { group: 'cluster.x-k8s.io', kind: 'Machine' };
  const machineWatch: Watch = { group: 'cluster.x-k8s.io', kind: 'Machine' };
  it('is carried in the watch’s ignored paths as a CONTROLLER_DELETING entry: the skip flag, the table and the bus agree', () => {
    const def = handler('teardown', [
      machineWatch,
      {
        group: '',
        kind: 'ConfigMap',
        ignoring: [['metadata', 'finalizers']],
        ignoringWhileControllerDeleting: machine,
      },
    ]);
    const paths = [
      ['metadata', 'finalizers'],
      [CONTROLLER_DELETING, 'cluster.x-k8s.io', 'Machine'],
    ];
    expect(watchedKinds([def]).find((x) => x.kind === 'ConfigMap')!.ignoring).toEqual([paths]);
    expect(subscriptionOf(def).kinds[1]!.unchanged).toBe(unchangedExtension('', 'ConfigMap', paths));
    // Alone, it still gives the watch a flag.
    const alone = handler('alone', [
      machineWatch,
      { group: '', kind: 'ConfigMap', ignoringWhileControllerDeleting: machine },
    ]);
    expect(subscriptionOf(alone).kinds[1]!.unchanged).toBe(
      unchangedExtension('', 'ConfigMap', [[CONTROLLER_DELETING, 'cluster.x-k8s.io', 'Machine']]),
    );
  });

  it('is refused with a gate (one flag per watch), without a watch of the controller kind, and as a written path', () => {
    const gated: Watch = {
      group: '',
      kind: 'ConfigMap',
      ignoringWhileControllerDeleting: machine,
      whenExists: { group: 'cluster.x-k8s.io', kind: 'Cluster' },
    };
    expect(() => handler('bad', [machineWatch, gated])).toThrow(/ignoringWhileControllerDeleting/);
    expect(() => handler('bad', [{ group: '', kind: 'ConfigMap', ignoringWhileControllerDeleting: machine }])).toThrow(
      /does not watch/,
    );
    const written: Watch = { group: '', kind: 'ConfigMap', ignoring: [[CONTROLLER_DELETING, 'g', 'K']] };
    expect(() => handler('bad', [written])).toThrow(/empty or marked/);
  });

  it('deployed: a Machine hears nothing of its infrastructure machine while it is deleted, a MachineSet nothing of its Machines’ deletion start', () => {
    const infra = DEPLOYED_WATCHED_KINDS.filter(
      (k) => k.group === 'infrastructure.cluster.x-k8s.io' && k.kind.endsWith('Machine'),
    );
    expect(infra.length).toBeGreaterThanOrEqual(7);
    for (const k of infra)
      expect(
        k.ignoring?.some((paths) =>
          paths.some((p) => p.join('/') === `${CONTROLLER_DELETING}/cluster.x-k8s.io/Machine`),
        ),
        k.kind,
      ).toBe(true);
    const m = DEPLOYED_WATCHED_KINDS.find((k) => k.group === 'cluster.x-k8s.io' && k.kind === 'Machine')!;
    const marks = (paths: string[][]) =>
      paths.some((p) => p.join('/') === 'metadata/deletionTimestamp') &&
      paths.some((p) => p.join('/') === 'metadata/deletionGracePeriodSeconds') &&
      !paths.some((p) => p[0] === 'status');
    expect(m.ignoring?.some(marks)).toBe(true);
  });
});
