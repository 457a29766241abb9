import { describe, expect, it } from 'vitest';
import type { ClusterOperatorStatus } from '../../shared/api/openshift/clusteroperator.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { decideGate } from './gate.ts';
import { computeStatus, type OperatorState, type StepName, type StepOutcome, statusChanged } from './status.ts';

const tp = decideGate({ spec: { featureSet: 'TechPreviewNoUpgrade' } });
const t1 = new Date('2026-11-23T10:00:00Z');
const t2 = new Date('2026-11-23T11:00:00Z');
const done: StepOutcome = { state: 'done' };
const steps = (over: Partial<Record<StepName, StepOutcome>> = {}): Record<StepName, StepOutcome> => ({
  installer: done,
  infraCluster: done,
  coreCluster: done,
  secretSync: done,
  kubeconfig: done,
  ...over,
});
const active = (over: Partial<Record<StepName, StepOutcome>> = {}): OperatorState => ({
  mode: 'active',
  gate: tp,
  steps: steps(over),
});
const compute = (state: OperatorState, previous?: ClusterOperatorStatus, now = t1) =>
  computeStatus({ state, provider: PLATFORM_PROVIDERS.AWS, releaseVersion: '4.20.1', previous, now });
const get = (s: ClusterOperatorStatus, type: string) => s.conditions?.find((c) => c.type === type);
const brief = (s: ClusterOperatorStatus) =>
  Object.fromEntries((s.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('computeStatus', () => {
  it('converged: Available, not Progressing, not Degraded, not Upgradeable under TechPreviewNoUpgrade', () => {
    const s = compute(active());
    expect(brief(s)).toEqual({
      Available: 'True/AsExpected',
      Progressing: 'False/AsExpected',
      Degraded: 'False/AsExpected',
      Upgradeable: 'False/FeatureSetNotUpgradeable',
      CapiInstallerControllerAvailable: 'True/AsExpected',
      CapiInstallerControllerDegraded: 'False/AsExpected',
      InfraClusterControllerAvailable: 'True/AsExpected',
      InfraClusterControllerDegraded: 'False/AsExpected',
      CoreClusterControllerAvailable: 'True/AsExpected',
      CoreClusterControllerDegraded: 'False/AsExpected',
      SecretSyncControllerAvailable: 'True/AsExpected',
      SecretSyncControllerDegraded: 'False/AsExpected',
      KubeconfigControllerAvailable: 'True/AsExpected',
      KubeconfigControllerDegraded: 'False/AsExpected',
    });
    expect(get(s, 'Available')?.message).toBe('Cluster CAPI Operator is available at 4.20.1');
    expect(get(s, 'Upgradeable')?.message).toContain('TechPreviewNoUpgrade');
    expect(s.versions).toEqual([{ name: 'operator', version: '4.20.1' }]);
    for (const c of s.conditions ?? []) expect(c.lastTransitionTime).toBe('2026-11-23T10:00:00Z');
  });

  it('a failed step: Degraded with the real message, the step’s pair, Available kept', () => {
    const before = compute(active());
    const s = compute(active({ secretSync: { state: 'failed', message: 'source secret x/y not found' } }), before, t2);
    expect(get(s, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'SyncingFailed',
      message: 'Failed to resync for operator: 4.20.1 because source secret x/y not found',
      lastTransitionTime: '2026-11-23T11:00:00Z',
    });
    expect(get(s, 'SecretSyncControllerDegraded')).toMatchObject({
      status: 'True',
      message: 'source secret x/y not found',
    });
    expect(get(s, 'SecretSyncControllerAvailable')?.status).toBe('False');
    expect(get(s, 'Available')).toEqual(get(before, 'Available'));
  });

  it('an installer failure with nothing before: Available=False Initializing', () => {
    const s = compute(active({ installer: { state: 'failed', message: 'boom' } }));
    expect(get(s, 'Available')).toMatchObject({
      status: 'False',
      reason: 'Initializing',
      message: 'installing the Cluster API: boom',
    });
  });

  it('a pending step: Progressing with what it waits for, not Degraded', () => {
    const s = compute(active({ infraCluster: { state: 'pending', message: 'cannot create X yet' } }));
    expect(get(s, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'SyncingResources',
      message: 'InfraClusterControllerAvailable: cannot create X yet',
    });
    expect(get(s, 'Degraded')?.status).toBe('False');
    expect(get(s, 'InfraClusterControllerAvailable')).toMatchObject({ status: 'False', reason: 'SyncingResources' });
  });

  it('unsupported platform: only the four conditions, the real message; step pairs dropped, foreign kept', () => {
    const before = compute(active());
    before.conditions!.push({ type: 'SomeoneElse', status: 'True', lastTransitionTime: 'x' });
    const s = compute({ mode: 'unsupported', gate: tp, platformType: 'None', reason: 'r' }, before, t2);
    expect(brief(s)).toEqual({
      Available: 'True/AsExpected',
      Progressing: 'False/AsExpected',
      Degraded: 'False/AsExpected',
      Upgradeable: 'False/FeatureSetNotUpgradeable',
      SomeoneElse: 'True/undefined',
    });
    expect(get(s, 'Available')?.message).toBe('Cluster API is not yet implemented on this platform');
    expect(get(s, 'Available')?.lastTransitionTime).toBe('2026-11-23T10:00:00Z');
    expect(s.relatedObjects?.map((r) => r.resource)).toEqual(['namespaces', 'clusteroperators']);
  });

  it('not enabled: says why, and Upgradeable under the default feature set', () => {
    const gate = decideGate({ spec: { featureSet: '' } });
    const s = compute({ mode: 'disabled', gate });
    expect(get(s, 'Available')).toMatchObject({ status: 'True', reason: 'NotEnabled', message: gate.message });
    expect(get(s, 'Upgradeable')).toMatchObject({ status: 'True', reason: 'AsExpected' });
  });

  it('lastTransitionTime moves only when the status flips', () => {
    const a = compute(active({ infraCluster: { state: 'pending', message: 'one' } }));
    const b = compute(active({ infraCluster: { state: 'pending', message: 'two' } }), a, t2);
    expect(get(b, 'Progressing')).toMatchObject({
      message: 'InfraClusterControllerAvailable: two',
      lastTransitionTime: '2026-11-23T10:00:00Z',
    });
    const c = compute(active(), b, t2);
    expect(get(c, 'Progressing')).toMatchObject({ status: 'False', lastTransitionTime: '2026-11-23T11:00:00Z' });
  });

  it('related objects: namespace, operator, core and platform kinds, webhook configurations', () => {
    const s = compute(active());
    const keys = s.relatedObjects!.map(
      (r) => `${r.group}/${r.resource}${r.namespace ? `@${r.namespace}` : ''}:${r.name}`,
    );
    expect(keys).toEqual([
      '/namespaces:openshift-cluster-api',
      'config.openshift.io/clusteroperators:cluster-api',
      'cluster.x-k8s.io/clusters@openshift-cluster-api:',
      'cluster.x-k8s.io/machinesets@openshift-cluster-api:',
      'cluster.x-k8s.io/machines@openshift-cluster-api:',
      'cluster.x-k8s.io/machinehealthchecks@openshift-cluster-api:',
      'cluster.x-k8s.io/machinedeployments@openshift-cluster-api:',
      'cluster.x-k8s.io/machinedrainrules@openshift-cluster-api:',
      'infrastructure.cluster.x-k8s.io/awsclusters@openshift-cluster-api:',
      'infrastructure.cluster.x-k8s.io/awsmachines@openshift-cluster-api:',
      'infrastructure.cluster.x-k8s.io/awsmachinetemplates@openshift-cluster-api:',
      'admissionregistration.k8s.io/mutatingwebhookconfigurations:cluster-api.capi-fn.io',
      'admissionregistration.k8s.io/validatingwebhookconfigurations:cluster-api.capi-fn.io',
    ]);
  });

  it('keeps the operator-specific extension as it was', () => {
    const s = compute(active(), { extension: { lastSyncedInfrastructureName: 'x' } });
    expect(s.extension).toEqual({ lastSyncedInfrastructureName: 'x' });
  });
});

describe('statusChanged', () => {
  const base = compute(active());
  it('is false for the same content at another time', () => {
    expect(statusChanged(base, compute(active(), undefined, t2))).toBe(false);
  });
  it('is true when a reason, message or status differs', () => {
    expect(statusChanged(base, compute(active({ kubeconfig: { state: 'done', message: 'other' } }), base))).toBe(true);
    expect(statusChanged(base, compute(active({ kubeconfig: { state: 'failed', message: 'x' } }), base))).toBe(true);
    expect(statusChanged(undefined, base)).toBe(true);
  });
  it('is true when versions or related objects differ', () => {
    expect(statusChanged(base, { ...base, versions: [{ name: 'operator', version: 'other' }] })).toBe(true);
    expect(statusChanged(base, { ...base, relatedObjects: [] })).toBe(true);
  });
});
