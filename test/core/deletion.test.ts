// Deleting a Cluster that has a MachineDeployment. No MachineDeployment controller runs yet, so nothing makes the
// MachineDeployment owned by its Cluster as upstream's would; the Cluster deletes it anyway (its MachineSet follows
// by garbage collection, the Machines by the MachineSet) instead of waiting for it forever. The Cluster's
// upstream Events tell the story. A deleting MachineSet keeps its status (replicas, the v1beta2 Deleting condition)
// up to date while its Machines go, as upstream's deferred status update does.
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
});
