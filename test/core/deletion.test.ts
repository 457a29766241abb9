// Deleting a Cluster that has a MachineDeployment. No MachineDeployment controller runs yet, so nothing makes the
// MachineDeployment owned by its Cluster as upstream's would; the Cluster deletes it anyway (its MachineSet follows
// by garbage collection, the Machines by the MachineSet) instead of waiting for it forever. The Cluster's
// upstream Events tell the story. A deleting MachineSet keeps its status (replicas, the v1beta2 Deleting condition)
// up to date while its Machines go, as upstream's deferred status update does. A released Machine's last status is
// written only while another finalizer keeps it: otherwise no one would see it but its MachineSet, woken for nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { EVENTS_V1, type EventV1 } from '../../shared/kube/events.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, machineSet, NS, sampleObjects } from '../support/sample.ts';
import { MACHINESET, machines } from './observe.ts';

const CAPI = 'cluster.x-k8s.io/v1beta1';
const CLUSTER_REF = { apiVersion: CAPI, kind: 'Cluster', namespace: NS, name: CLUSTER };
const MD = { apiVersion: CAPI, kind: 'MachineDeployment' };
const MD_NAME = `${CLUSTER}-worker-md`;
const MD_SET = `${MD_NAME}-5b7f9`;
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('Cluster deletion with a MachineDeployment', () => {
  it('deletes the unowned MachineDeployment, its MachineSet and Machines, then the Cluster', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const template = sampleObjects().find((o) => o.kind === 'LocalMachineTemplate')!.metadata.name!;
    const set = machineSet({ namespace: NS, cluster: CLUSTER, name: MD_SET, template, replicas: 1 });
    const md = await env.kube.create<KubeObject>({
      ...MD,
      metadata: { name: MD_NAME, namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
      spec: {
        clusterName: CLUSTER,
        replicas: 1,
        selector: (set as { spec: { selector: unknown } }).spec.selector,
        template: (set as { spec: { template: unknown } }).spec.template,
      },
    });
    // The MachineSet a MachineDeployment controller would have made: controlled by the MachineDeployment.
    await env.kube.create({
      ...set,
      metadata: {
        ...set.metadata,
        ownerReferences: [
          { apiVersion: CAPI, kind: 'MachineDeployment', name: MD_NAME, uid: md.metadata.uid!, controller: true },
        ],
      },
    });
    await eventually('2 Running Machines: the sample’s and the MachineDeployment’s', async () => {
      const ms = await machines(env!.kube);
      return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running');
    });

    await env.kube.delete(CLUSTER_REF);
    await eventually(
      'the Cluster and everything under it gone',
      async () => {
        const left = [
          ...(await env!.kube.listAll(CLUSTER_REF, { namespace: NS })).items,
          ...(await env!.kube.listAll(MD, { namespace: NS })).items,
          ...(await env!.kube.listAll(MACHINESET, { namespace: NS })).items,
          ...(await machines(env!.kube)),
        ];
        return left.length === 0;
      },
      { timeoutMs: 60_000 },
    );

    const events = (await env.kube.listAll<EventV1>(EVENTS_V1, { namespace: NS })).items
      .filter((e) => e.regarding?.kind === 'Cluster')
      .map((e) => [e.reason, e.note]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['InfrastructureReady', `Cluster ${CLUSTER} InfrastructureReady is now True`],
        ['Provisioned', `Cluster ${CLUSTER} is Provisioned`],
        ['Deleting', `Cluster ${CLUSTER} is Deleting`],
        ['Deleted', `Cluster ${CLUSTER} has been deleted`],
      ]),
    );
  });
});

describe('a deleting MachineSet', () => {
  it('keeps its status up to date while its Machines go', { timeout: 120_000 }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 2 }));
    const name = `${CLUSTER}-worker-local-a`;
    await eventually('2 Running Machines', async () => {
      const ms = await machines(env!.kube);
      return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running');
    });
    // A finalizer of someone else's holds one Machine back.
    const [held] = await machines(env.kube);
    const HOLD = 'test.capi-fn.io/hold';
    await env.kube.patch(
      { apiVersion: CAPI, kind: 'Machine', namespace: NS, name: held!.metadata.name! },
      { metadata: { finalizers: [...(held!.metadata.finalizers ?? []), HOLD] } },
      { type: 'merge' },
    );
    await env.kube.delete({ ...MACHINESET, namespace: NS, name });
    type SetStatus = {
      replicas?: number;
      v1beta2?: { conditions?: Array<{ type: string; status: string; message: string }> };
    };
    const status = await eventually('status: 1 replica, Deleting 1 Machine', async () => {
      const ms = await env!.kube.get<KubeObject & { status?: SetStatus }>({ ...MACHINESET, namespace: NS, name });
      const deleting = ms.status?.v1beta2?.conditions?.find((c) => c.type === 'Deleting');
      return ms.status?.replicas === 1 && deleting?.message === 'Deleting 1 Machine' ? ms.status : false;
    });
    expect(status.v1beta2?.conditions?.find((c) => c.type === 'Deleting')?.status).toBe('True');
    const m = await env.kube.get<KubeObject>({
      apiVersion: CAPI,
      kind: 'Machine',
      namespace: NS,
      name: held!.metadata.name!,
    });
    await env.kube.update({
      ...m,
      metadata: { ...m.metadata, finalizers: m.metadata.finalizers!.filter((f) => f !== HOLD) },
    });
    await eventually(
      'the MachineSet gone',
      async () => (await env!.kube.listAll(MACHINESET, { namespace: NS })).items.length === 0,
    );
  });

  it('writes a released Machine’s last status only while another finalizer keeps it', {
    timeout: 120_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 2 }));
    const ms = await eventually('2 Running Machines', async () => {
      const l = await machines(env!.kube);
      return l.length === 2 && l.every((m) => m.status?.phase === 'Running') ? l : false;
    });
    const [held, free] = ms.map((m) => m.metadata.name!) as [string, string];
    const key = (name: string) => ({ apiVersion: CAPI, kind: 'Machine', namespace: NS, name });
    const HOLD = 'test.capi-fn.io/hold';
    await env.kube.patch(
      key(held),
      { metadata: { finalizers: [...ms[0]!.metadata.finalizers!, HOLD] } },
      { type: 'merge' },
    );
    // Scaled to zero: both go.
    const mark = env.ledger.writes.length;
    await env.kube.patch(
      { ...MACHINESET, namespace: NS, name: `${CLUSTER}-worker-local-a` },
      { spec: { replicas: 0 } },
      { type: 'merge' },
    );
    await eventually('the free Machine gone', async () => !(await env!.kube.find(key(free))));
    type Conditions = { status?: { conditions?: Array<{ type: string; reason?: string }> } };
    const released = await eventually('the held Machine released by capi-fn', async () => {
      const m = await env!.kube.get<KubeObject & Conditions>(key(held));
      return m.metadata.finalizers?.join() === HOLD ? m : false;
    });
    // Held: its last status says the infrastructure is gone.
    expect(released.status?.conditions?.find((c) => c.type === 'InfrastructureReady')?.reason).toBe('Deleted');
    // Free: no status write said so; the release was its last write.
    const statusWrites = (name: string) =>
      env!.ledger.writes.filter(
        (w) => w.handler === 'machine' && w.path.split('?')[0]!.endsWith(`/machines/${name}/status`),
      );
    const saidDeleted = (w: { body?: string }) =>
      (JSON.parse(w.body ?? '{}') as Conditions).status?.conditions?.some(
        (c) => c.type === 'InfrastructureReady' && c.reason === 'Deleted',
      );
    expect(statusWrites(held).some(saidDeleted)).toBe(true);
    expect(statusWrites(free).some(saidDeleted)).toBe(false);
    // Its Node drained at once (nothing to evict), so the run that drained it and asked for its infrastructure
    // machine's deletion wrote its status once, and told of the drain after that write.
    const deletion = env.ledger.writes.slice(mark);
    const freeStatus = deletion.filter((w) => statusWrites(free).includes(w));
    expect(freeStatus).toHaveLength(1);
    const drained = deletion.findIndex(
      (w) =>
        w.handler === 'machine' &&
        w.path.includes('/events') &&
        w.body?.includes('SuccessfulDrainNode') &&
        w.body.includes(free),
    );
    expect(drained).toBeGreaterThan(deletion.indexOf(freeStatus[0]!));
    const last = env.ledger.writes
      .filter((w) => w.handler === 'machine' && w.path.includes(`/machines/${free}`))
      .at(-1);
    expect(last?.method).toBe('PUT');
    expect(last!.path.split('?')[0]!.endsWith(`/machines/${free}`)).toBe(true);
    expect(JSON.parse(last!.body!).metadata.finalizers ?? []).toEqual([]);
    await env.kube.patch(key(held), { metadata: { finalizers: [] } }, { type: 'merge' });
    expect(await env.bus.deadLetters()).toEqual([]);
  });
});
