// Real kubectl against the embedded API server with the operator's webhooks registered: what a user following
// the OpenShift docs sees — defaults applied, every rejection naming the field, the rule and the fix — and that
// the documented workflow (template, MachineSet, scale) still runs machines through the same webhooks.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { findKind } from '../../shared/api/registry.ts';
import { type OperatorEnv, startOperatorEnv, summary, waitForOperator } from '../operator/support.ts';
import { eventually } from '../support/env.ts';
import { hasPeer } from '../support/peers.ts';

const NS = 'openshift-cluster-api';
const CLUSTER = 'capi-fn-local';
const DENIED = 'admission webhook "validate.cluster-api.capi-fn.io" denied the request: ';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const template = (name: string, cpus: number) => ({
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'LocalMachineTemplate',
  metadata: { name, namespace: NS },
  spec: { template: { spec: { cpus, memoryMiB: 8192, image: 'rhcos-4.20-local' } } },
});

const machineSet = (
  name: string,
  o: { namespace?: string; templateName?: string; selector?: object; replicas?: number } = {},
) => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineSet',
  metadata: { name, namespace: o.namespace ?? NS },
  spec: {
    clusterName: CLUSTER,
    ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
    ...(o.selector ? { selector: o.selector } : {}),
    template: {
      metadata: { labels: { 'cluster.x-k8s.io/set-name': name, 'node-role.kubernetes.io/worker': '' } },
      spec: {
        clusterName: CLUSTER,
        bootstrap: { dataSecretName: 'worker-user-data' },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'LocalMachineTemplate',
          name: o.templateName ?? 'worker-v1',
        },
      },
    },
  },
});

describe.skipIf(!hasPeer('kubectl'))('kubectl with the Cluster API webhooks', () => {
  let env: OperatorEnv;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        [...args, '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  const apply = (obj: object) => kubectl(['apply', '-f', '-'], stringify(obj));
  const ok = async (r: Promise<Run>): Promise<string> => {
    const run = await r;
    if (run.code !== 0) throw new Error(`kubectl failed (${run.code}): ${run.stderr}`);
    return run.stdout;
  };
  const refused = async (r: Promise<Run>): Promise<string> => {
    const run = await r;
    expect(run.code, run.stdout).not.toBe(0);
    return run.stderr.replace(/\s+/g, ' ');
  };

  beforeAll(async () => {
    env = await startOperatorEnv({ webhooks: true });
    dir = mkdtempSync(join(tmpdir(), 'capi-fn-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, env.api.kubeconfig());
    await seedOpenShiftObjects(env.kube, {
      platform: 'Local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: CLUSTER,
      apiServerURL: env.api.url,
    });
    const converged = 'Available=True Progressing=False Degraded=False Upgradeable=False';
    await waitForOperator(env, converged, (c) => summary(c) === converged);
    await ok(apply(template('worker-v1', 2)));
  });
  afterAll(async () => {
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('defaults a documented MachineSet: cluster label, replicas, delete policy, selector', async () => {
    const ms = machineSet('defaults');
    await ok(apply(ms));
    const got = JSON.parse(
      await ok(kubectl(['get', 'machinesets.cluster.x-k8s.io', 'defaults', '-n', NS, '-o', 'json'])),
    );
    expect(got.metadata.labels).toMatchObject({ 'cluster.x-k8s.io/cluster-name': CLUSTER });
    expect(got.spec).toMatchObject({
      replicas: 1,
      deletePolicy: 'Random',
      selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'defaults' } },
    });
    expect(got.spec.template.spec.infrastructureRef.namespace).toBe(NS);
    await ok(kubectl(['scale', 'machinesets.cluster.x-k8s.io', 'defaults', '-n', NS, '--replicas=0']));
  });

  it('a selector that misses the template labels is refused, saying how to fix it', async () => {
    const err = await refused(
      apply(machineSet('bad-selector', { selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'other' } } })),
    );
    expect(err).toContain(
      // kubectl prints a 422's field causes: `The <Kind> "<name>" is invalid: <field>: <message>`.
      'The MachineSet "bad-selector" is invalid: spec.template.metadata.labels: Invalid value:',
    );
    expect(err).toContain('must match spec.selector "cluster.x-k8s.io/set-name=other"');
    expect(err).toContain('add every spec.selector.matchLabels entry to spec.template.metadata.labels');
  });

  it('objects outside openshift-cluster-api are refused', async () => {
    await ok(kubectl(['create', 'namespace', 'team-a']));
    const err = await refused(apply(machineSet('elsewhere', { namespace: 'team-a' })));
    expect(err).toContain(
      `${DENIED}MachineSet.cluster.x-k8s.io "elsewhere" is forbidden: metadata.namespace: Forbidden: Cluster API objects on OpenShift live in openshift-cluster-api, not "team-a"`,
    );
    expect(err).toContain('create it with -n openshift-cluster-api');
  });

  it('a second Cluster, not named after the cluster ID, is refused', async () => {
    const err = await refused(
      apply({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name: 'my-cluster', namespace: NS },
        spec: {
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'LocalCluster',
            name: 'my-cluster',
          },
        },
      }),
    );
    expect(err).toContain(
      `metadata.name: Invalid value: "my-cluster" must equal the cluster ID, Infrastructure/cluster status.infrastructureName "${CLUSTER}"`,
    );
    expect(err).toContain(`name it ${CLUSTER}`);
  });

  it('the managed Cluster cannot be deleted', async () => {
    const err = await refused(kubectl(['delete', 'clusters.cluster.x-k8s.io', CLUSTER, '-n', NS, '--wait=false']));
    expect(err).toContain(
      `${DENIED}Cluster.cluster.x-k8s.io "${CLUSTER}" is forbidden: metadata.name: Forbidden: Cluster "${CLUSTER}" in openshift-cluster-api represents this OpenShift cluster itself and cannot be deleted`,
    );
    const c = JSON.parse(await ok(kubectl(['get', 'clusters.cluster.x-k8s.io', CLUSTER, '-n', NS, '-o', 'json'])));
    expect(c.metadata.deletionTimestamp).toBeUndefined();
  });

  it('control-plane machines are refused', async () => {
    const err = await refused(
      apply({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Machine',
        metadata: { name: 'master-0', namespace: NS, labels: { 'cluster.x-k8s.io/control-plane': '' } },
        spec: {
          clusterName: CLUSTER,
          bootstrap: { dataSecretName: 'worker-user-data' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'LocalMachine',
            name: 'master-0',
          },
        },
      }),
    );
    expect(err).toContain(
      'metadata.labels: Forbidden: the cluster.x-k8s.io/control-plane label marks a control-plane machine',
    );
  });

  it('another platform’s kinds are refused, naming the one to use', async () => {
    // Someone installed the AWS CRDs by hand on this Local cluster; the webhook still keeps their kinds out.
    await env.kube.apply(
      toCrd(findKind('infrastructure.cluster.x-k8s.io', 'AWSMachineTemplate')!) as unknown as KubeObject,
      {
        fieldManager: 'test',
      },
    );
    const aws = {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSMachineTemplate',
      metadata: { name: 'aws', namespace: NS },
      spec: { template: { spec: { instanceType: 'm5.large' } } },
    };
    const err = await eventually('the AWS kind is served and refused by the webhook', async () => {
      const e = await refused(apply(aws));
      return e.includes('denied the request') ? e : undefined;
    });
    expect(err).toContain(
      `${DENIED}AWSMachineTemplate.infrastructure.cluster.x-k8s.io "aws" is forbidden: kind: Forbidden: AWSMachineTemplate belongs to the aws provider, but this cluster runs on Local (Infrastructure/cluster status.platformStatus.type), which uses the local provider; use LocalMachineTemplate instead`,
    );
  });

  it('machine templates are immutable; the documented roll (new template, repoint the set) works and runs machines', async () => {
    await ok(apply(machineSet('workers', { replicas: 1 })));
    const err = await refused(apply(template('worker-v1', 8)));
    expect(err).toContain(
      'The LocalMachineTemplate "worker-v1" is invalid: spec: Forbidden: LocalMachineTemplate is immutable',
    );
    expect(err).toContain(
      "copy it under a new metadata.name (oc get localmachinetemplate worker-v1 -o yaml), edit and apply the copy, then point each MachineSet's spec.template.spec.infrastructureRef.name at it",
    );
    const stored = JSON.parse(await ok(kubectl(['get', 'localmachinetemplates', 'worker-v1', '-n', NS, '-o', 'json'])));
    expect(stored.spec.template.spec.cpus).toBe(2);

    await ok(apply(template('worker-v2', 8)));
    await ok(apply(machineSet('workers', { replicas: 1, templateName: 'worker-v2' })));
    const ms = JSON.parse(
      await ok(kubectl(['get', 'machinesets.cluster.x-k8s.io', 'workers', '-n', NS, '-o', 'json'])),
    );
    expect(ms.spec.template.spec.infrastructureRef.name).toBe('worker-v2');
    // The MachineSet's machines pass the same webhooks (created, finalized, defaulted) and reach Running.
    const machine = await eventually(
      'a Running machine',
      async () => {
        const list = JSON.parse(
          await ok(
            kubectl([
              'get',
              'machines.cluster.x-k8s.io',
              '-n',
              NS,
              '-l',
              'cluster.x-k8s.io/set-name=workers',
              '-o',
              'json',
            ]),
          ),
        );
        return (list.items as Array<{ status?: { phase?: string }; spec: { nodeDeletionTimeout?: string } }>).find(
          (m) => m.status?.phase === 'Running',
        );
      },
      { timeoutMs: 60_000 },
    );
    expect(machine.spec.nodeDeletionTimeout).toBe('10s');
  });

  it('the Technology Preview cannot be turned off', async () => {
    const err = await refused(
      kubectl(['patch', 'featuregate', 'cluster', '--type', 'merge', '-p', '{"spec":{"featureSet":""}}']),
    );
    expect(err).toContain(
      'admission webhook "validate.featuregates.capi-fn.io" denied the request: FeatureGate.config.openshift.io "cluster" is forbidden: spec.featureSet: Forbidden: TechPreviewNoUpgrade cannot be changed once set',
    );
  });
});
