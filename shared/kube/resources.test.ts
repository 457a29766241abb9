import { describe, expect, it } from 'vitest';
import { allKinds } from '../api/registry.ts';
import { customKinds, knownResource } from './resources.ts';

describe('custom kinds table', () => {
  it('is exactly the kind registry (update resources.ts when a kind or version is added)', () => {
    const fromRegistry = allKinds.map((d) => [
      d.group,
      d.versions.map((v) => v.name),
      d.kind,
      d.plural,
      d.scope === 'Namespaced',
    ]);
    expect(customKinds).toEqual(fromRegistry);
  });

  it('resolves every served version', () => {
    expect(knownResource('infrastructure.cluster.x-k8s.io/v1beta1', 'AWSMachine')).toMatchObject({
      plural: 'awsmachines',
      namespaced: true,
    });
    expect(knownResource('config.openshift.io/v1', 'Infrastructure')).toMatchObject({ namespaced: false });
  });
});
