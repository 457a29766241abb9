// Machine deletion on the embedded API server, as upstream drains: a refused eviction (a pod under two
// PodDisruptionBudgets, which the eviction API answers with a 500) is recorded for that pod in DrainingSucceeded
// while the other pods are still evicted in the same pass; a pod labelled `cluster.x-k8s.io/drain: Skip` stays;
// the drain completes once the refusal is gone and the Machine records SuccessfulDrainNode. The volume-detach wait
// counts the evicted pods' volumes, not those of pods the drain skips. Pre-drain hooks do not hold a Machine whose
// Cluster is being deleted.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { EVENTS_V1, type EventV1 } from '../../shared/kube/events.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, machines, scaleTo, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const APPS = 'apps';
const POD = { apiVersion: 'v1', kind: 'Pod' };
const PDB = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function runningPod(
  name: string,
  node: string,
  labels: Record<string, string>,
  claim?: string,
  namespace = APPS,
): Promise<void> {
  const created = await env!.kube.create<KubeObject>({
    ...POD,
    metadata: { name, namespace, labels },
    spec: {
      nodeName: node,
      containers: [{ name: 'app', image: 'registry.example/app:1' }],
      ...(claim ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] } : {}),
    },
  } as KubeObject);
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await env!.kube.updateStatus({
    ...created,
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] },
  } as KubeObject);
}

/** The Machine's DrainingSucceeded condition once its message says `text`. */
const drainingSays = (key: { apiVersion: string; kind: string; namespace: string; name: string }, text: string) =>
  eventually(`DrainingSucceeded says ${text}`, async () => {
    const live = await env!.kube.find<Machine>(key);
    const c = live?.status?.conditions?.find((x) => x.type === 'DrainingSucceeded');
    return c?.message?.includes(text) ? c : false;
  });

const pdb = (name: string) =>
  ({
    ...PDB,
    metadata: { name, namespace: APPS },
    spec: { minAvailable: 0, selector: { matchLabels: { app: 'db' } } },
  }) as KubeObject;

describe('Machine drain', () => {
  it('records a refused eviction per pod, evicts the rest, and finishes once it is allowed', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [m] = (await waitConverged(env, MS, 1, 90_000)) as [Machine];
    const node = m.status!.nodeRef!.name!;
    await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS } } as KubeObject);
    await runningPod('db', node, { app: 'db' });
    await runningPod('web', node, { app: 'web' });
    await runningPod('agent', node, { app: 'agent', 'cluster.x-k8s.io/drain': 'Skip' });
    await env.kube.create(pdb('db-a'));
    await env.kube.create(pdb('db-b'));

    const mark = env.ledger.writes.length;
    await scaleTo(env.kube, MS, 0);
    const key = { ...MACHINE, namespace: NS, name: m.metadata.name! };
    const draining = await drainingSays(key, '* Pod apps/db: failed to evict Pod, ');
    // The drain's start was saved before its first eviction (one that hangs past the function's timeout must not
    // restart the nodeDrainTimeout clock on every retry).
    const writes = env.ledger.writes.slice(mark).filter((w) => w.handler === 'machine');
    const firstEviction = writes.findIndex((w) => w.path.includes('/eviction'));
    const startSaved = writes.findIndex(
      (w) =>
        w.path.split('?')[0]!.endsWith(`/machines/${m.metadata.name}/status`) && w.body?.includes('nodeDrainStartTime'),
    );
    expect(firstEviction).toBeGreaterThan(-1);
    expect(startSaved).toBeGreaterThan(-1);
    expect(startSaved).toBeLessThan(firstEviction);
    expect(draining).toMatchObject({ status: 'False', reason: 'Draining', severity: 'Info' });
    expect(draining.message).toMatch(/^Drain not completed yet \(started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\):\n/);
    expect(draining.message).toContain('more than one PodDisruptionBudget');
    // The same pass evicted the other pod; the Skip-labelled one stays.
    const left = async () =>
      (await env!.kube.listAll(POD, { namespace: APPS })).items.map((p) => p.metadata.name).sort();
    await eventually('web evicted', async () => !(await left()).includes('web'));
    expect(await left()).toEqual(['agent', 'db']);

    // One budget goes: the next pass (every 20 s) evicts db and the Machine goes.
    await env.kube.delete({ ...PDB, namespace: APPS, name: 'db-b' });
    await eventually('the Machine is gone', async () => (await machines(env!.kube)).length === 0, {
      timeoutMs: 60_000,
    });
    expect(await left()).toEqual(['agent']);
    const events = (await env.kube.listAll<EventV1>(EVENTS_V1, { namespace: NS })).items.filter(
      (e) => e.regarding?.kind === 'Machine' && e.regarding.name === m.metadata.name,
    );
    expect(events.map((e) => [e.reason, e.note])).toEqual(
      expect.arrayContaining([['SuccessfulDrainNode', `success draining Machine's node "${node}"`]]),
    );
    expect(await env.bus.deadLetters()).toEqual([]);
  });

  it('waits for the volumes of evicted pods to detach, never for those of pods the drain skips', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [m] = (await waitConverged(env, MS, 1, 90_000)) as [Machine];
    const node = m.status!.nodeRef!.name!;
    await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS } } as KubeObject);
    for (const [name, handle, claim] of [
      ['pv-data', 'vol-1', 'data'],
      ['pv-logs', 'vol-2', 'logs'],
    ] as const)
      await env.kube.create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name },
        spec: {
          capacity: { storage: '1Gi' },
          csi: { driver: 'ebs.csi.aws.com', volumeHandle: handle },
          claimRef: { kind: 'PersistentVolumeClaim', namespace: APPS, name: claim },
        },
      } as KubeObject);
    await runningPod('db', node, { app: 'db' }, 'data');
    await runningPod('agent', node, { app: 'agent', 'cluster.x-k8s.io/drain': 'skip' }, 'logs');
    const attach = (handles: string[]) =>
      env!.kube.patch(
        { apiVersion: 'v1', kind: 'Node', name: node },
        {
          status: {
            volumesAttached: handles.map((h) => ({ name: `kubernetes.io/csi/ebs.csi.aws.com^${h}`, devicePath: '' })),
          },
        },
        { type: 'merge', subresource: 'status' },
      );
    await attach(['vol-1', 'vol-2']);

    await scaleTo(env.kube, MS, 0);
    const key = { ...MACHINE, namespace: NS, name: m.metadata.name! };
    const waiting = await eventually('VolumeDetachSucceeded waits for the evicted pod’s claim only', async () => {
      const live = await env!.kube.find<Machine>(key);
      const c = live?.status?.conditions?.find((x) => x.type === 'VolumeDetachSucceeded');
      return c?.status === 'False' ? c : false;
    });
    expect(waiting.reason).toBe('WaitingForVolumeDetach');
    expect(waiting.message).toMatch(
      /^Waiting for Node volumes to be detached \(started at [^)]+\)\n\* PersistentVolumeClaims: apps\/data$/,
    );
    // The evicted pod's volume detaches; the skipped pod's stays attached, and does not hold the Machine.
    await attach(['vol-2']);
    await eventually('the Machine is gone', async () => (await machines(env!.kube)).length === 0, {
      timeoutMs: 60_000,
    });
    const reasons = (await env.kube.listAll<EventV1>(EVENTS_V1, { namespace: NS })).items
      .filter((e) => e.regarding?.kind === 'Machine' && e.regarding.name === m.metadata.name)
      .map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['SuccessfulDrainNode', 'NodeVolumesDetached']));
  });

  it('follows MachineDrainRules: Skip by namespace, a higher order only after the lower is gone', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [m] = (await waitConverged(env, MS, 1, 90_000)) as [Machine];
    const node = m.status!.nodeRef!.name!;
    for (const name of [APPS, 'agents'])
      await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
    const rule = (name: string, spec: Record<string, unknown>) =>
      env!.kube.create({
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'MachineDrainRule',
        metadata: { name, namespace: NS },
        spec,
      } as KubeObject);
    await rule('agents-stay', {
      drain: { behavior: 'Skip' },
      pods: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } } }],
    });
    await rule('logs-last', {
      drain: { behavior: 'Drain', order: 10 },
      pods: [{ selector: { matchLabels: { app: 'logs' } } }],
    });
    await runningPod('db', node, { app: 'db' });
    await runningPod('logs', node, { app: 'logs' });
    await runningPod('agent', node, { app: 'agent' }, undefined, 'agents');
    await env.kube.create(pdb('db-a'));
    await env.kube.create(pdb('db-b'));

    await scaleTo(env.kube, MS, 0);
    const key = { ...MACHINE, namespace: NS, name: m.metadata.name! };
    const c = await drainingSays(key, 'the following Pods will be evicted: apps/logs');
    expect(c.message).toContain('* Pod apps/db: failed to evict Pod, ');
    // logs waits for its turn: still there while db is.
    expect((await env.kube.listAll(POD, { namespace: APPS })).items.map((p) => p.metadata.name).sort()).toEqual([
      'db',
      'logs',
    ]);
    await env.kube.delete({ ...PDB, namespace: APPS, name: 'db-b' });
    await eventually('the Machine is gone', async () => (await machines(env!.kube)).length === 0, {
      timeoutMs: 90_000,
    });
    expect((await env.kube.listAll(POD, { namespace: APPS })).items).toEqual([]);
    expect((await env.kube.listAll(POD, { namespace: 'agents' })).items.map((p) => p.metadata.name)).toEqual(['agent']);
  });

  it('does not wait for pre-drain hooks while the Cluster is being deleted', { timeout: 150_000 }, async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [m] = (await waitConverged(env, MS, 1, 90_000)) as [Machine];
    await env.kube.patch(
      { ...MACHINE, namespace: NS, name: m.metadata.name! },
      { metadata: { annotations: { 'pre-drain.delete.hook.machine.cluster.x-k8s.io/backup': 'backup-operator' } } },
      { type: 'merge' },
    );
    await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace: NS, name: CLUSTER });
    await eventually(
      'the Cluster and its Machine gone',
      async () =>
        (await machines(env!.kube)).length === 0 &&
        !(await env!.kube.find({
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          namespace: NS,
          name: CLUSTER,
        })),
      { timeoutMs: 60_000 },
    );
  });
});
