import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CLUSTER_SECRET_TYPE,
  desiredKubeconfigSecret,
  KubeconfigAnnotations,
  kubeconfigStale,
  renderKubeconfig,
  rotationDueInMs,
  targetDigest,
} from './kubeconfig.ts';

const target = {
  server: 'https://api-int.example.com:6443',
  caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};
const t0 = new Date('2026-11-23T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('renderKubeconfig', () => {
  it('has the operator’s cluster, user and default namespace', () => {
    const kc = parse(renderKubeconfig('ocp-7xk2p', target, 'tok')) as Record<string, unknown>;
    expect(kc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'ocp-7xk2p',
          cluster: {
            server: target.server,
            'certificate-authority-data': Buffer.from(target.caPem).toString('base64'),
          },
        },
      ],
      contexts: [
        {
          name: 'cluster-capi-operator@ocp-7xk2p',
          context: { cluster: 'ocp-7xk2p', user: 'cluster-capi-operator', namespace: 'openshift-cluster-api' },
        },
      ],
      'current-context': 'cluster-capi-operator@ocp-7xk2p',
      users: [{ name: 'cluster-capi-operator', user: { token: 'tok' } }],
    });
  });
  it('omits the CA when there is none (system roots)', () => {
    const kc = parse(renderKubeconfig('c', { server: 's', caPem: undefined }, 't')) as {
      clusters: Array<{ cluster: object }>;
    };
    expect(kc.clusters[0]!.cluster).toEqual({ server: 's' });
  });
});

describe('the kubeconfig Secret', () => {
  const secret = desiredKubeconfigSecret('ocp-7xk2p', target, 'tok', t0);
  it('is a cluster.x-k8s.io/secret named <infraName>-kubeconfig with the cluster-name label and key value', () => {
    expect(secret.metadata).toMatchObject({
      name: 'ocp-7xk2p-kubeconfig',
      namespace: 'openshift-cluster-api',
      labels: { 'cluster.x-k8s.io/cluster-name': 'ocp-7xk2p' },
    });
    expect(secret.type).toBe(CLUSTER_SECRET_TYPE);
    expect(Buffer.from(secret.data!.value!, 'base64').toString()).toBe(renderKubeconfig('ocp-7xk2p', target, 'tok'));
  });

  it('static credentials: stale only when the rendered kubeconfig changes', () => {
    const opts = { now: later(24 * 3600_000), staticToken: 'tok' };
    expect(kubeconfigStale(secret, 'ocp-7xk2p', target, opts)).toBe(false);
    expect(kubeconfigStale(secret, 'ocp-7xk2p', target, { ...opts, staticToken: 'rotated' })).toBe(true);
    expect(kubeconfigStale(secret, 'ocp-7xk2p', { ...target, server: 'https://other:6443' }, opts)).toBe(true);
    expect(kubeconfigStale(undefined, 'ocp-7xk2p', target, opts)).toBe(true);
    expect(kubeconfigStale({ ...secret, type: 'Opaque' }, 'ocp-7xk2p', target, opts)).toBe(true);
    expect(
      kubeconfigStale({ ...secret, metadata: { ...secret.metadata, labels: {} } }, 'ocp-7xk2p', target, opts),
    ).toBe(true);
  });

  it('minted tokens: re-minted after 30 minutes, or when server or CA change', () => {
    expect(kubeconfigStale(secret, 'ocp-7xk2p', target, { now: later(29 * 60_000) })).toBe(false);
    expect(kubeconfigStale(secret, 'ocp-7xk2p', target, { now: later(30 * 60_000) })).toBe(true);
    expect(kubeconfigStale(secret, 'ocp-7xk2p', { ...target, caPem: 'other' }, { now: later(1) })).toBe(true);
    const noStamp = {
      ...secret,
      metadata: { ...secret.metadata, annotations: { [KubeconfigAnnotations.target]: targetDigest(target) } },
    };
    expect(kubeconfigStale(noStamp, 'ocp-7xk2p', target, { now: later(1) })).toBe(true);
    expect(rotationDueInMs(secret, later(10 * 60_000))).toBe(20 * 60_000);
    expect(rotationDueInMs(secret, later(40 * 60_000))).toBe(0);
    expect(rotationDueInMs(undefined, t0)).toBeUndefined();
  });
});
