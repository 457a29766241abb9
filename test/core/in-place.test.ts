// In-place propagation (upstream's syncMachines) on the embedded API server: a change to the MachineSet template's
// labels, annotations and drain timeout reaches the existing Machines and their LocalMachines without replacing
// them; a label dropped from the template is dropped from them; a label someone else set stays; a Machine held in
// deletion gets the new drain timeout (how an operator unsticks a drain).
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, MACHINESET, machines, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const LOCAL_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
const HOLD = 'test.capi-fn.io/hold';
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function patchTemplate(metadata: Record<string, unknown>, spec: Record<string, unknown>): Promise<void> {
  await env!.kube.patch(
    { ...MACHINESET, namespace: NS, name: MS },
    { spec: { template: { metadata, spec } } },
    { type: 'merge' },
  );
}

const infra = async (name: string) => env!.kube.get<KubeObject>({ ...LOCAL_MACHINE, namespace: NS, name });

describe('MachineSet in-place propagation', () => {
  it('updates existing Machines and LocalMachines in place, leaves others’ labels, reaches a deleting Machine', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 2 }));
    const before = await waitConverged(env, MS, 2, 90_000);
    const uids = new Map(before.map((m) => [m.metadata.name!, m.metadata.uid]));
    const infraUids = new Map(
      await Promise.all(
        before.map(async (m) => [m.metadata.name!, (await infra(m.metadata.name!)).metadata.uid] as const),
      ),
    );
    // Someone else's label on one Machine: the MachineSet must leave it alone.
    const [first, second] = before as [Machine, Machine];
    await env.kube.patch(
      { ...MACHINE, namespace: NS, name: first.metadata.name! },
      { metadata: { labels: { 'team.example.com/owner': 'ops' } } },
      { type: 'merge', fieldManager: 'kubectl-edit' },
    );

    await patchTemplate(
      { labels: { tier: 'gold' }, annotations: { 'example.com/note': 'v2' } },
      { nodeDrainTimeout: '5m' },
    );
    const updated = await eventually('both Machines and LocalMachines carry the new template', async () => {
      const ms = await machines(env!.kube);
      if (ms.length !== 2) return false;
      for (const m of ms) {
        if (m.metadata.labels?.tier !== 'gold' || m.metadata.annotations?.['example.com/note'] !== 'v2') return false;
        if (m.spec.nodeDrainTimeout !== '5m') return false;
        const i = await infra(m.metadata.name!);
        if (i.metadata.labels?.tier !== 'gold' || i.metadata.annotations?.['example.com/note'] !== 'v2') return false;
      }
      return ms;
    });
    // The same Machines and the same LocalMachines: nothing was replaced.
    for (const m of updated) {
      expect(m.metadata.uid).toBe(uids.get(m.metadata.name!));
      expect((await infra(m.metadata.name!)).metadata.uid).toBe(infraUids.get(m.metadata.name!));
    }

    // The label leaves the template: it leaves the Machines and LocalMachines; the other manager's label stays.
    await patchTemplate({ labels: { tier: null }, annotations: { 'example.com/note': null } }, {});
    await eventually('tier label and note annotation gone everywhere', async () => {
      for (const m of await machines(env!.kube)) {
        if (m.metadata.labels?.tier || m.metadata.annotations?.['example.com/note']) return false;
        const i = await infra(m.metadata.name!);
        if (i.metadata.labels?.tier || i.metadata.annotations?.['example.com/note']) return false;
      }
      return true;
    });
    const owner = await env.kube.get<Machine>({ ...MACHINE, namespace: NS, name: first.metadata.name! });
    expect(owner.metadata.labels?.['team.example.com/owner']).toBe('ops');
    expect(owner.metadata.labels?.['cluster.x-k8s.io/set-name']).toBe(MS);

    // A Machine held in deletion by someone's finalizer still gets the new drain timeout.
    const key = { ...MACHINE, namespace: NS, name: second.metadata.name! };
    const live = await env.kube.get<Machine>(key);
    await env.kube.patch(
      key,
      { metadata: { finalizers: [...(live.metadata.finalizers ?? []), HOLD] } },
      { type: 'merge' },
    );
    await env.kube.delete(key);
    await eventually(
      'the Machine is deleting',
      async () => !!(await env!.kube.get<Machine>(key)).metadata.deletionTimestamp,
    );
    await patchTemplate({}, { nodeDrainTimeout: '2h' });
    await eventually('the deleting Machine has the new drain timeout', async () => {
      const m = await env!.kube.get<Machine>(key);
      return m.spec.nodeDrainTimeout === '2h';
    });
    const held = await env.kube.get<Machine>(key);
    expect(held.metadata.uid).toBe(uids.get(second.metadata.name!));
    await env.kube.patch(
      key,
      { metadata: { finalizers: (held.metadata.finalizers ?? []).filter((f) => f !== HOLD) } },
      { type: 'merge' },
    );
    expect(await env.bus.deadLetters()).toEqual([]);
  });
});
