import { describe, expect, it } from 'vitest';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import type { Operation } from './admission-review.ts';
import type { JsonObject } from './json.ts';
import { type OpenShiftFacts, type PolicyInput, validatePolicy } from './validate-openshift.ts';
import { violationText } from './violation.ts';

const NS = 'openshift-cluster-api';
const AWS: OpenShiftFacts = {
  infrastructureName: 'ocp-aws-7xk2p',
  platformType: 'AWS',
  provider: PLATFORM_PROVIDERS.AWS,
};

function policy(p: Partial<PolicyInput> & { kind: string; operation: Operation }): string[] {
  return validatePolicy({
    group: 'cluster.x-k8s.io',
    name: 'x',
    namespace: NS,
    object: undefined,
    oldObject: undefined,
    openshift: AWS,
    ...p,
  }).map(violationText);
}

const cluster = (name: string, kind = 'AWSCluster'): JsonObject => ({
  metadata: { name },
  spec: { infrastructureRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind, name, namespace: NS } },
});

describe('namespace', () => {
  it('Cluster API objects are created only in openshift-cluster-api', () => {
    const [v] = policy({ kind: 'MachineSet', operation: 'CREATE', namespace: 'default', object: { metadata: {} } });
    expect(v).toBe(
      'metadata.namespace: Forbidden: Cluster API objects on OpenShift live in openshift-cluster-api, not "default" (the operator and its Cluster are there; machine-api objects stay in openshift-machine-api); create it with -n openshift-cluster-api (and set metadata.namespace: openshift-cluster-api in the file)',
    );
  });
  it('updates of objects elsewhere are not blocked (the namespace cannot change)', () => {
    expect(
      policy({
        kind: 'MachineSet',
        operation: 'UPDATE',
        namespace: 'default',
        object: { metadata: {} },
        oldObject: { metadata: {} },
      }),
    ).toEqual([]);
  });
  it('without an Infrastructure (not OpenShift) there is no namespace rule', () => {
    expect(
      policy({ kind: 'MachineSet', operation: 'CREATE', namespace: 'default', object: {}, openshift: undefined }),
    ).toEqual([]);
  });
});

describe('Cluster', () => {
  it('the managed Cluster is named after the cluster ID and references the platform’s kind', () => {
    expect(
      policy({ kind: 'Cluster', operation: 'CREATE', name: 'ocp-aws-7xk2p', object: cluster('ocp-aws-7xk2p') }),
    ).toEqual([]);
    const [name] = policy({ kind: 'Cluster', operation: 'CREATE', name: 'mine', object: cluster('mine') });
    expect(name).toMatch(
      /^metadata\.name: Invalid value: "mine" must equal the cluster ID, Infrastructure\/cluster status\.infrastructureName "ocp-aws-7xk2p".*; name it ocp-aws-7xk2p/,
    );
    const [kind] = policy({
      kind: 'Cluster',
      operation: 'CREATE',
      name: 'ocp-aws-7xk2p',
      object: cluster('ocp-aws-7xk2p', 'GCPCluster'),
    });
    expect(kind).toBe(
      'spec.infrastructureRef.kind: Unsupported value: "GCPCluster": this cluster runs on AWS, whose infrastructure cluster kind is "AWSCluster"; set kind: AWSCluster',
    );
    const [missing] = policy({
      kind: 'Cluster',
      operation: 'CREATE',
      name: 'ocp-aws-7xk2p',
      object: { metadata: {}, spec: {} },
    });
    expect(missing).toMatch(
      /^spec\.infrastructureRef: Required value: .*set apiVersion: infrastructure\.cluster\.x-k8s\.io\/v1beta2, kind: AWSCluster, name: ocp-aws-7xk2p/,
    );
  });
  it('cannot be deleted in openshift-cluster-api', () => {
    const [v] = policy({
      kind: 'Cluster',
      operation: 'DELETE',
      name: 'ocp-aws-7xk2p',
      oldObject: cluster('ocp-aws-7xk2p'),
    });
    expect(v).toMatch(
      /^metadata\.name: Forbidden: Cluster "ocp-aws-7xk2p" in openshift-cluster-api represents this OpenShift cluster itself and cannot be deleted; delete the MachineSets/,
    );
    expect(policy({ kind: 'Cluster', operation: 'DELETE', namespace: 'other' })).toEqual([]);
    expect(policy({ kind: 'MachineSet', operation: 'DELETE' })).toEqual([]);
    expect(policy({ kind: 'Cluster', operation: 'DELETE', openshift: undefined })).toEqual([]);
  });
  it('an unchanged reference of another kind (made before the platform changed) does not block updates', () => {
    const old = cluster('ocp-aws-7xk2p', 'GCPCluster');
    expect(
      policy({ kind: 'Cluster', operation: 'UPDATE', name: 'ocp-aws-7xk2p', object: old, oldObject: old }),
    ).toEqual([]);
  });
});

describe('infrastructure kinds of the platform only', () => {
  const infra = (kind: string, os: OpenShiftFacts | undefined = AWS) =>
    policy({ group: 'infrastructure.cluster.x-k8s.io', kind, operation: 'CREATE', object: {}, openshift: os });
  it.each([
    ['AWSMachineTemplate', []],
    ['AWSCluster', []],
    [
      'GCPMachineTemplate',
      [
        'kind: Forbidden: GCPMachineTemplate belongs to the gcp provider, but this cluster runs on AWS (Infrastructure/cluster status.platformStatus.type), which uses the aws provider; use AWSMachineTemplate instead',
      ],
    ],
    ['Metal3Machine', [expect.stringMatching(/use AWSMachine instead$/)]],
    ['AzureClusterIdentity', [expect.stringMatching(/create only the infrastructure kinds/)]],
    ['OpenStackCluster', [expect.stringMatching(/use AWSCluster instead$/)]],
  ])('%s', (kind, want) => {
    expect(infra(kind)).toEqual(want);
  });
  it('a platform without a provider accepts none', () => {
    expect(
      infra('AWSMachineTemplate', { infrastructureName: 'x', platformType: 'None', provider: undefined })[0],
    ).toMatch(/platform "None" has no Cluster API provider/);
  });
});

describe('control-plane machines', () => {
  const labelled = { metadata: { labels: { 'cluster.x-k8s.io/control-plane': '' } } };
  it('are refused on Machines and on set templates', () => {
    expect(policy({ kind: 'Machine', operation: 'CREATE', object: labelled })[0]).toMatch(
      /^metadata\.labels: Forbidden: the cluster\.x-k8s\.io\/control-plane label marks a control-plane machine.*; remove the label/,
    );
    const set = { spec: { template: labelled } };
    expect(policy({ kind: 'MachineSet', operation: 'CREATE', object: set })[0]).toMatch(
      /^spec\.template\.metadata\.labels: Forbidden/,
    );
    expect(
      policy({ kind: 'MachineDeployment', operation: 'UPDATE', object: set, oldObject: { spec: {} } }),
    ).toHaveLength(1);
  });
  it('a machine labelled before can still be updated (e.g. to finish its deletion)', () => {
    expect(policy({ kind: 'Machine', operation: 'UPDATE', object: labelled, oldObject: labelled })).toEqual([]);
  });
});

describe('machine templates are immutable', () => {
  const tmpl = (type: string) => ({ metadata: { name: 't' }, spec: { template: { spec: { instanceType: type } } } });
  it('a spec change is refused with how to roll', () => {
    const [v] = policy({
      group: 'infrastructure.cluster.x-k8s.io',
      kind: 'AWSMachineTemplate',
      name: 't',
      operation: 'UPDATE',
      object: tmpl('m5.xlarge'),
      oldObject: tmpl('m5.large'),
    });
    expect(v).toMatch(
      /^spec: Forbidden: AWSMachineTemplate is immutable: .*; to roll out a change, copy it under a new metadata\.name .* point each MachineSet's spec\.template\.spec\.infrastructureRef\.name at it/,
    );
  });
  it('metadata changes (owner references, labels) pass; so does the same spec', () => {
    const a = tmpl('m5.large');
    const b = { ...tmpl('m5.large'), metadata: { name: 't', ownerReferences: [{ kind: 'Cluster' }] } };
    expect(
      policy({
        group: 'infrastructure.cluster.x-k8s.io',
        kind: 'AWSMachineTemplate',
        operation: 'UPDATE',
        object: b,
        oldObject: a,
      }),
    ).toEqual([]);
  });
  it('applies without OpenShift too (upstream providers do the same)', () => {
    expect(
      policy({
        group: 'infrastructure.cluster.x-k8s.io',
        kind: 'GCPMachineTemplate',
        operation: 'UPDATE',
        object: tmpl('b'),
        oldObject: tmpl('a'),
        openshift: undefined,
      }),
    ).toHaveLength(1);
  });
});

describe('FeatureGate', () => {
  const fg = (featureSet?: string) => ({
    metadata: { name: 'cluster' },
    spec: featureSet === undefined ? {} : { featureSet },
  });
  const gate = (operation: Operation, from: string, to?: string, name = 'cluster') =>
    validatePolicy({
      group: 'config.openshift.io',
      kind: 'FeatureGate',
      name,
      namespace: '',
      operation,
      object: operation === 'DELETE' ? undefined : fg(to),
      oldObject: fg(from),
      openshift: undefined,
    }).map(violationText);
  it.each([
    ['TechPreviewNoUpgrade', '', 1],
    ['TechPreviewNoUpgrade', undefined, 1],
    ['TechPreviewNoUpgrade', 'CustomNoUpgrade', 1],
    ['TechPreviewNoUpgrade', 'TechPreviewNoUpgrade', 0],
    ['CustomNoUpgrade', '', 1],
    ['', 'TechPreviewNoUpgrade', 0],
    ['', '', 0],
  ])('%s → %s: %i violations', (from, to, n) => {
    expect(gate('UPDATE', from, to)).toHaveLength(n);
  });
  it('the message says it is irreversible and what to do', () => {
    expect(gate('UPDATE', 'TechPreviewNoUpgrade', '')[0]).toBe(
      'spec.featureSet: Forbidden: TechPreviewNoUpgrade cannot be changed once set (to ""): it is irreversible and blocks minor-version updates; keep spec.featureSet: TechPreviewNoUpgrade; a cluster can only return to the default feature set by being reinstalled',
    );
    expect(gate('DELETE', 'TechPreviewNoUpgrade')[0]).toMatch(
      /cannot be deleted while its feature set is TechPreviewNoUpgrade/,
    );
    expect(gate('DELETE', '')).toEqual([]);
    expect(gate('UPDATE', 'TechPreviewNoUpgrade', '', 'not-the-singleton')).toEqual([]);
  });
});
