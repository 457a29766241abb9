// A Cluster with spec.controlPlaneRef (upstream users with a control plane provider; OpenShift has none): the
// Cluster controls the control plane object, follows its status.ready and status.initialized into ControlPlaneReady
// and ControlPlaneInitialized, takes its controlPlaneEndpoint while it has none, and on deletion removes the
// workers, then the control plane, then the infrastructure cluster. The test plays the control plane provider.
import { afterEach, describe, expect, it } from 'vitest';
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { foreignCrd } from '../support/foreign-crd.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINESET, machines, waitConverged } from './observe.ts';

const GROUP = 'controlplane.cluster.x-k8s.io';
const KCP = { apiVersion: `${GROUP}/v1beta1`, kind: 'KubeadmControlPlane' };
const CP_NAME = `${CLUSTER}-control-plane`;
const CP_KEY = { ...KCP, namespace: NS, name: CP_NAME };
const CLUSTER_KEY = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace: NS, name: CLUSTER };
const INFRA_KEY = {
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'LocalCluster',
  namespace: NS,
  name: CLUSTER,
};
const HOLD = 'test.capi-fn.io/hold';
const ENDPOINT = { host: 'cp.example.test', port: 6443 };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

interface ControlPlane extends KubeObject {
  status?: { ready?: boolean; initialized?: boolean };
}

const condition = (c: Cluster, type: string) => c.status?.conditions?.find((x) => x.type === type);

describe('Cluster with a controlPlaneRef', () => {
  it('follows the control plane, takes its endpoint, and deletes it between workers and infrastructure', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await env.kube.create(foreignCrd(GROUP, 'KubeadmControlPlane', 'kubeadmcontrolplanes'));
    await eventually('KubeadmControlPlane served', async () => {
      try {
        await env!.kube.list(KCP, { namespace: NS });
        return true;
      } catch {
        return false;
      }
    });
    // Neither the Cluster nor its LocalCluster has an endpoint: the control plane provider will give it.
    const objs = sampleObjects({ replicas: 1 }).map((o) => {
      if (o.kind !== 'Cluster' && o.kind !== 'LocalCluster') return o;
      const spec = { ...(o as { spec: Record<string, unknown> }).spec };
      delete spec.controlPlaneEndpoint;
      if (o.kind === 'Cluster') spec.controlPlaneRef = { ...KCP, name: CP_NAME, namespace: NS };
      return { ...o, spec } as KubeObject;
    });
    await createAll(env.kube, objs);
    await env.kube.create({
      ...KCP,
      metadata: { name: CP_NAME, namespace: NS, finalizers: [HOLD] },
      spec: { replicas: 3, version: 'v1.31.0', controlPlaneEndpoint: ENDPOINT },
    } as KubeObject);

    const waiting = await eventually('the Cluster waits for the control plane provider', async () => {
      const c = await env!.kube.get<Cluster>(CLUSTER_KEY);
      return condition(c, 'ControlPlaneReady')?.reason === 'WaitingForControlPlane' &&
        condition(c, 'ControlPlaneInitialized')?.reason === 'WaitingForControlPlaneProviderInitialized'
        ? c
        : false;
    });
    expect(waiting.status?.controlPlaneReady).toBeFalsy();
    expect(waiting.spec?.controlPlaneEndpoint?.host ?? '').toBe('');
    const cp = await env.kube.get<ControlPlane>(CP_KEY);
    expect(cp.metadata.ownerReferences?.find((r) => r.controller)?.uid).toBe(waiting.metadata.uid);
    expect(cp.metadata.labels?.['cluster.x-k8s.io/cluster-name']).toBe(CLUSTER);

    // The provider reports the control plane initialized and ready.
    await eventually('control plane marked ready', async () => {
      const live = await env!.kube.get<ControlPlane>(CP_KEY);
      try {
        await env!.kube.updateStatus({ ...live, status: { ready: true, initialized: true } });
        return true;
      } catch {
        return false;
      }
    });
    const ready = await eventually('the Cluster is Provisioned with the control plane’s endpoint', async () => {
      const c = await env!.kube.get<Cluster>(CLUSTER_KEY);
      return c.status?.phase === 'Provisioned' && c.status.controlPlaneReady ? c : false;
    });
    expect(ready.spec?.controlPlaneEndpoint).toEqual(ENDPOINT);
    expect(condition(ready, 'ControlPlaneReady')?.status).toBe('True');
    expect(condition(ready, 'ControlPlaneInitialized')?.status).toBe('True');
    expect(condition(ready, 'Ready')?.status).toBe('True');
    await waitConverged(env, `${CLUSTER}-worker-local-a`, 1, 90_000);

    // Deletion: workers, then the control plane (held here by the provider's finalizer), then the infrastructure.
    await env.kube.delete(CLUSTER_KEY);
    await eventually('workers gone, the control plane deleting, the infrastructure cluster kept', async () => {
      const sets = (await env!.kube.listAll(MACHINESET, { namespace: NS })).items;
      const live = await env!.kube.find(CP_KEY);
      return sets.length === 0 && (await machines(env!.kube)).length === 0 && !!live?.metadata.deletionTimestamp;
    });
    expect((await env.kube.get(INFRA_KEY)).metadata.deletionTimestamp).toBeUndefined();
    const held = await env.kube.get(CP_KEY);
    await env.kube.patch(
      CP_KEY,
      { metadata: { finalizers: (held.metadata.finalizers ?? []).filter((f) => f !== HOLD) } },
      {
        type: 'merge',
      },
    );
    await eventually(
      'the Cluster and its LocalCluster gone',
      async () => !(await env!.kube.find(CLUSTER_KEY)) && !(await env!.kube.find(INFRA_KEY)),
      { timeoutMs: 60_000 },
    );
    expect(await env.bus.deadLetters()).toEqual([]);
  });
});
