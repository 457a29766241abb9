// A Machine never takes over an infrastructure machine another Machine controls: a second Machine whose
// infrastructureRef copies the first's reports AlreadyControlled and, when deleted, leaves the first's
// LocalMachine and instance alone.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
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
});
