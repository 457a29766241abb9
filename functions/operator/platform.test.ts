import { describe, expect, it } from 'vitest';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import { fixture, loadFixtures } from '../../test/fixtures/index.ts';
import { allInstallableCrdNames, detectPlatform, kindsToInstall } from './platform.ts';

const infra = (type: string, extra: Record<string, unknown> = {}): Pick<Infrastructure, 'status'> =>
  ({ status: { infrastructureName: 'c-1', platformStatus: { type, ...extra } } }) as Pick<Infrastructure, 'status'>;

describe('detectPlatform', () => {
  it.each([
    ['AWS', 'aws', 'AWSCluster'],
    ['GCP', 'gcp', 'GCPCluster'],
    ['Azure', 'azure', 'AzureCluster'],
    ['OpenStack', 'openstack', 'OpenStackCluster'],
    ['VSphere', 'vsphere', 'VSphereCluster'],
    ['BareMetal', 'metal3', 'Metal3Cluster'],
    ['Local', 'local', 'LocalCluster'],
  ])('%s → provider %s, infrastructure cluster %s', (type, provider, kind) => {
    const d = detectPlatform(infra(type));
    expect(d.supported).toBe(true);
    if (!d.supported) return;
    expect(d.provider.provider).toBe(provider);
    expect(d.provider.infraClusterKind).toBe(kind);
    expect(d.infrastructureName).toBe('c-1');
  });

  it.each(['None', 'External', 'PowerVS', 'Nutanix', 'IBMCloud', ''])('%s is unsupported', (type) => {
    expect(detectPlatform(infra(type)).supported).toBe(false);
  });

  it('Azure Stack Hub is unsupported, public Azure is not', () => {
    expect(
      detectPlatform(infra('Azure', { azure: { resourceGroupName: 'rg', cloudName: 'AzureStackCloud' } })),
    ).toMatchObject({
      supported: false,
      reason: expect.stringContaining('AzureStackCloud'),
    });
    expect(
      detectPlatform(infra('Azure', { azure: { resourceGroupName: 'rg', cloudName: 'AzurePublicCloud' } })).supported,
    ).toBe(true);
  });

  it('a missing Infrastructure or platformStatus is unsupported with a reason', () => {
    expect(detectPlatform(undefined)).toEqual({
      supported: false,
      type: '',
      reason: 'Infrastructure/cluster does not exist',
    });
    expect(detectPlatform({ status: {} })).toMatchObject({
      supported: false,
      reason: expect.stringContaining('platformStatus'),
    });
  });

  it('an empty cluster ID still detects the platform (the naming steps report it)', () => {
    const d = detectPlatform({ status: { platformStatus: { type: 'AWS', aws: { region: 'r' } } } });
    expect(d).toMatchObject({ supported: true, infrastructureName: '' });
  });

  it('every docs-shaped Infrastructure fixture is classified', () => {
    const verdicts = loadFixtures()
      .filter((f) => f.object.kind === 'Infrastructure')
      .map((f) => [
        (f.object as Infrastructure).status?.platformStatus?.type,
        detectPlatform(f.object as Infrastructure).supported,
      ]);
    expect(verdicts).toEqual([
      ['AWS', true],
      ['GCP', true],
      ['Azure', true],
      ['OpenStack', true],
      ['VSphere', true],
      ['BareMetal', true],
      ['None', false],
      ['External', false],
      ['Local', true],
    ]);
    expect(fixture('openshift/02-infrastructure.yaml', 0).kind).toBe('Infrastructure');
  });
});

describe('kinds to install', () => {
  it('are the core kinds plus the provider’s own, nothing of another provider', () => {
    const kinds = kindsToInstall('aws').map((k) => k.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Cluster',
        'MachineSet',
        'Machine',
        'MachineHealthCheck',
        'MachineDeployment',
        'AWSCluster',
        'AWSMachine',
        'AWSMachineTemplate',
      ]),
    );
    expect(kinds.some((k) => k.startsWith('GCP') || k.startsWith('Local'))).toBe(false);
    expect(kindsToInstall('metal3').map((k) => k.kind)).toContain('BareMetalHost');
  });

  it('the CRD watch knows every installable CRD name', () => {
    const names = allInstallableCrdNames();
    expect(names.has('clusters.cluster.x-k8s.io')).toBe(true);
    expect(names.has('openstackmachinetemplates.infrastructure.cluster.x-k8s.io')).toBe(true);
    expect(names.has('featuregates.config.openshift.io')).toBe(false);
  });
});
