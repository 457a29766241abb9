import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { PLATFORM_PROVIDERS, type PlatformType } from '../../shared/api/openshift/constants.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import { validateObject } from '../../shared/api/registry.ts';
import { formatFieldErrors } from '../../shared/api/validate.ts';
import { fixture } from '../../test/fixtures/index.ts';
import { ownsInfraClusterReadiness, providerNamed } from '../providers/index.ts';
import { parseEndpoint } from './core-cluster.ts';
import { type InfraClusterInputs, needsReadyMark, operatorOwnsReadiness, planInfraCluster } from './infra-cluster.ts';

const INFRA_FIXTURE: Record<string, number> = {
  AWS: 0,
  GCP: 1,
  Azure: 2,
  OpenStack: 3,
  VSphere: 4,
  BareMetal: 5,
  Local: 8,
};

function inputs(platform: PlatformType, extra: Partial<InfraClusterInputs> = {}): InfraClusterInputs {
  const infrastructure = fixture('openshift/02-infrastructure.yaml', INFRA_FIXTURE[platform]) as Infrastructure;
  return {
    infrastructureName: infrastructure.status!.infrastructureName!,
    provider: PLATFORM_PROVIDERS[platform]!,
    infrastructure,
    endpoint: parseEndpoint(infrastructure.status?.apiServerInternalURI),
    mapiProviderSpec: undefined,
    secrets: {},
    ...extra,
  };
}

function plan(platform: PlatformType, extra: Partial<InfraClusterInputs> = {}) {
  const p = planInfraCluster(inputs(platform, extra));
  if (!p.ok) throw new Error(`missing: ${p.missing.join('; ')}`);
  for (const o of [...p.prerequisites, p.infraCluster].filter((x) => x.kind !== 'Secret')) {
    const v = validateObject(o);
    if (!v.ok) throw new Error(`${o.kind} does not validate: ${formatFieldErrors(v.errors)}`);
  }
  return p;
}

const MANAGED = { 'cluster.x-k8s.io/managed-by': 'cluster-capi-operator-infracluster-controller' };

describe('planInfraCluster, per platform (openshift-capi.md §1.6)', () => {
  it('AWS: region, endpoint, controller identity; no managed-by (capi-fn’s AWS provider owns readiness)', () => {
    const p = plan('AWS');
    expect(p.managed).toBe(false);
    expect(p.infraCluster).toEqual({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSCluster',
      metadata: { name: 'ocp-aws-7xk2p', namespace: 'openshift-cluster-api' },
      spec: {
        region: 'us-east-1',
        controlPlaneEndpoint: { host: 'api-int.ocp-aws.example.com', port: 6443 },
        identityRef: { kind: 'AWSClusterControllerIdentity', name: 'default' },
      },
    });
  });

  it('GCP: project and region from platformStatus, network from the MAPI providerSpec; no managed-by (capi-fn’s GCP provider owns readiness)', () => {
    const p = plan('GCP', { mapiProviderSpec: { networkInterfaces: [{ network: 'ocp-gcp-4wq8n-network' }] } });
    expect(p.managed).toBe(false);
    expect(p.infraCluster.metadata.annotations).toBeUndefined();
    expect(p.infraCluster.spec).toEqual({
      project: 'openshift-gce-devel',
      region: 'us-central1',
      controlPlaneEndpoint: { host: 'api-int.ocp-gcp.example.com', port: 6443 },
      network: { name: 'ocp-gcp-4wq8n-network' },
    });
  });

  it('GCP: the project falls back to the providerSpec projectID', () => {
    const i = inputs('GCP', { mapiProviderSpec: { projectID: 'from-mapi' } });
    (i.infrastructure.status!.platformStatus!.gcp as { projectID: string }).projectID = '';
    const p = planInfraCluster(i);
    expect(p.ok && p.infraCluster.spec).toMatchObject({ project: 'from-mapi' });
  });

  it('Azure: credential Secret and AzureClusterIdentity first, then the AzureCluster; no managed-by (capi-fn’s Azure provider owns readiness)', () => {
    const p = plan('Azure', {
      mapiProviderSpec: {
        location: 'eastus',
        resourceGroup: 'ocp-az-9m4tx-rg',
        vnet: 'ocp-az-vnet',
        networkResourceGroup: 'net-rg',
      },
      secrets: {
        'openshift-cluster-api/capz-manager-bootstrap-credentials': {
          azure_client_id: 'cid',
          azure_tenant_id: 'tid',
          azure_client_secret: 's3cret',
          azure_subscription_id: 'sub-1',
        },
      },
    });
    expect(p.prerequisites.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/capz-manager-cluster-credential',
      'AzureClusterIdentity/ocp-az-9m4tx',
    ]);
    const [secret, identity] = p.prerequisites as [
      KubeObject & { data: Record<string, string>; immutable: boolean },
      KubeObject,
    ];
    expect(secret.immutable).toBe(true);
    expect(Buffer.from(secret.data.clientSecret!, 'base64').toString()).toBe('s3cret');
    expect(identity.spec).toEqual({
      type: 'ServicePrincipal',
      allowedNamespaces: { list: ['openshift-cluster-api'] },
      clientID: 'cid',
      tenantID: 'tid',
      clientSecret: { name: 'capz-manager-cluster-credential', namespace: 'openshift-cluster-api' },
    });
    expect(p.infraCluster.metadata.annotations).toBeUndefined();
    expect(p.infraCluster.spec).toEqual({
      location: 'eastus',
      // OpenShift leaves it unset (CAPZ reads AZURE_SUBSCRIPTION_ID); capi-fn's functions read it here.
      subscriptionID: 'sub-1',
      azureEnvironment: 'AzurePublicCloud',
      identityRef: { kind: 'AzureClusterIdentity', name: 'ocp-az-9m4tx', namespace: 'openshift-cluster-api' },
      resourceGroup: 'ocp-az-9m4tx-rg',
      networkSpec: {
        vnet: { name: 'ocp-az-vnet', resourceGroup: 'net-rg' },
        nodeOutboundLB: { name: 'ocp-az-9m4tx', backendPool: { name: 'ocp-az-9m4tx' } },
      },
      controlPlaneEndpoint: { host: 'api-int.ocp-az.example.com', port: 6443 },
    });
  });

  it('Azure: without credentials or location it says what is missing', () => {
    const p = planInfraCluster(inputs('Azure'));
    expect(p.ok).toBe(false);
    expect(!p.ok && p.missing.join('\n')).toMatch(/capz-manager-bootstrap-credentials[\s\S]*location/);
  });

  it('vSphere: identity Secret from kube-system/vsphere-creds, server from the platformSpec; no managed-by (capi-fn’s vSphere provider owns readiness)', () => {
    const p = plan('VSphere', {
      secrets: {
        'kube-system/vsphere-creds': { 'vcenter.example.com.username': 'admin', 'vcenter.example.com.password': 'pw' },
      },
    });
    const [secret] = p.prerequisites as [KubeObject & { data: Record<string, string> }];
    expect(secret.metadata).toEqual({ name: 'ocp-vs-6tz4p', namespace: 'openshift-cluster-api' });
    expect(Buffer.from(secret.data.username!, 'base64').toString()).toBe('admin');
    expect(p.infraCluster.spec).toEqual({
      server: 'vcenter.example.com',
      identityRef: { kind: 'Secret', name: 'ocp-vs-6tz4p' },
      controlPlaneEndpoint: { host: 'api-int.ocp-vs.example.com', port: 6443 },
    });
    expect(p.managed).toBe(false);
    expect(p.infraCluster.metadata.annotations).toBeUndefined();
    const noCreds = planInfraCluster(inputs('VSphere'));
    expect(!noCreds.ok && noCreds.missing[0]).toContain('kube-system/vsphere-creds');
  });

  it('OpenStack: the 4.21 contents; no managed-by (capi-fn’s OpenStack provider owns readiness, as CAPO does from 4.17)', () => {
    const p = plan('OpenStack');
    expect(p.managed).toBe(false);
    expect(p.infraCluster.metadata.annotations).toBeUndefined();
    expect(p.infraCluster.spec).toEqual({
      controlPlaneEndpoint: { host: '10.0.0.5', port: 6443 },
      disableAPIServerFloatingIP: true,
      identityRef: { name: 'openstack-cloud-credentials', cloudName: 'openstack' },
      tags: ['openshiftClusterID=ocp-osp-2hd6r'],
    });
    const i = inputs('OpenStack');
    i.infrastructure.status!.platformStatus!.openstack!.loadBalancer = { type: 'UserManaged' };
    expect(planInfraCluster(i).ok).toBe(false);
  });

  it('bare metal: endpoint and noCloudProvider; no managed-by (capi-fn’s Metal3 provider owns readiness)', () => {
    const p = plan('BareMetal');
    expect(p.managed).toBe(false);
    expect(p.infraCluster.metadata.annotations).toBeUndefined();
    expect(p.infraCluster).toMatchObject({
      kind: 'Metal3Cluster',
      spec: { controlPlaneEndpoint: { host: 'api-int.ocp-bm.example.com', port: 6443 }, noCloudProvider: true },
    });
  });

  it('Local: endpoint only, no managed-by (the local provider marks it ready)', () => {
    const p = plan('Local');
    expect(p.managed).toBe(false);
    expect(p.infraCluster).toEqual({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalCluster',
      metadata: { name: 'capi-fn-local', namespace: 'openshift-cluster-api' },
      spec: { controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 } },
    });
  });

  it('managed-by is set exactly for providers without capi-fn handlers', () => {
    for (const type of ['AWS', 'GCP', 'Azure', 'OpenStack', 'VSphere', 'BareMetal', 'Local'] as const) {
      const provider = PLATFORM_PROVIDERS[type]!.provider;
      expect(ownsInfraClusterReadiness(providerNamed(provider)), type).toBe(
        provider === 'aws' ||
          provider === 'local' ||
          provider === 'metal3' ||
          provider === 'gcp' ||
          provider === 'azure' ||
          provider === 'openstack' ||
          provider === 'vsphere',
      );
    }
  });

  it('without a cluster ID or endpoint nothing is planned', () => {
    const p = planInfraCluster(inputs('BareMetal', { infrastructureName: '', endpoint: undefined }));
    expect(p).toEqual({
      ok: false,
      missing: [
        'Infrastructure status.infrastructureName (the cluster ID)',
        'a parseable Infrastructure status.apiServerInternalURI',
      ],
    });
  });
});

describe('readiness ownership (4.17+)', () => {
  const obj = (annotations?: Record<string, string>, ready?: boolean): KubeObject => ({
    metadata: { name: 'x', ...(annotations ? { annotations } : {}) },
    ...(ready === undefined ? {} : { status: { ready } }),
  });
  it.each([
    ['the operator’s value, not ready', obj(MANAGED), true, true],
    ['the operator’s value, ready', obj(MANAGED, true), true, false],
    ['no annotation (the provider’s)', obj(), false, false],
    ['another manager', obj({ 'cluster.x-k8s.io/managed-by': 'someone-else' }), false, false],
    ['empty value (≤4.16 style)', obj({ 'cluster.x-k8s.io/managed-by': '' }), false, false],
  ])('%s', (_n, o, owns, needs) => {
    expect(operatorOwnsReadiness(o)).toBe(owns);
    expect(needsReadyMark(o)).toBe(needs);
  });
  it('a deleting object is not marked', () => {
    expect(needsReadyMark({ metadata: { name: 'x', annotations: MANAGED, deletionTimestamp: 't' } })).toBe(false);
  });
});
