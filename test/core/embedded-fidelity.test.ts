// What a user who knows upstream checks first, on the embedded default with kubectl: the Events of a scale-up and
// a scale-down in `kubectl describe` and `kubectl events` (the handlers write events.k8s.io/v1; kubectl reads them
// through core/v1), and readyReplicas following the Nodes' Ready condition as upstream counts it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Embedded, startEmbedded } from '../../local/embedded/system.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { EVENTS_V1, type EventV1 } from '../../shared/kube/events.ts';
import { eventually, tempDir } from '../support/env.ts';

const run = promisify(execFile);
const NS = 'openshift-cluster-api';
const SET = 'capi-fn-local-7x2kq-worker-local-a';
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };

let sys: Embedded;
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'kubectl',
    ['--kubeconfig', sys.kubeconfigPath, '--cache-dir', join(sys.dataDir, 'kubectl-cache'), ...args],
    { encoding: 'utf8' },
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

/** The Events section of `kubectl describe`: one line per Event after the header. */
function eventLines(describe: string): string[] {
  const section = describe.slice(describe.lastIndexOf('Events:'));
  return section
    .split('\n')
    .slice(3)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `kubectl patch node --subresource=status`: the simulated kubelet leaves a Node's status alone once set. */
async function setNodeCondition(node: string, type: string, status: string): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const patch = {
    status: { conditions: [{ type, status, reason: 'Test', message: 'set by the test', lastTransitionTime: at }] },
  };
  await kubectl('patch', 'node', node, '--subresource=status', '--type=strategic', '-p', JSON.stringify(patch));
}

const readyReplicas = async () =>
  Number(await kubectl('get', 'machineset.cluster.x-k8s.io', '-n', NS, SET, '-o', 'jsonpath={.status.readyReplicas}'));

describe('upstream behaviour on the embedded default', () => {
  beforeAll(async () => {
    sys = await startEmbedded({ dataDir: tempDir('capi-fn-events-'), port: 0, sample: true, bootDelayMs: 50 });
    await sys.sampleApplied;
    await running(3, '3 Running machines of the sample');
  }, 120_000);
  afterAll(async () => sys?.stop());

  it('kubectl describe machineset shows a scale-up and a scale-down with upstream’s reasons', async () => {
    const before = new Set((await machines()).map((m) => m.metadata.name!));
    await kubectl('scale', 'machineset', '-n', NS, SET, '--replicas=4');
    const four = await running(4, '4 Running machines');
    const added = four.map((m) => m.metadata.name!).filter((n) => !before.has(n));
    expect(added).toHaveLength(1);
    await kubectl('scale', 'machineset', '-n', NS, SET, '--replicas=2');
    const two = await running(2, '2 Running machines');
    const removed = four.map((m) => m.metadata.name!).filter((n) => !two.some((m) => m.metadata.name === n));
    expect(removed).toHaveLength(2);

    const lines = eventLines(await kubectl('describe', 'machineset', '-n', NS, SET));
    const created = lines.filter((l) => /^Normal\s+SuccessfulCreate\s/.test(l));
    const deleted = lines.filter((l) => /^Normal\s+SuccessfulDelete\s/.test(l));
    for (const name of [...before, ...added])
      expect(created.some((l) => l.endsWith(`Created machine "${name}"`))).toBe(true);
    for (const name of removed) expect(deleted.some((l) => l.endsWith(`Deleted machine "${name}"`))).toBe(true);
    expect(created).toHaveLength(4);
    expect(deleted).toHaveLength(2);
    // The source column names the reporting controller.
    expect(created[0]).toMatch(/capi-fn\.io\/capi-fn-machineset/);

    // `kubectl events` lists the same, and the API holds them as events.k8s.io/v1 with upstream’s fields.
    const listed = await kubectl('events', '-n', NS, '--for', `machineset/${SET}`);
    expect(listed).toContain('SuccessfulCreate');
    expect(listed).toContain('SuccessfulDelete');
    const v1 = (await sys.kube.listAll<EventV1>(EVENTS_V1, { namespace: NS })).items.filter(
      (e) => e.regarding?.kind === 'MachineSet' && e.reason === 'SuccessfulDelete',
    );
    expect(v1).toHaveLength(2);
    expect(v1[0]).toMatchObject({
      type: 'Normal',
      action: 'SuccessfulDelete',
      reportingController: 'capi-fn.io/capi-fn-machineset',
      regarding: { kind: 'MachineSet', name: SET, namespace: NS },
    });
    expect(v1[0]!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    // The scale-down's Machines drained their Nodes first: their Events outlive them.
    for (const name of removed)
      expect(await kubectl('events', '-n', NS, '--for', `machine.cluster.x-k8s.io/${name}`)).toMatch(
        /SuccessfulDrainNode\s+Machine\/\S+\s+success draining Machine's node/,
      );

    // The Machine added by the scale-up shows upstream's SuccessfulSetNodeRef, naming its Node.
    const kept = two.find((m) => added.includes(m.metadata.name!)) ?? two[0]!;
    const machineLines = eventLines(
      await kubectl('describe', 'machine.cluster.x-k8s.io', '-n', NS, kept.metadata.name!),
    );
    expect(machineLines.filter((l) => /^Normal\s+SuccessfulSetNodeRef\s/.test(l))).toEqual([
      expect.stringMatching(new RegExp(`capi-fn\\.io/capi-fn-machine\\s+${kept.status!.nodeRef!.name}$`)),
    ]);
  });

  it('readyReplicas counts Nodes that are Ready, under pressure or not, and drops when one is NotReady', async () => {
    const [a, b] = await running(2, '2 Running machines');
    await setNodeCondition(a!.status!.nodeRef!.name!, 'DiskPressure', 'True');
    await eventually('the pressure reaches the Machine', async () => {
      const m = (await machines()).find((x) => x.metadata.name === a!.metadata.name);
      return m?.status?.conditions?.find((c) => c.type === 'NodeHealthy')?.status === 'False';
    });
    // Upstream's IsNodeReady looks at Ready alone: the Machine is still counted.
    expect(await readyReplicas()).toBe(2);
    await setNodeCondition(b!.status!.nodeRef!.name!, 'Ready', 'False');
    await eventually('readyReplicas 1', async () => (await readyReplicas()) === 1);
    const m = (await machines()).find((x) => x.metadata.name === b!.metadata.name);
    expect(m?.status?.v1beta2?.conditions?.find((c) => c.type === 'NodeReady')).toMatchObject({
      status: 'False',
      reason: 'NodeNotReady',
      message: 'set by the test',
    });
  });
});
