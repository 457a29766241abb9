// Deleting a Cluster that has a MachineDeployment. No MachineDeployment controller runs yet, so nothing makes the
// MachineDeployment owned by its Cluster as upstream's would; the Cluster deletes it anyway (its MachineSet follows
// by garbage collection, the Machines by the MachineSet) instead of waiting for it forever. The Cluster's
// upstream Events tell the story.
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
