// Level-triggered repair: a missing source Secret degrades the ClusterOperator (and recovers), and whatever the
// operator owns — the user-data copy, CRDs (also when an older version is installed), webhook configurations, the
// ClusterOperator itself — is put back when it changes or disappears.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { eventually } from '../support/env.ts';
import { CO_REF, condition, type OperatorEnv, RELEASE, startOperatorEnv, summary, waitForOperator } from './support.ts';

const NS = 'openshift-cluster-api';
const CONVERGED = 'Available=True Progressing=False Degraded=False Upgradeable=False';
const SOURCE = { apiVersion: 'v1', kind: 'Secret', namespace: 'openshift-machine-api', name: 'worker-user-data' };
const TARGET = { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'worker-user-data' };
const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  name: 'machinesets.cluster.x-k8s.io',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');

interface SecretObj extends KubeObject {
  data?: Record<string, string>;
}

let env: OperatorEnv;
beforeAll(async () => {
  env = await startOperatorEnv({ webhooks: true });
  await seedOpenShiftObjects(env.kube, {
    platform: 'Local',
    featureSet: 'TechPreviewNoUpgrade',
    infrastructureName: 'capi-fn-local',
    apiServerURL: env.api.url,
  });
  await waitForOperator(env, CONVERGED, (c) => summary(c) === CONVERGED);
});
afterAll(async () => {
  await env?.stop();
});

describe('user-data sync', () => {
  it('a missing source degrades the operator; a new source recovers it and is copied', async () => {
    const before = await env.kube.get(CO_REF);
    const availableSince = condition(before as never, 'Available')?.lastTransitionTime;
    await env.kube.delete(SOURCE);
    const degraded = await waitForOperator(env, 'Degraded', (c) => condition(c, 'Degraded')?.status === 'True');
    expect(condition(degraded, 'Degraded')).toMatchObject({
      reason: 'SyncingFailed',
      message: `Failed to resync for operator: ${RELEASE} because source secret openshift-machine-api/worker-user-data not found`,
    });
    expect(condition(degraded, 'SecretSyncControllerDegraded')).toMatchObject({
      status: 'True',
      message: 'source secret openshift-machine-api/worker-user-data not found',
    });
    expect(condition(degraded, 'Available')).toMatchObject({ status: 'True', lastTransitionTime: availableSince });

    await env.kube.create({
      ...SOURCE,
      metadata: { name: SOURCE.name, namespace: SOURCE.namespace },
      type: 'Opaque',
      data: { userData: b64('{"ignition":{"version":"3.4.0"}}') },
    });
    const recovered = await waitForOperator(env, 'recovered', (c) => summary(c) === CONVERGED);
    expect(condition(recovered, 'SecretSyncControllerDegraded')?.status).toBe('False');
    const copy = await env.kube.get<SecretObj>(TARGET);
    expect(copy.data?.value).toBe(b64('{"ignition":{"version":"3.4.0"}}'));
  });

  it('a hand-edited copy is put back', async () => {
    const copy = await env.kube.get<SecretObj>(TARGET);
    await env.kube.update({ ...copy, data: { value: b64('tampered'), format: b64('cloud-config') } });
    await eventually(
      'copy restored',
      async () => (await env.kube.get<SecretObj>(TARGET)).data?.format === b64('ignition'),
    );
  });
});

describe('installed objects', () => {
  it('an older or edited CRD is re-applied in place', async () => {
    const crd = await env.kube.get<
      KubeObject & { spec: { versions: Array<{ additionalPrinterColumns?: unknown[] }> } }
    >(CRD);
    const columns = crd.spec.versions[0]!.additionalPrinterColumns;
    crd.metadata.annotations = { ...crd.metadata.annotations, 'capi-fn.io/applied-hash': 'from-an-older-release' };
    crd.spec.versions[0]!.additionalPrinterColumns = [];
    await env.kube.update(crd);
    const fixed = await eventually('CRD re-applied', async () => {
      const c = await env.kube.get<typeof crd>(CRD);
      return c.metadata.annotations?.['capi-fn.io/applied-hash'] !== 'from-an-older-release' ? c : undefined;
    });
    expect(fixed.spec.versions[0]!.additionalPrinterColumns).toEqual(columns);
    expect(fixed.metadata.uid).toBe(crd.metadata.uid);
  });

  it('a deleted webhook configuration is registered again', async () => {
    const key = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      name: 'cluster-api.capi-fn.io',
    };
    const old = await env.kube.get(key);
    await env.kube.delete(key);
    await eventually('re-registered', async () => {
      const w = await env.kube.find(key);
      return w && w.metadata.uid !== old.metadata.uid;
    });
  });

  it('a deleted ClusterOperator comes back with its status', async () => {
    const old = await env.kube.get(CO_REF);
    await env.kube.delete(CO_REF);
    const co = await waitForOperator(
      env,
      'recreated',
      (c) => c.metadata.uid !== old.metadata.uid && summary(c) === CONVERGED,
    );
    expect(co.status?.versions).toEqual([{ name: 'operator', version: RELEASE }]);
  });
});
