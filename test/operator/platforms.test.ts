// The operator on the embedded API server: with TechPreviewNoUpgrade it installs the core and the platform's
// CRDs and webhooks, creates the infrastructure cluster and the Cluster, syncs the secrets and reports Available —
// on the embedded default and, by switching the Infrastructure under it (no restart), on all six platforms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operatorResyncEvent, seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { providerForPlatformType } from '../../functions/providers/index.ts';
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { PLATFORM_PROVIDERS, type PlatformType } from '../../shared/api/openshift/constants.ts';
import { providerKinds } from '../../shared/api/registry.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { eventually } from '../support/env.ts';
import { condition, type OperatorEnv, RELEASE, settle, startOperatorEnv, summary, waitForOperator } from './support.ts';

const NS = 'openshift-cluster-api';
const CONVERGED = 'Available=True Progressing=False Degraded=False Upgradeable=False';
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const CORE_CRDS = [
  'clusters',
  'machinesets',
  'machines',
  'machinehealthchecks',
  'machinedeployments',
  'machinedrainrules',
].map((p) => `${p}.cluster.x-k8s.io`);

interface SecretObj extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}
const decode = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

let env: OperatorEnv;
beforeAll(async () => {
  env = await startOperatorEnv({ webhooks: true });
});
afterAll(async () => {
  await env?.stop();
});

async function installedCrds(): Promise<Map<string, string>> {
  const list = await env.kube.listAll(CRD, { labelSelector: 'cluster.x-k8s.io/provider' });
  return new Map(list.items.map((c) => [c.metadata.name!, c.metadata.labels!['cluster.x-k8s.io/provider']!]));
}

function providerCrds(platform: PlatformType): string[] {
  return providerKinds[PLATFORM_PROVIDERS[platform]!.provider].map((k) => `${k.plural}.${k.group}`);
}

describe('the embedded default (platform Local)', () => {
  it('installs, creates the Cluster and LocalCluster, syncs secrets and reports Available', async () => {
    await seedOpenShiftObjects(env.kube, {
      platform: 'Local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: 'capi-fn-local',
      apiServerURL: env.api.url,
    });
    const co = await waitForOperator(env, CONVERGED, (c) => summary(c) === CONVERGED);
    expect(condition(co, 'Upgradeable')).toMatchObject({ reason: 'FeatureSetNotUpgradeable' });
    expect(condition(co, 'Available')?.message).toBe(`Cluster CAPI Operator is available at ${RELEASE}`);
    expect(co.status?.versions).toEqual([{ name: 'operator', version: RELEASE }]);
    expect(co.status?.relatedObjects).toContainEqual({
      group: 'infrastructure.cluster.x-k8s.io',
      resource: 'localclusters',
      namespace: NS,
      name: '',
    });

    // CRDs: the core ones and the local provider's, and nothing of another provider.
    const crds = await installedCrds();
    expect([...crds.keys()].sort()).toEqual([...CORE_CRDS, ...providerCrds('Local')].sort());
    expect(crds.get('clusters.cluster.x-k8s.io')).toBe('cluster-api');
    expect(crds.get('localmachinetemplates.infrastructure.cluster.x-k8s.io')).toBe('infrastructure-local');
    expect(await env.kube.find({ ...CRD, name: 'awsclusters.infrastructure.cluster.x-k8s.io' })).toBeUndefined();

    // Webhook configurations point at the webhook server with its CA.
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const w = await env.kube.get<
        KubeObject & { webhooks: Array<{ clientConfig: { url: string; caBundle: string } }> }
      >({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind,
        name: 'cluster-api.capi-fn.io',
      });
      for (const hook of w.webhooks) {
        expect(hook.clientConfig.url.startsWith(env.webhook!.url)).toBe(true);
        expect(decode(hook.clientConfig.caBundle)).toBe(env.webhook!.caPem);
      }
    }

    // The Cluster, pointing at the LocalCluster the local provider marks ready; the core handler provisions it.
    const cluster = await eventually('Cluster provisioned with ControlPlaneInitialized', async () => {
      const c = await env.kube.find<Cluster>({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        namespace: NS,
        name: 'capi-fn-local',
      });
      const init = c?.status?.conditions?.find((x) => x.type === 'ControlPlaneInitialized');
      return c?.status?.phase === 'Provisioned' && init?.status === 'True' ? c : undefined;
    });
    const endpoint = new URL(env.api.url);
    expect(cluster.spec).toMatchObject({
      controlPlaneEndpoint: { host: endpoint.hostname, port: Number(endpoint.port) },
      infrastructureRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'LocalCluster',
        name: 'capi-fn-local',
        namespace: NS,
      },
    });
    const lc = await env.kube.get({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalCluster',
      namespace: NS,
      name: 'capi-fn-local',
    });
    expect(lc.metadata.annotations?.['cluster.x-k8s.io/managed-by']).toBeUndefined();
    expect((lc.status as { ready?: boolean }).ready).toBe(true);

    // worker-user-data copied in CAPI's bootstrap-data shape.
    const source = await env.kube.get<SecretObj>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'openshift-machine-api',
      name: 'worker-user-data',
    });
    const copy = await env.kube.get<SecretObj>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: NS,
      name: 'worker-user-data',
    });
    expect(copy.data).toEqual({ value: source.data!.userData, format: Buffer.from('ignition').toString('base64') });

    // The kubeconfig Secret works: a client built from it reads the Cluster.
    const kc = await env.kube.get<SecretObj>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: NS,
      name: 'capi-fn-local-kubeconfig',
    });
    expect(kc.type).toBe('cluster.x-k8s.io/secret');
    expect(kc.metadata.labels).toMatchObject({ 'cluster.x-k8s.io/cluster-name': 'capi-fn-local' });
    const cfg = parse(decode(kc.data!.value)) as {
      clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ user: { token: string } }>;
    };
    const client = new KubeClient(
      new HttpsTransport({
        server: cfg.clusters[0]!.cluster.server,
        ca: decode(cfg.clusters[0]!.cluster['certificate-authority-data']),
        namespace: NS,
        credentials: async () => ({ headers: { authorization: `Bearer ${cfg.users[0]!.user.token}` } }),
        description: 'kubeconfig secret',
      }),
    );
    expect(
      (
        await client.get({
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          namespace: NS,
          name: 'capi-fn-local',
        })
      ).metadata.name,
    ).toBe('capi-fn-local');
  });

  it('a replayed or scheduled invocation on the converged system writes nothing', async () => {
    await settle(env);
    const writes = env.operatorWrites().length;
    const runs = env.operatorHost.invocations.get('cluster-capi-operator') ?? 0;
    await env.operatorBus.publish([operatorResyncEvent(), operatorResyncEvent()]);
    await eventually(
      'both resyncs ran',
      async () => (env.operatorHost.invocations.get('cluster-capi-operator') ?? 0) >= runs + 2,
    );
    await settle(env);
    expect(env.operatorWrites().slice(writes)).toEqual([]);
  });
});

describe('the six OpenShift platforms, switched under the running operator', () => {
  const platforms: Array<[PlatformType, string]> = [
    ['AWS', 'ocp-aws-7xk2p'],
    ['GCP', 'ocp-gcp-4wq8n'],
    ['Azure', 'ocp-az-9m4tx'],
    ['OpenStack', 'ocp-osp-2hd6r'],
    ['VSphere', 'ocp-vs-6tz4p'],
    ['BareMetal', 'ocp-bm-3kq7w'],
  ];
  it.each(platforms)('%s: provider CRDs, infrastructure cluster and Cluster %s', async (platform, name) => {
    const provider = PLATFORM_PROVIDERS[platform]!;
    await seedOpenShiftObjects(env.kube, {
      platform,
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: name,
      apiServerURL: env.api.url,
    });
    await waitForOperator(
      env,
      `${platform} converged`,
      (c) =>
        summary(c) === CONVERGED &&
        condition(c, 'InfraClusterControllerAvailable')?.message ===
          `${provider.infraClusterKind} ${NS}/${name} exists` &&
        condition(c, 'CoreClusterControllerAvailable')?.message === `Cluster ${NS}/${name} exists`,
    );
    const crds = await installedCrds();
    for (const crd of providerCrds(platform)) expect(crds.get(crd), crd).toBe(provider.componentLabel);

    const cluster = await env.kube.get<Cluster>({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      namespace: NS,
      name,
    });
    expect(cluster.spec?.infrastructureRef).toEqual({
      apiVersion: provider.infraClusterAPIVersion,
      kind: provider.infraClusterKind,
      name,
      namespace: NS,
    });
    const infra = await env.kube.get({
      apiVersion: provider.infraClusterAPIVersion,
      kind: provider.infraClusterKind,
      namespace: NS,
      name,
    });
    const managedBy = infra.metadata.annotations?.['cluster.x-k8s.io/managed-by'];
    if (providerForPlatformType(platform)?.hasRuntime) {
      // capi-fn's own provider for the platform owns its readiness.
      expect(managedBy).toBeUndefined();
    } else {
      expect(managedBy).toBe('cluster-capi-operator-infracluster-controller');
      expect((infra.status as { ready?: boolean }).ready).toBe(true);
    }
    if (platform === 'Azure') {
      expect(
        await env.kube.find({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: NS,
          name: 'capz-manager-cluster-credential',
        }),
      ).toBeDefined();
      expect(
        await env.kube.find({
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'AzureClusterIdentity',
          namespace: NS,
          name,
        }),
      ).toBeDefined();
    }
    if (platform === 'VSphere') {
      expect(await env.kube.find({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name })).toBeDefined();
    }
  });
});
