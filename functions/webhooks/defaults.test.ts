import { describe, expect, it } from 'vitest';
import { applyDefaults, type DefaultingInput, defaultReplicas } from './defaults.ts';
import type { JsonObject } from './json.ts';

const MIN = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size';
const MAX = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size';

function run(kind: string, object: JsonObject, oldObject?: JsonObject, group = 'cluster.x-k8s.io') {
  const i: DefaultingInput = {
    group,
    kind,
    object: structuredClone(object),
    oldObject,
    namespace: 'openshift-cluster-api',
  };
  const violations = applyDefaults(i);
  return { object: i.object, violations };
}

const machineSpec = (extra: JsonObject = {}) => ({
  clusterName: 'c1',
  bootstrap: { dataSecretName: 'worker-user-data' },
  infrastructureRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachineTemplate', name: 't' },
  ...extra,
});

describe('defaultReplicas (autoscaler annotations)', () => {
  it.each([
    ['no annotations', {}, undefined, true, 1],
    ['only min', { [MIN]: '3' }, undefined, true, 1],
    ['new object: min', { [MIN]: '2', [MAX]: '5' }, undefined, true, 2],
    ['existing without replicas: min', { [MIN]: '2', [MAX]: '5' }, undefined, false, 2],
    ['existing below min: min', { [MIN]: '2', [MAX]: '5' }, 1, false, 2],
    ['existing above max: max', { [MIN]: '2', [MAX]: '5' }, 9, false, 5],
    ['existing in range: kept', { [MIN]: '2', [MAX]: '5' }, 4, false, 4],
    ['zero min (scale from zero)', { [MIN]: '0', [MAX]: '5' }, undefined, true, 0],
  ])('%s', (_n, annotations, old, isNew, want) => {
    expect(defaultReplicas(annotations, old, isNew)).toEqual({ replicas: want });
  });
  it('a non-integer annotation names the annotation and the fix', () => {
    const r = defaultReplicas({ [MIN]: 'two', [MAX]: '5' }, undefined, true);
    expect(r).toMatchObject({ violation: { field: `metadata.annotations[${MIN}]`, type: 'Invalid' } });
    expect('violation' in r && r.violation.fix).toContain('set spec.replicas explicitly');
  });
});

describe('MachineSet defaults', () => {
  it('cluster-name label, replicas 1, deletePolicy Random, set-name selector on both sides, ref namespace, version prefix', () => {
    const { object, violations } = run('MachineSet', {
      metadata: { name: 'ms-a' },
      spec: { clusterName: 'c1', template: { spec: machineSpec({ version: '1.32.4' }) } },
    });
    expect(violations).toEqual([]);
    expect(object).toEqual({
      metadata: { name: 'ms-a', labels: { 'cluster.x-k8s.io/cluster-name': 'c1' } },
      spec: {
        clusterName: 'c1',
        replicas: 1,
        deletePolicy: 'Random',
        selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'ms-a' } },
        template: {
          metadata: { labels: { 'cluster.x-k8s.io/set-name': 'ms-a' } },
          spec: machineSpec({
            version: 'v1.32.4',
            infrastructureRef: {
              apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
              kind: 'LocalMachineTemplate',
              name: 't',
              namespace: 'openshift-cluster-api',
            },
          }),
        },
      },
    });
  });

  it('keeps a given selector, replicas and policy', () => {
    const spec = {
      clusterName: 'c1',
      replicas: 3,
      deletePolicy: 'Oldest',
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: machineSpec() },
    };
    const { object } = run('MachineSet', { metadata: { name: 'm' }, spec });
    expect((object.spec as JsonObject).selector).toEqual({ matchLabels: { app: 'x' } });
    expect((object.spec as JsonObject).replicas).toBe(3);
    expect((object.spec as JsonObject).deletePolicy).toBe('Oldest');
  });

  it('hashes a name that is not a valid label value', () => {
    const name = `m${'x'.repeat(70)}`;
    const { object } = run('MachineSet', {
      metadata: { name },
      spec: { clusterName: 'c', template: { spec: machineSpec() } },
    });
    expect(((object.spec as JsonObject).selector as JsonObject).matchLabels).toEqual({
      'cluster.x-k8s.io/set-name': expect.stringMatching(/^hash_.+_z$/),
    });
  });

  it('replicas from the autoscaler range, clamped on update', () => {
    const annotations = { [MIN]: '2', [MAX]: '4' };
    const created = run('MachineSet', {
      metadata: { name: 'm', annotations },
      spec: { clusterName: 'c', template: { spec: machineSpec() } },
    });
    expect((created.object.spec as JsonObject).replicas).toBe(2);
    const updated = run(
      'MachineSet',
      { metadata: { name: 'm', annotations }, spec: { clusterName: 'c', template: { spec: machineSpec() } } },
      { metadata: { name: 'm' }, spec: { clusterName: 'c', replicas: 7 } },
    );
    expect((updated.object.spec as JsonObject).replicas).toBe(4);
  });

  it('leaves fields of the wrong type for validation to report', () => {
    const { object, violations } = run('MachineSet', {
      metadata: { name: 'm', labels: 'oops' },
      spec: { clusterName: 'c', selector: 5 },
    });
    expect(violations).toEqual([]);
    expect(run('Machine', { metadata: 'm', spec: machineSpec() }).object.metadata).toBe('m');
    expect(
      run('MachineSet', { metadata: { name: 'm' }, spec: { clusterName: 'c', template: { metadata: 7 } } }).object.spec,
    ).toMatchObject({
      template: { metadata: 7 },
    });
    expect((object.metadata as JsonObject).labels).toBe('oops');
    expect((object.spec as JsonObject).selector).toBe(5);
  });
});

describe('MachineDeployment defaults', () => {
  it('deployment-name selector and cluster-name on selector and template, rollout defaults', () => {
    const { object } = run('MachineDeployment', {
      metadata: { name: 'md' },
      spec: { clusterName: 'c1', template: { spec: machineSpec() } },
    });
    const spec = object.spec as JsonObject;
    expect(spec.selector).toEqual({
      matchLabels: { 'cluster.x-k8s.io/deployment-name': 'md', 'cluster.x-k8s.io/cluster-name': 'c1' },
    });
    expect((spec.template as JsonObject).metadata).toEqual({
      labels: { 'cluster.x-k8s.io/deployment-name': 'md', 'cluster.x-k8s.io/cluster-name': 'c1' },
    });
    expect(spec).toMatchObject({
      replicas: 1,
      minReadySeconds: 0,
      revisionHistoryLimit: 1,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
  });
  it('OnDelete gets no rollingUpdate', () => {
    const { object } = run('MachineDeployment', {
      metadata: { name: 'md' },
      spec: { clusterName: 'c1', strategy: { type: 'OnDelete' }, template: { spec: machineSpec() } },
    });
    expect((object.spec as JsonObject).strategy).toEqual({ type: 'OnDelete' });
  });
});

describe('Machine defaults', () => {
  it('cluster-name label, ref namespaces, v prefix, nodeDeletionTimeout 10s', () => {
    const { object } = run('Machine', {
      metadata: { name: 'm' },
      spec: machineSpec({ version: '1.31.0', bootstrap: { configRef: { kind: 'KubeadmConfig', name: 'b' } } }),
    });
    expect(object).toMatchObject({
      metadata: { labels: { 'cluster.x-k8s.io/cluster-name': 'c1' } },
      spec: {
        version: 'v1.31.0',
        nodeDeletionTimeout: '10s',
        bootstrap: { configRef: { namespace: 'openshift-cluster-api' } },
        infrastructureRef: { namespace: 'openshift-cluster-api' },
      },
    });
  });
  it('keeps an explicit timeout and a v version', () => {
    const { object } = run('Machine', {
      metadata: { name: 'm' },
      spec: machineSpec({ version: 'v1.2.3', nodeDeletionTimeout: '0s' }),
    });
    expect(object.spec).toMatchObject({ version: 'v1.2.3', nodeDeletionTimeout: '0s' });
  });
});

describe('MachineHealthCheck and Cluster defaults', () => {
  it('MHC: maxUnhealthy 100%, nodeStartupTimeout 10m, label, remediation template namespace', () => {
    const { object } = run('MachineHealthCheck', {
      metadata: { name: 'h' },
      spec: { clusterName: 'c1', selector: { matchLabels: { a: 'b' } }, remediationTemplate: { kind: 'T', name: 't' } },
    });
    expect(object).toMatchObject({
      metadata: { labels: { 'cluster.x-k8s.io/cluster-name': 'c1' } },
      spec: {
        maxUnhealthy: '100%',
        nodeStartupTimeout: '10m',
        remediationTemplate: { namespace: 'openshift-cluster-api' },
      },
    });
  });
  it('Cluster: ref namespaces', () => {
    const { object } = run('Cluster', {
      metadata: { name: 'c' },
      spec: { infrastructureRef: { kind: 'AWSCluster', name: 'c' } },
    });
    expect(object.spec).toEqual({
      infrastructureRef: { kind: 'AWSCluster', name: 'c', namespace: 'openshift-cluster-api' },
    });
  });
  it('AWSCluster: the controller identity', () => {
    const { object } = run(
      'AWSCluster',
      { metadata: { name: 'c' }, spec: { region: 'r' } },
      undefined,
      'infrastructure.cluster.x-k8s.io',
    );
    expect(object.spec).toEqual({
      region: 'r',
      identityRef: { kind: 'AWSClusterControllerIdentity', name: 'default' },
    });
  });
  it('kinds without defaults are untouched', () => {
    const o = { metadata: { name: 'x' }, spec: { template: { spec: {} } } };
    expect(run('GCPMachineTemplate', o, undefined, 'infrastructure.cluster.x-k8s.io').object).toEqual(o);
  });
});
