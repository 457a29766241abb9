// The deployed drift check's orphan scan loads a provider's runtime only when a Cluster uses that provider, and
// builds one scanner per such Cluster; its watched kinds are the generated table, current with the handlers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDriftWatchedKinds } from '../../functions/bridge/watch-list.ts';
import { deployedOrphanScanners } from '../../functions/drift/scanners.ts';
import { DRIFT_WATCHED_KINDS } from '../../functions/drift/watched-kinds.generated.ts';
import type { ProviderRuntime } from '../../functions/providers/kit/module.ts';
import { runtimeLoaders } from '../../functions/providers/runtime-loaders.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { connectionFor } from '../support/env.ts';

describe('deployed drift check', () => {
  let api: ApiServer;
  let kube: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
    kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
  });
  afterAll(() => api?.stop());

  it('resyncs the kinds the handlers watch (the generated table is current)', () => {
    expect(DRIFT_WATCHED_KINDS).toEqual(computeDriftWatchedKinds());
    expect(DRIFT_WATCHED_KINDS.map((k) => k.kind)).toEqual(expect.arrayContaining(['Machine', 'MachineSet']));
  });

  it('loads only the runtimes of the providers a Cluster uses, one scanner per such Cluster', async () => {
    const infra = (name: string, kind: string) => ({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name, namespace: 'default' },
      spec: { infrastructureRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind, name } },
    });
    await kube.create(infra('east', 'GCPCluster'));
    await kube.create(infra('west', 'GCPCluster'));
    await kube.create(infra('lab', 'Metal3Cluster'));
    const loaded: string[] = [];
    const loaders = Object.fromEntries(
      Object.entries(runtimeLoaders).map(([name, load]) => [
        name,
        async (): Promise<ProviderRuntime> => {
          loaded.push(name);
          const runtime = await load!();
          // A scanner that names its Cluster, over no cloud.
          return {
            ...runtime,
            orphans: ({ cluster }) => ({ provider: name, clusterName: cluster, listOwned: async () => [] }),
          };
        },
      ]),
    ) as Partial<Record<ProviderName, () => Promise<ProviderRuntime>>>;
    const scanners = await deployedOrphanScanners(kube, loaders);
    expect(loaded.sort()).toEqual(['gcp', 'metal3']);
    expect(scanners.map((s) => s.cluster?.name).sort()).toEqual(['east', 'lab', 'west']);
  });
});
