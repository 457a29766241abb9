// The webhook's kinds loaded one at a time: each is the registry's very definition, and a review can never run
// against a kind it forgot to load.
import { describe, expect, it } from 'vitest';
import { loadedKind, loadKind } from './kind-schemas.ts';
import { allKinds, findKind } from './registry.ts';

describe('kinds loaded on use', () => {
  it('are not there before they are loaded: asking for one throws instead of skipping its schema', () => {
    expect(() => loadedKind('cluster.x-k8s.io', 'MachineSet')).toThrow(/not loaded: await loadKind/);
    expect(loadedKind('example.com', 'Widget')).toBeUndefined();
  });

  it('load every kind of the registry as the registry defines it', async () => {
    for (const d of allKinds) {
      expect(await loadKind(d.group, d.kind), `${d.group}/${d.kind}`).toBe(findKind(d.group, d.kind));
      expect(loadedKind(d.group, d.kind)).toBe(d);
    }
  });

  it('know nothing of kinds capi-fn does not serve', async () => {
    expect(await loadKind('example.com', 'Widget')).toBeUndefined();
    expect(await loadKind('cluster.x-k8s.io', 'Widget')).toBeUndefined();
    expect(await loadKind('machine.openshift.io', 'Cluster')).toBeUndefined();
  });
});
