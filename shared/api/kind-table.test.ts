import { describe, expect, it } from 'vitest';
import { knownResource } from '../kube/resources.ts';
import { customKinds, storageVersionOf } from './kind-table.ts';
import { allKinds } from './registry.ts';

describe('custom kinds table', () => {
  it('is exactly the kind registry (update resources.ts when a kind or version is added)', () => {
    const fromRegistry = allKinds.map((d) => [
      d.group,
      d.versions.map((v) => v.name),
      d.kind,
      d.plural,
      d.scope === 'Namespaced',
      d.provider,
    ]);
    expect(customKinds).toEqual(fromRegistry);
  });

  it('lists the storage version first', () => {
    for (const d of allKinds)
      expect(storageVersionOf(d.group, d.kind), d.kind).toBe(d.versions.find((v) => v.storage)?.name);
    expect(storageVersionOf('example.com', 'Nope')).toBeUndefined();
  });

  it('resolves every served version', () => {
    expect(knownResource('infrastructure.cluster.x-k8s.io/v1beta1', 'AWSMachine')).toMatchObject({
      plural: 'awsmachines',
      namespaced: true,
    });
    expect(knownResource('config.openshift.io/v1', 'Infrastructure')).toMatchObject({ namespaced: false });
  });
});

describe('provider kinds by role', () => {
  it('are the infrastructure kinds of every provider in the registry', async () => {
    const { providerKinds } = await import('./registry.ts');
    const { infraClusterKinds, infraMachineKinds, machineTemplateKinds } = await import('./provider-kinds.ts');
    const names = (l: Array<{ kind: string }>) => l.map((k) => k.kind).sort();
    const all = Object.values(providerKinds)
      .flat()
      .filter((k) => k.group === 'infrastructure.cluster.x-k8s.io')
      .map((k) => k.kind);
    expect(names(machineTemplateKinds())).toEqual(all.filter((k) => k.endsWith('MachineTemplate')).sort());
    expect(names(infraMachineKinds())).toEqual(all.filter((k) => /Machine$/.test(k)).sort());
    expect(names(infraClusterKinds())).toEqual(all.filter((k) => /Cluster$/.test(k)).sort());
    expect(names(infraMachineKinds())).toContain('AWSMachine');
  });
});
