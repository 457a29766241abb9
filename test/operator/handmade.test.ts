// Objects an administrator made by hand are accepted as they are (4.17+ ownership): the operator creates nothing
// over them, marks ready only what carries its managed-by value, and still declares the control plane
// initialised. Also: without static credentials the kubeconfig step needs the TokenRequest API, and says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { coreKinds, providerKinds } from '../../shared/api/registry.ts';
import { eventually } from '../support/env.ts';
import { condition, type OperatorEnv, startOperatorEnv, waitForOperator } from './support.ts';

const NS = 'openshift-cluster-api';
const NAME = 'ocp-gcp-4wq8n';
const GCP_CLUSTER = {
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'GCPCluster',
  namespace: NS,
  name: NAME,
};
const CLUSTER = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace: NS, name: NAME };

let env: OperatorEnv;
beforeAll(async () => {
  env = await startOperatorEnv({ tokenRequestKubeconfig: true });
  // The GCP and core CRDs exist already (an older install), so the hand-made objects can be created first.
  for (const def of [...coreKinds, ...providerKinds.gcp])
    await env.kube.apply(toCrd(def) as unknown as KubeObject, { fieldManager: 'test' });
  await eventually(
    'GCPCluster served',
    async () => (await env.kube.listAll(GCP_CLUSTER, { namespace: 'default' })) !== undefined,
  );
  await env.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, { fieldManager: 'test' });
  await env.kube.create({
    ...GCP_CLUSTER,
    metadata: { name: NAME, namespace: NS, labels: { owner: 'admin' } },
    spec: { project: 'hand-made', region: 'europe-west4', network: { name: 'admin-net' } },
  });
  await env.kube.create({
    ...CLUSTER,
    metadata: { name: NAME, namespace: NS },
    spec: {
      controlPlaneEndpoint: { host: 'api-int.hand-made.example.com', port: 6443 },
      infrastructureRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'GCPCluster',
        name: NAME,
        namespace: NS,
      },
    },
  });
  await seedOpenShiftObjects(env.kube, {
    platform: 'GCP',
    featureSet: 'TechPreviewNoUpgrade',
    infrastructureName: NAME,
    apiServerURL: env.api.url,
  });
});
afterAll(async () => {
  await env?.stop();
});

describe('hand-made Cluster and infrastructure cluster', () => {
  it('are kept as they are; the operator only declares the control plane initialised', async () => {
    const co = await waitForOperator(env, 'infra and core steps done', (c) =>
      ['InfraClusterControllerAvailable', 'CoreClusterControllerAvailable'].every(
        (t) => condition(c, t)?.status === 'True',
      ),
    );
    expect(condition(co, 'InfraClusterControllerAvailable')?.message).toBe(`GCPCluster ${NS}/${NAME} exists`);
    const cluster = await eventually('ControlPlaneInitialized', async () => {
      const c = await env.kube.get<Cluster>(CLUSTER);
      return c.status?.conditions?.some((x) => x.type === 'ControlPlaneInitialized' && x.status === 'True')
        ? c
        : undefined;
    });
    expect(cluster.spec?.controlPlaneEndpoint).toEqual({ host: 'api-int.hand-made.example.com', port: 6443 });
    const gcp = await env.kube.get(GCP_CLUSTER);
    expect(gcp.spec).toEqual({ project: 'hand-made', region: 'europe-west4', network: { name: 'admin-net' } });
    // No managed-by annotation: readiness belongs to a provider, so the operator leaves it alone.
    expect(gcp.metadata.annotations?.['cluster.x-k8s.io/managed-by']).toBeUndefined();
    expect((gcp.status as { ready?: boolean } | undefined)?.ready).not.toBe(true);
  });

  it('one annotated with the operator’s value is marked ready', async () => {
    await env.kube.patch(
      GCP_CLUSTER,
      { metadata: { annotations: { 'cluster.x-k8s.io/managed-by': 'cluster-capi-operator-infracluster-controller' } } },
      { type: 'merge' },
    );
    await eventually(
      'ready',
      async () => ((await env.kube.get(GCP_CLUSTER)).status as { ready?: boolean } | undefined)?.ready === true,
    );
  });
});

describe('kubeconfig without static credentials', () => {
  it('needs the TokenRequest API, which the embedded server lacks: degraded with what to do', async () => {
    const co = await waitForOperator(
      env,
      'kubeconfig degraded',
      (c) => condition(c, 'KubeconfigControllerDegraded')?.status === 'True',
    );
    expect(condition(co, 'KubeconfigControllerDegraded')?.message).toMatch(
      /does not serve the TokenRequest API \(POST serviceaccounts\/cluster-capi-operator\/token\).*give the operator static credentials/,
    );
    expect(condition(co, 'Degraded')).toMatchObject({ status: 'True', reason: 'SyncingFailed' });
    expect(condition(co, 'Available')?.status).toBe('True');
  });
});
