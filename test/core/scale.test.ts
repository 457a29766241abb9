// The correctness properties of DESIGN.md against the embedded API server, the real bus and runtime.
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, sampleObjects } from '../support/sample.ts';
import { scaleWalk } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
const LOCAL_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** A fresh installation with the sample MachineSet at one replica, once its Machine is Running: both. */
async function oneRunningMachine(): Promise<{ e: CapiEnv; m: KubeObject }> {
  const e = await startCapiEnv();
  env = e;
  await createAll(e.kube, sampleObjects({ replicas: 1 }));
  const [m] = await eventually('a Running Machine', async () => {
    const l = (await e.kube.listAll(MACHINE)).items as Array<KubeObject & { status?: { phase?: string } }>;
    return l.length === 1 && l[0]!.status?.phase === 'Running' ? l : false;
  });
  return { e, m: m! };
}

describe('MachineSet scaling on the local provider', () => {
  it('converges to exactly the requested machines through 0 → 5 → 2 → 7 → 0', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(env, MS, [0, 5, 2, 7, 0]);
    expect(await env.bus.deadLetters()).toEqual([]);
  });

  it('holds with every event delivered three times, shuffled, and eight concurrent copies', async () => {
    env = await startCapiEnv({ chaos: { duplicates: 3, shuffle: true, concurrentCopies: 8, seed: 7 } });
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(env, MS, [0, 5, 2, 7, 0], { timeoutMs: 120_000 });
  }, 300_000);
});

describe('MachineSet naming', () => {
  it('names Machines and their infrastructure machines from spec.machineNamingStrategy.template', async () => {
    env = await startCapiEnv();
    const objs = sampleObjects({ replicas: 3 });
    const ms = objs.find((o) => o.kind === 'MachineSet') as { spec: Record<string, unknown> };
    ms.spec.machineNamingStrategy = { template: 'w-{{ .cluster.name }}-{{ .random }}' };
    await createAll(env.kube, objs);
    const machines = await eventually('3 Machines', async () => {
      const l = (await env!.kube.listAll({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' })).items;
      return l.length === 3 ? l : false;
    });
    for (const m of machines) {
      expect(m.metadata.name).toMatch(new RegExp(`^w-${CLUSTER}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect((m as { spec?: { infrastructureRef?: { name?: string } } }).spec?.infrastructureRef?.name).toBe(
        m.metadata.name,
      );
    }
  });
});

describe('what wakes a MachineSet', () => {
  it('not the identity a Machine copies from its infrastructure machine, but a change it reads', async () => {
    const { e, m } = await oneRunningMachine();
    const ref = { ...MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name! };
    const setRuns = () => e.ledger.requests.filter((r) => r.handler === 'machineset').length;
    // Quiet: nothing more reaches the set for a while.
    let before = setRuns();
    await eventually('the MachineSet quiet', async () => {
      await new Promise((r) => setTimeout(r, 500));
      const now = setRuns();
      const quiet = now === before;
      before = now;
      return quiet;
    });
    // What the Machine handler writes when it copies the identity: a set reads none of it.
    await e.kube.patch(
      ref,
      { metadata: { labels: { 'machine.capi-fn.io/provider-id-hash': 'changed' } }, spec: { failureDomain: 'fd-x' } },
      { type: 'merge' },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(setRuns()).toBe(before);
    // A label is part of what it reads (its selector, fully-labelled replicas).
    await e.kube.patch(ref, { metadata: { labels: { extra: 'x' } } }, { type: 'merge' });
    await eventually('the MachineSet reconciled', async () => setRuns() > before);
  });
});

describe('what a scale-down wakes', () => {
  it('the Machine: not its infrastructure machine’s deletion starting or teardown status, only the object gone', async () => {
    const { e, m } = await oneRunningMachine();
    const name = m.metadata.name!;
    const from = e.ledger.deliveries.length;
    const writesFrom = e.ledger.writes.length;
    await e.kube.patch(
      { ...MACHINE, kind: 'MachineSet', namespace: m.metadata.namespace!, name: MS },
      { spec: { replicas: 0 } },
      { type: 'merge' },
    );
    await eventually('the Machine and its infrastructure machine gone', async () => {
      const [ms, ims] = await Promise.all([e.kube.listAll(MACHINE), e.kube.listAll(LOCAL_MACHINE)]);
      return ms.items.length === 0 && ims.items.length === 0;
    });
    await new Promise((r) => setTimeout(r, 500));
    const seen = e.ledger.deliveries.slice(from).filter((d) => d.name === name);
    const of = (handler: string, kind: string, type: string) =>
      seen.filter((d) => d.handler === handler && d.kind === kind && d.type === type);
    // The provider did write its teardown status, and the Machine its own (which the set counts until it is gone).
    const teardown = e.ledger.writes
      .slice(writesFrom)
      .filter(
        (w) => w.handler === 'local-machine' && w.method === 'PUT' && w.path.includes(`/localmachines/${name}/status`),
      );
    expect(teardown.length).toBeGreaterThan(0);
    // The MachineSet hears the Machine gone (what its deletion starting does not wake is tested on the bridge: here
    // that event may fold into the Machine's first teardown status write, which the set does hear).
    expect(of('machineset', 'Machine', 'deleted').length).toBeGreaterThan(0);
    // The Machine: its infrastructure machine gone, nothing of its teardown before.
    expect(of('machine', 'LocalMachine', 'modified')).toEqual([]);
    expect(of('machine', 'LocalMachine', 'deleted').length).toBeGreaterThan(0);
  });
});

describe('what wakes a MachineSet about a new Machine', () => {
  it('not its own clone’s creation; an orphan matching its selector is adopted at its first change', async () => {
    const { e, m } = await oneRunningMachine();
    // The set's own clone reached it as changes, never as an addition.
    const added = e.ledger.deliveries.filter((d) => d.handler === 'machineset' && d.type === 'added');
    expect(added.filter((d) => d.kind === 'Machine')).toEqual([]);
    const ns = m.metadata.namespace!;
    // Quiet first: a set's run still due from its own Machine's last change would list the orphan and adopt it, and
    // prove nothing about what the orphan itself wakes.
    // (The bridge may still hold the Machine's last write when the bus first goes idle: idle twice, apart.)
    await e.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    await e.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    const from = e.ledger.deliveries.length;
    const ms = (await e.kube.get({ ...MACHINE, kind: 'MachineSet', namespace: ns, name: MS })) as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; template: { spec: Record<string, unknown> } };
    };
    await e.kube.create({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalMachine',
      metadata: { name: 'orphan-1', namespace: ns },
      spec: { cpus: 2, memoryMiB: 4096, image: 'rhcos-4.20-local' },
    });
    await e.kube.create({
      ...MACHINE,
      metadata: { name: 'orphan-1', namespace: ns, labels: ms.spec.selector.matchLabels },
      spec: {
        ...ms.spec.template.spec,
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'LocalMachine',
          name: 'orphan-1',
          namespace: ns,
        },
      },
    });
    // Adopted (as upstream adopts an orphan its selector matches), then one of the two goes: replicas is 1.
    await eventually('the orphan adopted', async () =>
      e.ledger.writes.some(
        (w) => w.handler === 'machineset' && w.method === 'PUT' && w.path.split('?')[0]!.endsWith('/machines/orphan-1'),
      ),
    );
    // What woke the set for it: the orphan's first change (the Machine handler's finalizer and status), not its addition.
    const woke = e.ledger.deliveries.slice(from).filter((d) => d.handler === 'machineset');
    expect(woke.filter((d) => d.type === 'added')).toEqual([]);
    expect(woke.filter((d) => d.kind === 'Machine' && d.name === 'orphan-1' && d.type === 'modified').length).toBe(
      woke.length,
    );
    expect(woke.length).toBeGreaterThan(0);
    await eventually('one Machine, controlled by the set', async () => {
      const l = (await e.kube.listAll(MACHINE)).items.filter((x) => !x.metadata.deletionTimestamp);
      return (
        l.length === 1 &&
        l[0]!.metadata.ownerReferences?.some((o) => o.kind === 'MachineSet' && o.name === MS && o.controller)
      );
    });
  });
});

describe('what a Machine hears of its infrastructure machine', () => {
  it('deleted by hand while the Machine lives: the provider’s teardown status, mirrored at once', async () => {
    type WithConditions = KubeObject & {
      status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
    };
    const { e, m } = await oneRunningMachine();
    const ref = { ...LOCAL_MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name! };
    // Held, so that it stays while being deleted once the provider has let go of it.
    const im = await e.kube.get(ref);
    const finalizers = [...(im.metadata.finalizers ?? []), 'test.capi-fn.io/hold'];
    await e.kube.patch(ref, { metadata: { finalizers } }, { type: 'merge' });
    const from = e.ledger.deliveries.length;
    await e.kube.delete(ref);
    const infraReady = async () =>
      (
        (await e.kube.get({ ...MACHINE, namespace: ref.namespace, name: ref.name })) as WithConditions
      ).status?.conditions?.find((c) => c.type === 'InfrastructureReady')?.status;
    await eventually('the Machine mirrors the teardown', async () => (await infraReady()) === 'False');
    const heard = e.ledger.deliveries
      .slice(from)
      .filter((d) => d.handler === 'machine' && d.kind === 'LocalMachine' && d.type === 'modified');
    expect(heard.length).toBeGreaterThan(0);
    // Still there: what woke the Machine was a modification, not the object gone.
    expect(await e.kube.find(ref)).toBeDefined();
  });
});
