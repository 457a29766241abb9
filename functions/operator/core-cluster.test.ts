import { describe, expect, it } from 'vitest';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { validateObject } from '../../shared/api/registry.ts';
import { desiredCluster, parseEndpoint, withControlPlaneInitialized } from './core-cluster.ts';

describe('parseEndpoint', () => {
  it.each([
    ['https://api-int.ocp.example.com:6443', { host: 'api-int.ocp.example.com', port: 6443 }],
    ['https://127.0.0.1:40123', { host: '127.0.0.1', port: 40123 }],
    ['https://[fd00::5]:6443', { host: 'fd00::5', port: 6443 }],
    ['https://api-int.example.com', { host: 'api-int.example.com', port: 443 }],
    ['http://api-int.example.com', { host: 'api-int.example.com', port: 80 }],
  ])('%s', (uri, want) => {
    expect(parseEndpoint(uri)).toEqual(want);
  });

  it.each([undefined, '', 'api-int:6443', 'not a url', 'ftp://x', 'https://'])('%s has no endpoint', (uri) => {
    expect(parseEndpoint(uri)).toBeUndefined();
  });
});

describe('desiredCluster', () => {
  it('is named after the cluster ID and points at the platform’s infrastructure cluster', () => {
    const c = desiredCluster({
      infrastructureName: 'ocp-aws-7xk2p',
      provider: PLATFORM_PROVIDERS.AWS!,
      endpoint: { host: 'api-int.ocp-aws.example.com', port: 6443 },
    });
    expect(c).toEqual({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: 'ocp-aws-7xk2p', namespace: 'openshift-cluster-api' },
      spec: {
        controlPlaneEndpoint: { host: 'api-int.ocp-aws.example.com', port: 6443 },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
          kind: 'AWSCluster',
          name: 'ocp-aws-7xk2p',
          namespace: 'openshift-cluster-api',
        },
      },
    });
    expect(validateObject(c).ok).toBe(true);
    const bm = desiredCluster({
      infrastructureName: 'x',
      provider: PLATFORM_PROVIDERS.BareMetal!,
      endpoint: { host: 'h', port: 1 },
    });
    expect(bm.spec?.infrastructureRef).toMatchObject({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'Metal3Cluster',
    });
  });
});

describe('withControlPlaneInitialized', () => {
  const now = new Date('2026-11-23T10:00:00.400Z');
  it('adds the condition when absent, keeping the others', () => {
    const out = withControlPlaneInitialized(
      [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      now,
    );
    expect(out?.find((c) => c.type === 'ControlPlaneInitialized')).toEqual({
      type: 'ControlPlaneInitialized',
      status: 'True',
      lastTransitionTime: '2026-11-23T10:00:00Z',
    });
    expect(out?.map((c) => c.type)).toEqual(['Ready', 'ControlPlaneInitialized']);
  });

  it('turns a False condition True', () => {
    const out = withControlPlaneInitialized(
      [
        {
          type: 'ControlPlaneInitialized',
          status: 'False',
          reason: 'MissingNodeRef',
          severity: 'Info',
          lastTransitionTime: 't',
        },
      ],
      now,
    );
    expect(out).toEqual([
      { type: 'ControlPlaneInitialized', status: 'True', lastTransitionTime: '2026-11-23T10:00:00Z' },
    ]);
  });

  it('is sticky: nothing to write once True', () => {
    expect(
      withControlPlaneInitialized([{ type: 'ControlPlaneInitialized', status: 'True', lastTransitionTime: 't' }], now),
    ).toBeUndefined();
  });
});
