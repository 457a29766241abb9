// A Machine never takes over an infrastructure machine another Machine controls: a second Machine whose
// infrastructureRef copies the first's reports AlreadyControlled and, when deleted, leaves the first's
// LocalMachine and instance alone. An infrastructure machine created already controlled by its Machine (a restore,
// a hand-made pair) is provisioned from its creation, though a MachineSet's unadopted clone wakes nobody.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { ownerRefTo } from '../../shared/reconcile/owner-refs.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const LOCAL_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('Machine ownership of referenced objects', () => {
  it('does not take over, or delete, another Machine’s infrastructure machine', { timeout: 120_000 }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [first] = (await waitConverged(env, MS, 1, 90_000)) as [Machine];
    const infraKey = { ...LOCAL_MACHINE, namespace: NS, name: first.metadata.name! };
    const infraUid = (await env.kube.get(infraKey)).metadata.uid;

    const copyKey = { ...MACHINE, namespace: NS, name: 'copied-ref' };
    await env.kube.create({
      ...MACHINE,
      metadata: { name: 'copied-ref', namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
      spec: {
        clusterName: CLUSTER,
        bootstrap: { dataSecretName: first.spec.bootstrap.dataSecretName },
        infrastructureRef: { ...first.spec.infrastructureRef },
      },
    } as KubeObject);
    const copy = await eventually('the copy reports the reference as another Machine’s', async () => {
      const m = await env!.kube.get<Machine>(copyKey);
      const c = m.status?.conditions?.find((x) => x.type === 'InfrastructureReady');
      return c?.reason === 'AlreadyControlled' ? m : false;
    });
    expect(copy.status?.conditions?.find((x) => x.type === 'InfrastructureReady')?.message).toContain(
      `controlled by Machine ${first.metadata.name}`,
    );
    expect(copy.spec.providerID).toBeUndefined();
    const infra = await env.kube.get(infraKey);
    expect(infra.metadata.ownerReferences?.filter((r) => r.controller).map((r) => r.uid)).toEqual([first.metadata.uid]);

    await env.kube.delete(copyKey);
    await eventually('the copy is gone', async () => !(await env!.kube.find(copyKey)));
    // The first Machine's LocalMachine, instance and Machine are as they were.
    expect((await env.kube.get(infraKey)).metadata.uid).toBe(infraUid);
    expect((await env.kube.get(infraKey)).metadata.deletionTimestamp).toBeUndefined();
    await waitConverged(env, MS, 1);
    expect(await env.bus.deadLetters()).toEqual([]);
  });

  it('provisions an infrastructure machine created already controlled by its Machine', {
    timeout: 120_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    const cluster = await env.kube.get({
      apiVersion: MACHINE.apiVersion,
      kind: 'Cluster',
      namespace: NS,
      name: CLUSTER,
    });
    // The Machine first, pointing at an infrastructure machine that does not exist yet (a restore in that order).
    const key = { ...MACHINE, namespace: NS, name: 'restored' };
    const m = await env.kube.create({
      ...MACHINE,
      metadata: { name: 'restored', namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
      spec: {
        clusterName: CLUSTER,
        bootstrap: { dataSecretName: 'worker-user-data' },
        infrastructureRef: { ...LOCAL_MACHINE, name: 'restored' },
      },
    } as KubeObject);
    await eventually('the Machine waits for its infrastructure machine', async () => {
      const c = (await env!.kube.get<Machine>(key)).status?.conditions?.find((x) => x.type === 'InfrastructureReady');
      return c?.status === 'False';
    });
    await env.kube.create({
      ...LOCAL_MACHINE,
      metadata: {
        name: 'restored',
        namespace: NS,
        labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER },
        // As the Machine handler would write them (a standalone Machine's infrastructure machine is also owned by the
        // Cluster): it then has nothing to add, so no change of the object follows its creation.
        ownerReferences: [ownerRefTo(m, { controller: true }), ownerRefTo(cluster)],
      },
      spec: { cpus: 2, memoryMiB: 4096, image: 'rhcos-4.20-local' },
    } as KubeObject);
    // Nothing else changes either object: the creation alone must reach the provider.
    await eventually(
      'the Machine Running',
      async () => (await env!.kube.get<Machine>(key)).status?.phase === 'Running',
      { timeoutMs: 60_000 },
    );
    expect(await env.bus.deadLetters()).toEqual([]);
  });
});
