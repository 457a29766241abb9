// "Paused means paused" (DESIGN.md rule 7): a paused Cluster's objects get the Paused condition and
// nothing else — no scaling, no deletion work — until it is unpaused.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, MACHINESET, machines, scaleTo, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const LOCALMACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
const CLUSTER_REF = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace: NS, name: CLUSTER };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

function pausedCondition(
  o: { status?: { v1beta2?: { conditions?: Array<{ type: string; status: string }> } } } | undefined,
) {
  return o?.status?.v1beta2?.conditions?.find((c) => c.type === 'Paused')?.status;
}

describe('paused Cluster', () => {
  it('gets no writes other than the Paused condition, then resumes', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 2 }));
    await waitConverged(env, MS, 2);
    await env.kube.patch(CLUSTER_REF, { spec: { paused: true } }, { type: 'merge' });
    await eventually('Paused=True on MachineSet and Machines', async () => {
      const ms = await env!.kube.get<MachineSet>({ ...MACHINESET, namespace: NS, name: MS });
      const ma = await machines(env!.kube);
      return pausedCondition(ms) === 'True' && ma.every((m) => pausedCondition(m) === 'True');
    });
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    const before = env.ledger.writes.length;

    // Changes that would normally make handlers act.
    await scaleTo(env.kube, MS, 4);
    // The LocalCluster loses its readiness and is touched (an event arrives while paused, and is ignored).
    const LC = {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalCluster',
      namespace: NS,
      name: CLUSTER,
    };
    await env.kube.patch(LC, { status: { ready: false } }, { type: 'merge', subresource: 'status' });
    await env.kube.patch(LC, { metadata: { annotations: { touched: 'while-paused' } } }, { type: 'merge' });
    const [victim] = await machines(env.kube);
    await env.kube.delete({ ...MACHINE, namespace: NS, name: victim!.metadata.name! });
    // Its infrastructure object deleted by hand as well: the instance must survive while paused.
    await env.kube.delete({ ...LOCALMACHINE, namespace: NS, name: victim!.metadata.name! });
    await new Promise((r) => setTimeout(r, 1_000));
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });

    const during = env.ledger.writes.slice(before);
    for (const w of during) {
      expect(w.method, `${w.handler} ${w.method} ${w.path}`).toBe('PUT');
      expect(w.path).toMatch(/\/status\?/);
      const body = JSON.parse(w.body!) as { status?: { v1beta2?: { conditions?: Array<{ type: string }> } } };
      expect(body.status?.v1beta2?.conditions?.map((c) => c.type)).toContain('Paused');
    }
    expect((await machines(env.kube)).length).toBe(2);
    const deleting = (await env.kube.get<Machine>({ ...MACHINE, namespace: NS, name: victim!.metadata.name! }))
      .metadata;
    expect(deleting.deletionTimestamp).toBeDefined();
    expect(deleting.finalizers).toContain('machine.cluster.x-k8s.io');
    expect(env.cloud.live()).toHaveLength(2);
    const infra = await env.kube.get<KubeObject>({ ...LOCALMACHINE, namespace: NS, name: victim!.metadata.name! });
    expect(infra.metadata.deletionTimestamp).toBeDefined();
    expect(infra.metadata.finalizers).toContain('localmachine.infrastructure.cluster.x-k8s.io');

    await env.kube.patch(CLUSTER_REF, { spec: { paused: false } }, { type: 'merge' });
    // Unpausing the Cluster alone wakes the LocalCluster again (no drift check runs in this test).
    await eventually('LocalCluster ready again after unpausing', async () => {
      const lc = await env!.kube.get<KubeObject & { status?: { ready?: boolean } }>(LC);
      return lc.status?.ready === true;
    });
    await waitConverged(env, MS, 4);
  });
});
