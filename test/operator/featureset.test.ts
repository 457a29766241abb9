// The feature set decides, on every invocation (no restart): nothing is installed under the default set or an
// unsupported platform, and the ClusterOperator says why; turning the gate on installs everything; and once on,
// the webhook keeps the FeatureGate from going back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { CONFIG_API_VERSION } from '../../shared/api/openshift/constants.ts';
import { KubeError } from '../../shared/kube/errors.ts';
import { condition, type OperatorEnv, settle, startOperatorEnv, summary, waitForOperator } from './support.ts';

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const FG = { apiVersion: CONFIG_API_VERSION, kind: 'FeatureGate', name: 'cluster' };

let env: OperatorEnv;
beforeAll(async () => {
  env = await startOperatorEnv({ webhooks: true });
});
afterAll(async () => {
  await env?.stop();
});

async function capiCrds(): Promise<string[]> {
  const list = await env.kube.listAll(CRD);
  return list.items.map((c) => c.metadata.name!).filter((n) => n.includes('cluster.x-k8s.io'));
}

async function webhookConfigs(): Promise<number> {
  const m = await env.kube.listAll({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
  });
  const v = await env.kube.listAll({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
  });
  return m.items.length + v.items.length;
}

describe('feature set and platform gating', () => {
  it('the default feature set: nothing installed, the ClusterOperator says so and how to enable it', async () => {
    await seedOpenShiftObjects(env.kube, {
      platform: 'Local',
      featureSet: 'Default',
      infrastructureName: 'capi-fn-local',
      apiServerURL: env.api.url,
    });
    const co = await waitForOperator(env, 'NotEnabled', (c) => condition(c, 'Available')?.reason === 'NotEnabled');
    expect(summary(co)).toBe('Available=True Progressing=False Degraded=False Upgradeable=True');
    expect(condition(co, 'Available')?.message).toMatch(
      /spec\.featureSet is "" \(the default feature set\); to enable it, set FeatureGate\/cluster spec\.featureSet to TechPreviewNoUpgrade/,
    );
    expect(co.status?.conditions?.map((c) => c.type)).toEqual(['Available', 'Progressing', 'Degraded', 'Upgradeable']);
    await settle(env);
    expect(await capiCrds()).toEqual([]);
    expect(await webhookConfigs()).toBe(0);
    // Only the ClusterOperator itself was written.
    expect(env.operatorWrites().every((w) => w.path.startsWith('/apis/config.openshift.io/v1/clusteroperators'))).toBe(
      true,
    );
  });

  it('CustomNoUpgrade without ClusterAPIMachineManagement: still off, naming the gate', async () => {
    await env.kube.patch(
      FG,
      { spec: { featureSet: 'CustomNoUpgrade', customNoUpgrade: { enabled: ['MachineAPIMigration'] } } },
      { type: 'merge' },
    );
    const co = await waitForOperator(env, 'gate named', (c) =>
      (condition(c, 'Available')?.message ?? '').includes('does not enable'),
    );
    expect(condition(co, 'Available')?.message).toContain(
      'add ClusterAPIMachineManagement to FeatureGate/cluster spec.customNoUpgrade.enabled',
    );
    expect(condition(co, 'Upgradeable')).toMatchObject({ status: 'False', reason: 'FeatureSetNotUpgradeable' });
    expect(await capiCrds()).toEqual([]);
  });

  it('enabled on an unsupported platform: only the ClusterOperator, with the real message', async () => {
    await seedOpenShiftObjects(env.kube, {
      platform: 'None',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: 'sno-7p2lq',
      apiServerURL: env.api.url,
    });
    const co = await waitForOperator(
      env,
      'unsupported',
      (c) => condition(c, 'Available')?.message === 'Cluster API is not yet implemented on this platform',
    );
    expect(summary(co)).toBe('Available=True Progressing=False Degraded=False Upgradeable=False');
    await settle(env);
    expect(await capiCrds()).toEqual([]);
    expect(await webhookConfigs()).toBe(0);
  });

  it('a supported platform then installs everything without a restart', async () => {
    await seedOpenShiftObjects(env.kube, {
      platform: 'Local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: 'capi-fn-local',
      apiServerURL: env.api.url,
    });
    const co = await waitForOperator(
      env,
      'converged on Local',
      (c) =>
        summary(c) === 'Available=True Progressing=False Degraded=False Upgradeable=False' &&
        (condition(c, 'Available')?.message ?? '').startsWith('Cluster CAPI Operator is available'),
    );
    expect(condition(co, 'Available')?.reason).toBe('AsExpected');
    expect((await capiCrds()).length).toBe(9);
    expect(await webhookConfigs()).toBe(2);
  });

  it('the Technology Preview cannot be turned off again', async () => {
    const err = await env.kube.patch(FG, { spec: { featureSet: '' } }, { type: 'merge' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).message).toContain(
      'admission webhook "validate.featuregates.capi-fn.io" denied the request: FeatureGate.config.openshift.io "cluster" is forbidden: spec.featureSet: Forbidden: TechPreviewNoUpgrade cannot be changed once set',
    );
    const fg = await env.kube.get<{ metadata: object; spec?: { featureSet?: string } }>(FG);
    expect(fg.spec?.featureSet).toBe('TechPreviewNoUpgrade');
    const del = await env.kube.delete(FG).catch((e: unknown) => e);
    expect((del as KubeError).message).toContain('cannot be deleted while its feature set is TechPreviewNoUpgrade');
  });
});
