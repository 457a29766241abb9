// Which kinds the bridge may fold a modification into a waiting addition of (WatchedKind.foldsAdded).
import { describe, expect, it } from 'vitest';
import { DEPLOYED_WATCHED_KINDS } from '../../functions/bridge/watched-kinds.generated.ts';
import { defineHandler, type HandlerDefinition, type Watch } from './handler.ts';
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
