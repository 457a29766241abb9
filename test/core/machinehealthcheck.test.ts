// MachineHealthCheck end to end on the embedded default, driven the way a user would: kubectl applies the check
// and makes a Node NotReady through its status subresource (the simulated kubelet leaves it so). Past the
// timeout the Machine is marked, its MachineSet deletes it and creates a replacement, and the set is back to 3
// Running; with maxUnhealthy 1 and two bad Nodes nothing is remediated and the check says why.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Embedded, startEmbedded } from '../../local/embedded/system.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineHealthCheck } from '../../shared/api/capi/machinehealthcheck.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { eventually, tempDir } from '../support/env.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'openshift-cluster-api';
const CLUSTER = 'capi-fn-local-7x2kq';
const SET = `${CLUSTER}-worker-local-a`;
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
const MHC = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineHealthCheck' };
const MHC_NAME = `${CLUSTER}-worker-health`;

let sys: Embedded;
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'kubectl',
    ['--kubeconfig', sys.kubeconfigPath, '--cache-dir', join(sys.dataDir, 'kubectl-cache'), ...args],
    { encoding: 'utf8', cwd: ROOT },
  );
  return stdout;
}

const machines = async () => (await sys.kube.listAll<Machine>(MACHINE, { namespace: NS })).items;
const running = (n: number, what: string) =>
  eventually(
    what,
    async () => {
      const ms = await machines();
      return ms.length === n && ms.every((m) => m.status?.phase === 'Running' && m.status.nodeRef) ? ms : false;
    },
    { timeoutMs: 90_000 },
  );

/** `kubectl patch node --subresource=status`: Ready=False since now, as a kubelet would report it. */
async function makeNotReady(node: string): Promise<void> {
  const patch = {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: 'container runtime is down',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  };
  await kubectl('patch', 'node', node, '--subresource=status', '--type=strategic', '-p', JSON.stringify(patch));
}

describe('MachineHealthCheck on the embedded default', () => {
  beforeAll(async () => {
    sys = await startEmbedded({ dataDir: tempDir('capi-fn-mhc-'), port: 0, sample: true, bootDelayMs: 50 });
    await sys.sampleApplied;
    await running(3, '3 Running machines of the sample');
    // The README's example is what a user applies; the test's own check has short timeouts.
    expect(await kubectl('apply', '--dry-run=server', '-f', 'examples/local/machinehealthcheck.yaml')).toContain(
      'machinehealthcheck.cluster.x-k8s.io/capi-fn-local-7x2kq-worker-health created (server dry run)',
    );
    await sys.kube.create({
      ...MHC,
      metadata: { name: MHC_NAME, namespace: NS },
      spec: {
        clusterName: CLUSTER,
        selector: { matchLabels: { 'cluster.x-k8s.io/set-name': SET } },
        unhealthyConditions: [
          { type: 'Ready', status: 'False', timeout: '2s' },
          { type: 'Ready', status: 'Unknown', timeout: '2s' },
        ],
        maxUnhealthy: 1,
      },
    } as KubeObject);
  }, 120_000);
  afterAll(async () => sys?.stop());

  const check = () => sys.kube.get<MachineHealthCheck>({ ...MHC, namespace: NS, name: MHC_NAME });

  it('counts 3 healthy targets, with the webhook defaults and the cluster label', async () => {
    const mhc = await eventually('the check counts 3 healthy', async () => {
      const c = await check();
      return c.status?.currentHealthy === 3 ? c : false;
    });
    expect(mhc.status).toMatchObject({ expectedMachines: 3, currentHealthy: 3, remediationsAllowed: 1 });
    expect(mhc.status?.targets).toEqual((await machines()).map((m) => m.metadata.name).sort());
    expect(mhc.spec.nodeStartupTimeout).toBe('10m');
    expect(mhc.metadata.labels?.['cluster.x-k8s.io/cluster-name']).toBe(CLUSTER);
    for (const m of await machines())
      expect(m.status?.conditions?.find((c) => c.type === 'HealthCheckSucceeded')?.status).toBe('True');
  });

  it('a Node NotReady past the timeout: its Machine is replaced and the set is back to 3 Running', async () => {
    const before = await machines();
    const victim = before[0]!;
    await makeNotReady(victim.status!.nodeRef!.name!);
    await eventually(
      'the unhealthy Machine deleted',
      async () => !(await machines()).some((m) => m.metadata.name === victim.metadata.name),
      { timeoutMs: 60_000 },
    );
    const ms = await running(3, 'the unhealthy Machine replaced, 3 Running again');
    const names = ms.map((m) => m.metadata.name);
    expect(names).not.toContain(victim.metadata.name);
    expect(names.filter((n) => before.some((b) => b.metadata.name === n))).toHaveLength(2);
    const events = await kubectl(
      'get',
      'events',
      '-n',
      NS,
      '-o',
      'custom-columns=REASON:.reason,OBJECT:.involvedObject.name',
    );
    expect(events).toMatch(new RegExp(`MachineMarkedUnhealthy\\s+${victim.metadata.name}`));
    expect(events).toMatch(new RegExp(`MachineRemediated\\s+${SET}`));
  });

  it('with maxUnhealthy 1, two bad Nodes are not remediated and the check says why', async () => {
    const before = await machines();
    // Paused while the two Nodes go bad, so that the first is not remediated alone before the second follows.
    await kubectl('annotate', 'machinehealthcheck', '-n', NS, MHC_NAME, 'cluster.x-k8s.io/paused=');
    // Until a reconcile has seen the pause (its Paused condition), one that started before it may still remediate.
    await eventually('the check reports itself paused', async () => {
      const c = (await check()) as MachineHealthCheck & {
        status?: { v1beta2?: { conditions?: Array<{ type: string; status: string }> } };
      };
      return c.status?.v1beta2?.conditions?.some((x) => x.type === 'Paused' && x.status === 'True') ?? false;
    });
    await makeNotReady(before[0]!.status!.nodeRef!.name!);
    await makeNotReady(before[1]!.status!.nodeRef!.name!);
    await kubectl('annotate', 'machinehealthcheck', '-n', NS, MHC_NAME, 'cluster.x-k8s.io/paused-');
    const mhc = await eventually('RemediationAllowed=False on the check', async () => {
      const c = await check();
      const cond = c.status?.conditions?.find((x) => x.type === 'RemediationAllowed');
      return cond?.status === 'False' ? c : false;
    });
    const cond = mhc.status!.conditions!.find((x) => x.type === 'RemediationAllowed')!;
    expect(cond.reason).toBe('TooManyUnhealthy');
    expect(cond.message).toBe(
      'Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 3, unhealthy: 2, maxUnhealthy: 1)',
    );
    expect(mhc.status).toMatchObject({ expectedMachines: 3, currentHealthy: 1, remediationsAllowed: 0 });
    const after = await machines();
    expect(after.map((m) => m.metadata.name).sort()).toEqual(before.map((m) => m.metadata.name).sort());
    expect(after.every((m) => !m.metadata.deletionTimestamp)).toBe(true);
    const marked = after.filter(
      (m) => m.status?.conditions?.find((c) => c.type === 'HealthCheckSucceeded')?.status === 'False',
    );
    expect(marked).toHaveLength(2);
    expect(marked.every((m) => !m.status?.conditions?.some((c) => c.type === 'OwnerRemediated'))).toBe(true);
    expect(await kubectl('describe', 'machinehealthcheck', '-n', NS, MHC_NAME)).toContain('RemediationRestricted');
  });

  it('with a remediationTemplate, unhealthy Machines get external remediation requests instead of deletion', async () => {
    const group = 'remediation.test.capi-fn.io';
    const crd = (kind: string, plural: string) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    await sys.kube.create(crd('TestRemediationTemplate', 'testremediationtemplates') as KubeObject);
    await sys.kube.create(crd('TestRemediation', 'testremediations') as KubeObject);
    const apiVersion = `${group}/v1alpha1`;
    await eventually('the remediation kinds are served', async () =>
      Boolean(
        await sys.kube.list({ apiVersion, kind: 'TestRemediationTemplate' }, { namespace: NS }).catch(() => false),
      ),
    );
    await sys.kube.create({
      apiVersion,
      kind: 'TestRemediationTemplate',
      metadata: { name: 'reboot', namespace: NS },
      spec: { template: { spec: { strategy: 'Reboot', retryLimit: 2 } } },
    } as KubeObject);
    // Two bad Nodes from the test before; allow up to 3 and remediate externally.
    await sys.kube.patch(
      { ...MHC, namespace: NS, name: MHC_NAME },
      {
        spec: { maxUnhealthy: 3, remediationTemplate: { apiVersion, kind: 'TestRemediationTemplate', name: 'reboot' } },
      },
      { type: 'merge' },
    );
    const unhealthy = (await machines()).filter(
      (m) => m.status?.conditions?.find((c) => c.type === 'HealthCheckSucceeded')?.status === 'False',
    );
    expect(unhealthy).toHaveLength(2);
    const requests = await eventually('two remediation requests', async () => {
      const l = (await sys.kube.listAll({ apiVersion, kind: 'TestRemediation' }, { namespace: NS })).items;
      return l.length === 2 ? l : false;
    });
    expect(requests.map((r) => r.metadata.name).sort()).toEqual(unhealthy.map((m) => m.metadata.name).sort());
    for (const r of requests) {
      expect((r as { spec?: unknown }).spec).toEqual({ strategy: 'Reboot', retryLimit: 2 });
      expect(r.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Machine', name: r.metadata.name });
      expect(r.metadata.annotations?.['cluster.x-k8s.io/cloned-from-name']).toBe('reboot');
    }
    // Not deleted by the MachineSet: the external remediator owns the repair.
    const now = await machines();
    expect(
      now.filter((m) => unhealthy.some((u) => u.metadata.name === m.metadata.name) && !m.metadata.deletionTimestamp),
    ).toHaveLength(2);
    // A Node that recovers: its request goes.
    const healed = unhealthy[0]!;
    await kubectl(
      'patch',
      'node',
      healed.status!.nodeRef!.name!,
      '--subresource=status',
      '--type=strategic',
      '-p',
      JSON.stringify({
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      }),
    );
    await eventually('the recovered Machine’s request is deleted', async () => {
      const l = (await sys.kube.listAll({ apiVersion, kind: 'TestRemediation' }, { namespace: NS })).items;
      return l.length === 1 && l[0]!.metadata.name === unhealthy[1]!.metadata.name;
    });
  });
});
