import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { APPLIED_HASH_ANNOTATION, containsIntent, desiredCrds, needsApply, withAppliedHash } from './install.ts';
import { desiredMutatingConfiguration, desiredValidatingConfiguration, WebhookNames } from './webhook-config.ts';

describe('desiredCrds', () => {
  it('core CRDs labelled cluster-api, provider CRDs labelled infrastructure-<provider>', () => {
    const crds = desiredCrds(PLATFORM_PROVIDERS.GCP!);
    const labels = Object.fromEntries(
      crds.map((c) => [c.metadata.name, c.metadata.labels?.['cluster.x-k8s.io/provider']]),
    );
    expect(labels).toEqual({
      'clusters.cluster.x-k8s.io': 'cluster-api',
      'machinesets.cluster.x-k8s.io': 'cluster-api',
      'machines.cluster.x-k8s.io': 'cluster-api',
      'machinehealthchecks.cluster.x-k8s.io': 'cluster-api',
      'machinedeployments.cluster.x-k8s.io': 'cluster-api',
      'machinedrainrules.cluster.x-k8s.io': 'cluster-api',
      'gcpclusters.infrastructure.cluster.x-k8s.io': 'infrastructure-gcp',
      'gcpmachines.infrastructure.cluster.x-k8s.io': 'infrastructure-gcp',
      'gcpmachinetemplates.infrastructure.cluster.x-k8s.io': 'infrastructure-gcp',
    });
    for (const c of crds) expect(c.metadata.annotations?.[APPLIED_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('needsApply', () => {
  const desired = withAppliedHash({
    apiVersion: 'v1',
    kind: 'X',
    metadata: { name: 'n', labels: { a: 'b' } },
    spec: { list: [{ k: 1 }], s: 'v' },
  });
  const stored = (patch: (o: KubeObject & { spec: Record<string, unknown> }) => void = () => {}) => {
    const o = structuredClone(desired) as KubeObject & { spec: Record<string, unknown> };
    o.metadata = { ...o.metadata, resourceVersion: '5', uid: 'u', generation: 2 };
    o.spec.serverDefault = true;
    o.status = { conditions: [] };
    patch(o);
    return o;
  };
  it.each([
    ['absent', undefined, true],
    ['as applied, plus server defaults and status', stored(), false],
    [
      'applied from another intent (upgrade)',
      stored((o) => (o.metadata.annotations = { [APPLIED_HASH_ANNOTATION]: 'old' })),
      true,
    ],
    ['a set field drifted', stored((o) => (o.spec.s = 'edited')), true],
    ['a list element drifted', stored((o) => (o.spec.list = [{ k: 2 }])), true],
    ['a list grew', stored((o) => (o.spec.list = [{ k: 1 }, { k: 3 }])), true],
    ['a label removed', stored((o) => (o.metadata.labels = {})), true],
    ['an extra label', stored((o) => (o.metadata.labels = { a: 'b', c: 'd' })), false],
  ])('%s → %s', (_n, current, want) => {
    expect(needsApply(current, desired)).toBe(want);
  });

  it('the hash depends on the intent only', () => {
    const a = withAppliedHash({ metadata: { name: 'n' }, spec: { x: 1 } });
    const b = withAppliedHash({ metadata: { name: 'n' }, spec: { x: 2 } });
    expect(a.metadata.annotations?.[APPLIED_HASH_ANNOTATION]).not.toBe(
      b.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    );
    expect(withAppliedHash({ metadata: { name: 'n' }, spec: { x: 1 } })).toEqual(a);
  });

  it('containsIntent treats scalars strictly', () => {
    expect(containsIntent({ a: 0 }, { a: false })).toBe(false);
    expect(containsIntent({ a: null }, { a: null })).toBe(true);
    expect(containsIntent([1], { 0: 1 })).toBe(false);
  });
});

describe('webhook configurations', () => {
  const ep = { url: 'https://127.0.0.1:9443/', caPem: 'PEM' };
  const token = 'T'.repeat(43);
  it('send the Cluster API groups to /<token>/mutate and /<token>/validate, FeatureGate updates to /<token>/validate', () => {
    const m = desiredMutatingConfiguration(ep, token) as KubeObject & { webhooks: Array<Record<string, unknown>> };
    const v = desiredValidatingConfiguration(ep, token) as KubeObject & { webhooks: Array<Record<string, unknown>> };
    expect(m.webhooks.map((w) => w.name)).toEqual([WebhookNames.defaulting]);
    expect(v.webhooks.map((w) => w.name)).toEqual([WebhookNames.validating, WebhookNames.featureGate]);
    expect(m.webhooks[0]!.clientConfig).toEqual({
      url: `https://127.0.0.1:9443/${token}/mutate`,
      caBundle: Buffer.from('PEM').toString('base64'),
    });
    expect(v.webhooks[0]!.clientConfig).toMatchObject({ url: `https://127.0.0.1:9443/${token}/validate` });
    expect(v.webhooks[1]!.clientConfig).toMatchObject({ url: `https://127.0.0.1:9443/${token}/validate` });
    const groups = (w: Record<string, unknown>) =>
      (w.rules as Array<{ apiGroups: string[] }>).flatMap((r) => r.apiGroups);
    expect(groups(m.webhooks[0]!)).toEqual(['cluster.x-k8s.io', 'infrastructure.cluster.x-k8s.io']);
    expect(groups(v.webhooks[1]!)).toEqual(['config.openshift.io']);
    for (const w of [...m.webhooks, ...v.webhooks]) {
      expect(w).toMatchObject({
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
      });
      // No subresources: status writes never wait for the webhook.
      for (const r of w.rules as Array<{ resources: string[] }>)
        for (const res of r.resources) expect(res).not.toContain('/');
    }
  });
  it('without a CA no caBundle (the API server’s system roots)', () => {
    const m = desiredMutatingConfiguration({ url: 'https://hooks.example.com' }, token) as KubeObject & {
      webhooks: Array<{ clientConfig: object }>;
    };
    expect(m.webhooks[0]!.clientConfig).toEqual({ url: `https://hooks.example.com/${token}/mutate` });
  });
});
