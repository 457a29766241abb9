// The one behaviour contract every infrastructure provider passes against its peer (the simulated cloud,
// moto, an emulator, vcsim), through the real bus, runtime and bridge on the embedded API server. A
// provider's test file supplies a fixture: how to start its peer, what to seed there, its machine
// template, how to read instances back independently of the provider's own port, and its bad inputs.
//
// Every test starts a fresh installation and a fresh peer state. No assertion depends on wall-clock
// speed; waits only bound how long a failing test hangs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import type { KitTimings } from '../../functions/providers/kit/definition.ts';
import type { ProviderModule } from '../../functions/providers/kit/module.ts';
import { scannersFor } from '../../functions/providers/kit/orphans.ts';
import { ADOPT_ANNOTATION } from '../../functions/providers/kit/port.ts';
import { runtimes } from '../../functions/providers/runtimes.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import type { HandlerDefinition } from '../../shared/runtime/handler.ts';
import { silentLogger } from '../../shared/runtime/logger.ts';
import { type CloudDialect, startCloudChaosProxy } from '../chaos/cloud-proxy.ts';
import { describeOutside, outsideRules } from '../rbac/recorded.ts';
import { type CapiEnv, type EnvOptions, eventually, startCapiEnv } from '../support/env.ts';
import { createAll, machineSet } from '../support/sample.ts';
import { scaleMachineSet } from '../support/scale.ts';

export const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
export const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
export const CLUSTER = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster' };
const NODE = { apiVersion: 'v1', kind: 'Node' };

/** An instance as the peer reports it, read without the provider's port. */
export interface ObservedInstance {
  id: string;
  /** The Machine UID it carries (capi-fn's identity marker), if any. */
  machineUid?: string | undefined;
  /** Not yet deleted (pending, running, stopped, terminating). */
  live: boolean;
  providerID?: string | undefined;
}

/** A case of bad input: what to break in the machine template, what the condition says, and the fix. */
export interface BadInput {
  /** `image`, `network` or `instance type`, as the issue names them. */
  what: string;
  /** Merged into the template spec. */
  spec: Record<string, unknown>;
  /** InstanceReady's reason while it is broken. */
  reason: string;
  /** The field the message names. */
  field: string;
  /** Repairs it: creates the missing thing in the peer, or patches the infrastructure machine's spec. */
  fix(o: {
    kube: KubeClient;
    infraMachine: { apiVersion: string; kind: string; namespace: string; name: string };
  }): Promise<void>;
}

/** What one test's installation of the provider gives the suite. */
export interface Installed {
  handlers: Array<HandlerDefinition<unknown>>;
  /** The provider's client as the handlers see it (unwrapped), for the orphan scanner. */
  client: unknown;
  stop(): Promise<void>;
}

/** What the peer holds for one test: the objects to create and the template the MachineSets use. */
export interface Seeded {
  namespace: string;
  clusterName: string;
  /** Namespace, bootstrap Secret, Cluster and infrastructure cluster (and anything else the template needs). */
  objects: KubeObject[];
  template: { apiVersion: string; kind: string; spec: Record<string, unknown> };
  badInput: BadInput[];
}

export interface ProviderFixture {
  module: ProviderModule;
  infraMachine: { apiVersion: string; kind: string };
  /** Starts the peer (once per suite). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Clears the peer between tests. */
  reset(): Promise<void>;
  /** The provider's handlers for one installation; `wrap` counts and crashes the client's calls. */
  install(o: {
    kube: KubeClient;
    wrap: <T extends object>(c: T) => T;
    timings: Partial<KitTimings>;
  }): Promise<Installed>;
  seed(kube: KubeClient): Promise<Seeded>;
  /** Every instance the peer holds that carries capi-fn's identity marker, deleted ones included where the peer keeps them. */
  instances(): Promise<ObservedInstance[]>;
  /** Deletes an instance as someone outside capi-fn would, and waits until the peer says it is gone. */
  deleteOutside(id: string): Promise<void>;
  /**
   * Makes an instance that carries no capi-fn marker (someone else's), and says how an infrastructure machine's
   * spec would name it (`{ instanceID }`, `{ providerID }`).
   */
  foreignInstance(): Promise<{ id: string; spec: Record<string, unknown>; live(): Promise<boolean> }>;
  /** Makes an instance with capi-fn's markers for this cluster but for a Machine UID that does not exist. */
  orphanInstance(o: { clusterName: string; machineUid: string }): Promise<string>;
  timings: Partial<KitTimings>;
  /**
   * The cloud's wire, for the fault proxy (test/chaos/cloud-proxy.ts): its error dialect, the peer's URL, the calls
   * that create and delete an instance, and `via(url, caPem)`, which points the provider's clients installed from
   * then on at `url`, trusting `caPem` when the proxy serves HTTPS (undefined: the peer again). `tls()` says the peer
   * speaks only HTTPS, and the CA to check it with. The kubelets' simulator and `instances()` keep reading the peer
   * directly.
   */
  /**
   * The provider's cloud is the Kubernetes API itself (Metal3: BareMetalHosts moved by the baremetal-operator), so
   * its fault case puts the handlers and the bridge behind the Kubernetes fault proxy (test/chaos/proxy.ts) instead.
   */
  cloudIsKubernetes?: boolean;
  cloudFaults?: {
    dialect: CloudDialect;
    upstream(): string;
    tls?(): { upstreamCa?: string };
    /**
     * The share of requests that meet a fault (default 0.3). A cloud whose every step is several calls (vSphere's
     * SOAP: a property read, the task, its polls) fails a step at 1 − (1 − rate)^calls, so it declares less.
     */
    rate?: number;
    createCall: string;
    deleteCall: string;
    via(url: string | undefined, caPem?: string): void;
  };
}

interface Harness {
  env: CapiEnv;
  kube: KubeClient;
  installed: Installed;
  seeded: Seeded;
  /** Run by stop(), first (watches the test started). */
  cleanups: Array<() => void>;
  stop(): Promise<void>;
}

async function startHarness(f: ProviderFixture, env: EnvOptions = {}): Promise<Harness> {
  let installed: Installed | undefined;
  const capi = await startCapiEnv({
    ...env,
    providers: async (wrap, { kube, ledger }) => {
      installed = await f.install({ kube, wrap, timings: f.timings });
      // Each reconcile's calls are measured apart: the crash sweep must cover the longest one.
      return installed.handlers.map((d) => ({
        ...d,
        reconcile: (ref, ctx) => ledger.measureReconcile(d.name, () => d.reconcile(ref, ctx)),
      }));
    },
  });
  const seeded = await f.seed(capi.kube);
  await createAll(capi.kube, seeded.objects);
  const cleanups: Array<() => void> = [];
  return {
    env: capi,
    kube: capi.kube,
    installed: installed!,
    seeded,
    cleanups,
    async stop() {
      for (const c of cleanups) c();
      await installed?.stop();
      await capi.stop();
    },
  };
}

const TEMPLATE = 'contract-worker';

function templateObject(h: Harness, name: string, over: Record<string, unknown> = {}): KubeObject {
  const t = h.seeded.template;
  return {
    apiVersion: t.apiVersion,
    kind: t.kind,
    metadata: { name, namespace: h.seeded.namespace },
    spec: { template: { spec: { ...t.spec, ...over } } },
  };
}

function setObject(h: Harness, name: string, template: string, replicas: number): KubeObject {
  return machineSet({
    namespace: h.seeded.namespace,
    cluster: h.seeded.clusterName,
    name,
    template,
    replicas,
    templateKind: h.seeded.template.kind,
    templateApiVersion: h.seeded.template.apiVersion,
  });
}

async function machinesOf(h: Harness, set: string): Promise<Machine[]> {
  return (
    await h.kube.listAll<Machine>(MACHINE, {
      namespace: h.seeded.namespace,
      labelSelector: `cluster.x-k8s.io/set-name=${set}`,
    })
  ).items;
}

function scaleTo(h: Harness, set: string, replicas: number): Promise<void> {
  return scaleMachineSet(h.kube, h.seeded.namespace, set, replicas);
}

interface NodeObj extends KubeObject {
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/**
 * Exactly `n` Running Machines in the set, each with exactly one live instance carrying its UID (and the
 * providerID the Machine reports), and a Ready Node with that providerID; the set's status says so too.
 */
async function converged(
  f: ProviderFixture,
  h: Harness,
  set: string,
  n: number,
  timeoutMs = 60_000,
): Promise<Machine[]> {
  try {
    return await eventually(
      `${n} Running machines in ${set}, one live instance and one Ready Node each`,
      async () => {
        const ms = await machinesOf(h, set);
        if (ms.length !== n) return false;
        if (!ms.every((m) => m.status?.phase === 'Running' && !m.metadata.deletionTimestamp)) return false;
        const live = (await f.instances()).filter((i) => i.live);
        const nodes = (await h.kube.listAll<NodeObj>(NODE)).items;
        for (const m of ms) {
          const mine = live.filter((i) => i.machineUid === m.metadata.uid);
          if (mine.length !== 1) return false;
          if (mine[0]!.providerID && mine[0]!.providerID !== m.spec.providerID) return false;
          const node = nodes.find((x) => x.spec?.providerID === m.spec.providerID);
          if (!node || m.status?.nodeRef?.name !== node.metadata.name) return false;
          if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
        }
        const st = (await h.kube.get<MachineSet>({ ...MACHINESET, namespace: h.seeded.namespace, name: set })).status;
        if ((st?.readyReplicas ?? 0) !== n || (st?.replicas ?? 0) !== n) return false;
        return ms;
      },
      { timeoutMs },
    );
  } catch (e) {
    const brief = async (t: { apiVersion: string; kind: string }) =>
      (await h.kube.listAll(t, { namespace: h.seeded.namespace })).items.map((o) => ({
        name: o.metadata.name,
        finalizers: o.metadata.finalizers,
        deleting: o.metadata.deletionTimestamp,
        conditions: (o.status as { conditions?: unknown } | undefined)?.conditions,
      }));
    const state = {
      machines: await brief(MACHINE),
      infraMachines: await brief(f.infraMachine),
      instances: await f.instances(),
    };
    throw new Error(`${(e as Error).message}\nstate: ${JSON.stringify(state, null, 1)}`);
  }
}

/** One instance ever per Machine ever created, and none live once the set is gone. */
async function oneInstancePerMachine(f: ProviderFixture, machineUids: Set<string>): Promise<void> {
  const all = await f.instances();
  for (const uid of machineUids) {
    expect(
      all.filter((i) => i.machineUid === uid),
      `instances of Machine ${uid}`,
    ).toHaveLength(1);
  }
  expect(
    all.filter((i) => !machineUids.has(i.machineUid ?? '')),
    'instances of no Machine',
  ).toEqual([]);
}

async function noLiveInstance(f: ProviderFixture): Promise<void> {
  await eventually('no live instance', async () => (await f.instances()).every((i) => !i.live));
}

/** Watches the set's Machines and remembers every UID ever created. */
async function trackMachines(h: Harness): Promise<{ uids: Set<string>; stop(): void }> {
  const uids = new Set<string>();
  const abort = new AbortController();
  h.cleanups.push(() => abort.abort());
  void (async () => {
    while (!abort.signal.aborted) {
      try {
        for await (const ev of h.kube.watch<Machine>(MACHINE, { namespace: h.seeded.namespace, signal: abort.signal }))
          uids.add(ev.object.metadata.uid!);
      } catch {
        // A closed watch is resumed from scratch: every UID is seen again in the initial list.
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  return { uids, stop: () => abort.abort() };
}

function condition(o: KubeObject | undefined, type: string) {
  return (
    o?.status as
      | { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; severity?: string }> }
      | undefined
  )?.conditions?.find((c) => c.type === type);
}

export interface ContractOptions {
  /** The most external calls a first attempt of the machine handler makes (the crash sweep covers each k up to it). */
  crashMaxK: number;
}

/** The contract. `fixture` is read when the suite starts (the peer may be started by an outer beforeAll). */
export function providerContract(o: ContractOptions, fixture: () => ProviderFixture): void {
  let f: ProviderFixture;
  let h: Harness | undefined;
  const machineHandler = () => `${f.module.name}-machine`;

  beforeAll(async () => {
    f = fixture();
    await f.start();
  });
  afterEach(async () => {
    const ran = h;
    await h?.stop();
    h = undefined;
    await f.reset();
    // Every request the provider's and the core functions made is one their generated roles allow (infra/rbac/).
    if (ran) {
      const { outside } = outsideRules(ran.env.ledger.requests, { workloadNamespaces: [ran.seeded.namespace] });
      expect(describeOutside(outside), 'calls outside infra/rbac/ (declare them, then npm run gen:rbac)').toEqual([]);
    }
  });
  afterAll(async () => {
    await f?.stop();
  });

  async function install(env: EnvOptions = {}): Promise<Harness> {
    h = await startHarness(f, env);
    return h;
  }

  it('the documented workflow: a MachineSet of 2 runs with Nodes, scales to 3 and 1, and deleting it leaves no instance', async () => {
    const x = await install();
    const track = await trackMachines(x);
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-a', TEMPLATE, 2)]);
    await converged(f, x, 'contract-a', 2);
    await scaleTo(x, 'contract-a', 3);
    await converged(f, x, 'contract-a', 3);
    await scaleTo(x, 'contract-a', 1);
    await converged(f, x, 'contract-a', 1);
    await x.kube.delete({ ...MACHINESET, namespace: x.seeded.namespace, name: 'contract-a' });
    await eventually('no Machine, infrastructure machine or Node left', async () => {
      const ms = await machinesOf(x, 'contract-a');
      const ims = (await x.kube.listAll(f.infraMachine, { namespace: x.seeded.namespace })).items;
      const nodes = (await x.kube.listAll(NODE)).items;
      return ms.length === 0 && ims.length === 0 && nodes.length === 0;
    });
    await noLiveInstance(f);
    track.stop();
    expect(track.uids.size).toBe(3);
    await oneInstancePerMachine(f, track.uids);
  });

  /**
   * The fault cases' sequence: a MachineSet 3 → 1 → 2 → 0, each step converged (slowly, through the faults), then
   * no live instance and one instance per Machine ever. Returns the Machines it saw.
   */
  async function scaledThroughFaults(x: Harness, name: string) {
    const track = await trackMachines(x);
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, name, TEMPLATE, 3)]);
    await converged(f, x, name, 3, 240_000);
    await scaleTo(x, name, 1);
    await converged(f, x, name, 1, 240_000);
    await scaleTo(x, name, 2);
    await converged(f, x, name, 2, 240_000);
    await scaleTo(x, name, 0);
    await eventually('no Machine left', async () => (await machinesOf(x, name)).length === 0, {
      timeoutMs: 240_000,
    });
    await noLiveInstance(f);
    track.stop();
    await oneInstancePerMachine(f, track.uids);
    return track;
  }

  it('the cloud failing (30% of requests unless the fixture says less: throttling, internal errors, resets, lost replies): one instance per Machine, none left', async (ctx) => {
    if (!f.cloudFaults) return ctx.skip();
    const seed = Number(process.env.CHAOS_CLOUD_SEED ?? 7);
    const proxy = await startCloudChaosProxy({
      upstream: f.cloudFaults.upstream(),
      seed,
      rate: f.cloudFaults.rate ?? 0.3,
      dialect: f.cloudFaults.dialect,
      preserveHost: true,
      ...(f.cloudFaults.tls ? { tls: f.cloudFaults.tls() } : {}),
      // Whatever the seed: a create done but its reply lost, then one throttled, and a delete's reply lost.
      script: [
        { call: f.cloudFaults.createCall, fault: 'reset-after' },
        { call: f.cloudFaults.createCall, fault: 'throttle' },
        { call: f.cloudFaults.deleteCall, fault: 'reset-after' },
      ],
    });
    f.cloudFaults.via(proxy.url, proxy.caPem);
    try {
      const x = await install();
      const track = await scaledThroughFaults(x, 'contract-f');
      const byKind = Object.fromEntries(proxy.injected);
      process.stdout.write(
        `${f.module.name} cloud faults, seed ${seed}: ${proxy.requests.total} requests, ${track.uids.size} Machines, faults ${JSON.stringify(byKind)}; on creates and deletes ${JSON.stringify(Object.fromEntries([...proxy.byCall].filter(([c]) => c.startsWith(f.cloudFaults!.createCall) || c.startsWith(f.cloudFaults!.deleteCall))))}\n`,
      );
      for (const k of ['throttle', 'unavailable', 'reset', 'reset-after', 'latency'])
        expect(byKind[k], k).toBeGreaterThan(0);
    } finally {
      f.cloudFaults.via(undefined);
      await proxy.close();
    }
  }, 900_000);

  it('the Kubernetes API failing at 10% for the handlers and the bridge (409, 429, 5xx, resets, lost replies, cut watches, 410s): one instance per Machine, none left', async (ctx) => {
    if (!f.cloudIsKubernetes) return ctx.skip();
    const seed = Number(process.env.CHAOS_API_SEED ?? 7);
    const x = await install({
      apiFaults: { seed, rate: 0.1 },
      ...(process.env.CONTRACT_LOG_LEVEL ? { logLevel: process.env.CONTRACT_LOG_LEVEL } : {}),
    });
    const proxy = x.env.apiProxy!;
    const track = await scaledThroughFaults(x, 'contract-k');
    const byKind = Object.fromEntries(proxy.injected);
    process.stdout.write(
      `${f.module.name} Kubernetes API faults, seed ${seed}: ${proxy.requests.total} requests (${proxy.requests.watches} watches), ${track.uids.size} Machines, faults ${JSON.stringify(byKind)}\n`,
    );
    // A conflict is drawn only for PUT and PATCH, a few times a run (none at some seeds): not required.
    for (const k of ['throttle', 'unavailable', 'reset', 'reset-after']) expect(byKind[k], k).toBeGreaterThan(0);
  }, 900_000);

  it('a converged system replayed makes no create and no write', async () => {
    const x = await install();
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-r', TEMPLATE, 2)]);
    const ms = await converged(f, x, 'contract-r', 2);
    await x.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    const writes = x.env.ledger.writesBy(machineHandler()).length;
    const instances = (await f.instances()).length;
    const before = x.env.ledger.calls;
    for (const m of ms) {
      await x.kube.patch(
        { ...f.infraMachine, namespace: x.seeded.namespace, name: m.spec.infrastructureRef.name! },
        { metadata: { labels: { replay: '1' } } },
        { type: 'merge' },
      );
    }
    await eventually('both reconciled again', async () => x.env.ledger.calls >= before + 2);
    await x.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(x.env.ledger.writesBy(machineHandler()).length).toBe(writes);
    expect((await f.instances()).length).toBe(instances);
  });

  it('every event three times, shuffled, eight copies at once: never more instances than Machines', async () => {
    const x = await install({ chaos: { duplicates: 3, shuffle: true, concurrentCopies: 8, seed: 11 } });
    const track = await trackMachines(x);
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-c', TEMPLATE, 0)]);
    for (const n of [3, 1, 0]) {
      await scaleTo(x, 'contract-c', n);
      await converged(f, x, 'contract-c', n, 90_000);
      await oneInstancePerMachine(f, track.uids);
    }
    await noLiveInstance(f);
    track.stop();
    expect(track.uids.size).toBe(3);
  }, 300_000);

  it(`the crash sweep covers the longest reconcile of the machine handler`, async () => {
    const x = await install();
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-k', TEMPLATE, 2)]);
    await converged(f, x, 'contract-k', 2);
    await scaleTo(x, 'contract-k', 0);
    await converged(f, x, 'contract-k', 0);
    // A delivery can reconcile several objects (a Cluster event wakes all of a cluster's machines), so a first
    // attempt may make more calls than any one reconcile; every k up to the longest reconcile reaches every step.
    const longest = x.env.ledger.maxCallsPerReconcile.get(machineHandler()) ?? 0;
    process.stdout.write(
      `${machineHandler()}: longest reconcile ${longest} external calls (crashMaxK ${o.crashMaxK})\n`,
    );
    expect(longest, `a reconcile made ${longest} external calls: raise crashMaxK`).toBeLessThanOrEqual(o.crashMaxK);
    expect(longest).toBeGreaterThan(3);
  });

  describe('a crash after the k-th external call of every first attempt', () => {
    for (let k = 1; k <= o.crashMaxK; k++) {
      it(`k = ${k}: no duplicate, no orphan`, async () => {
        const x = await install({ crashAfter: k, crashHandlers: [machineHandler()] });
        const track = await trackMachines(x);
        await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-x', TEMPLATE, 2)]);
        await converged(f, x, 'contract-x', 2, 90_000);
        await oneInstancePerMachine(f, track.uids);
        const longest = x.env.ledger.maxCallsPerFirstAttempt.get(machineHandler()) ?? 0;
        expect(x.env.ledger.crashes > 0 || longest < k, `no crash although a first attempt made ${longest} calls`).toBe(
          true,
        );
        await scaleTo(x, 'contract-x', 0);
        await converged(f, x, 'contract-x', 0, 90_000);
        await noLiveInstance(f);
        track.stop();
        await oneInstancePerMachine(f, track.uids);
      }, 200_000);
    }
  });

  it('an instance deleted behind capi-fn’s back fails the machine, creates nothing new, and deleting the Machine finishes', async () => {
    const x = await install();
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-o', TEMPLATE, 1)]);
    const [m] = await converged(f, x, 'contract-o', 1);
    const inst = (await f.instances()).find((i) => i.machineUid === m!.metadata.uid && i.live)!;
    await f.deleteOutside(inst.id);
    const ref = { ...f.infraMachine, namespace: x.seeded.namespace, name: m!.spec.infrastructureRef.name! };
    // Nothing in Kubernetes announces it; a touch stands in for the scheduled drift check.
    await x.kube.patch(ref, { metadata: { labels: { drift: '1' } } }, { type: 'merge' });
    const failed = await eventually('infrastructure machine failed', async () => {
      const im = await x.kube.get<KubeObject & { status?: { failureReason?: string; ready?: boolean } }>(ref);
      return im.status?.failureReason ? im : false;
    });
    expect(failed.status).toMatchObject({ ready: false, failureReason: 'UpdateError' });
    await eventually('Machine failed', async () => {
      const cur = await x.kube.get<Machine>({ ...MACHINE, namespace: x.seeded.namespace, name: m!.metadata.name! });
      return cur.status?.phase === 'Failed';
    });
    expect((await f.instances()).filter((i) => i.machineUid === m!.metadata.uid)).toHaveLength(1);
    // Deletion with the instance already gone: the finalizer goes, so the Machine can.
    await x.kube.delete({ ...MACHINE, namespace: x.seeded.namespace, name: m!.metadata.name! });
    await eventually(
      'the failed Machine and its infrastructure machine are gone',
      async () => !(await x.kube.find(ref)),
    );
  });

  it('bad input (image, network, instance type): a condition naming the field, nothing created, recovery when fixed', async () => {
    const x = await install();
    expect(x.seeded.badInput.map((b) => b.what).sort()).toEqual(['image', 'instance type', 'network']);
    for (const [i, bad] of x.seeded.badInput.entries()) {
      const set = `contract-bad-${i}`;
      await createAll(x.kube, [templateObject(x, `${set}-t`, bad.spec), setObject(x, set, `${set}-t`, 1)]);
      const { m, im } = await eventually(`${bad.what}: InstanceReady=False/${bad.reason}`, async () => {
        const [m] = await machinesOf(x, set);
        if (!m) return false;
        const im = await x.kube.find({
          ...f.infraMachine,
          namespace: x.seeded.namespace,
          name: m.spec.infrastructureRef.name!,
        });
        const c = condition(im, 'InstanceReady');
        return c?.status === 'False' && c.reason === bad.reason ? { m, im: im! } : false;
      });
      const c = condition(im, 'InstanceReady')!;
      expect(c.severity, bad.what).toBe('Error');
      expect(c.message, bad.what).toContain(bad.field);
      // Look again a few times: still nothing created for it.
      const before = x.env.ledger.calls;
      await eventually('reconciled again', async () => x.env.ledger.calls >= before + 2);
      expect(
        (await f.instances()).filter((inst) => inst.machineUid === m.metadata.uid),
        bad.what,
      ).toEqual([]);
      await bad.fix({
        kube: x.kube,
        infraMachine: { ...f.infraMachine, namespace: x.seeded.namespace, name: im.metadata.name! },
      });
      await converged(f, x, set, 1);
    }
  });

  it('paused: a paused Cluster gets no instance until it is unpaused', async () => {
    const x = await install();
    const cluster = { ...CLUSTER, namespace: x.seeded.namespace, name: x.seeded.clusterName };
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-p', TEMPLATE, 0)]);
    await x.kube.patch(cluster, { spec: { paused: true } }, { type: 'merge' });
    await x.kube.patch(
      { ...MACHINESET, namespace: x.seeded.namespace, name: 'contract-p' },
      { spec: { replicas: 1 } },
      { type: 'merge' },
    );
    await x.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(await machinesOf(x, 'contract-p')).toEqual([]);
    expect(await f.instances()).toEqual([]);
    await x.kube.patch(cluster, { spec: { paused: false } }, { type: 'merge' });
    await converged(f, x, 'contract-p', 1);
    // A paused infrastructure machine keeps its instance while its Machine is deleted.
    const [m] = await machinesOf(x, 'contract-p');
    const ref = { ...f.infraMachine, namespace: x.seeded.namespace, name: m!.spec.infrastructureRef.name! };
    await x.kube.patch(ref, { metadata: { annotations: { 'cluster.x-k8s.io/paused': '' } } }, { type: 'merge' });
    await scaleTo(x, 'contract-p', 0);
    await eventually('infrastructure machine being deleted', async () =>
      Boolean((await x.kube.get(ref)).metadata.deletionTimestamp),
    );
    await x.kube.patch(ref, { metadata: { labels: { poke: '1' } } }, { type: 'merge' });
    await x.env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect((await f.instances()).filter((i) => i.live && i.machineUid === m!.metadata.uid)).toHaveLength(1);
    await x.kube.patch(ref, { metadata: { annotations: { 'cluster.x-k8s.io/paused': null } } }, { type: 'merge' });
    await eventually('gone once unpaused', async () => !(await x.kube.find(ref)));
    await noLiveInstance(f);
  });

  it('orphans: the drift scan lists instances of this cluster whose Machine is gone, and deletes them only when asked', async () => {
    const x = await install();
    await createAll(x.kube, [templateObject(x, TEMPLATE), setObject(x, 'contract-s', TEMPLATE, 1)]);
    const [m] = await converged(f, x, 'contract-s', 1);
    const orphan = await f.orphanInstance({
      clusterName: x.seeded.clusterName,
      machineUid: '00000000-0000-4000-8000-00000000dead',
    });
    const other = await f.orphanInstance({
      clusterName: 'another-cluster',
      machineUid: '00000000-0000-4000-8000-00000000beef',
    });
    const scan = async (reap: boolean) =>
      runDriftCheck({
        kube: x.kube,
        bus: { publish: async () => {} },
        kinds: [],
        source: 'test',
        scanners: await scannersFor(x.kube, f.module.kinds.cluster, (c) =>
          runtimes[f.module.name]!.orphans!({ ...c, client: x.installed.client }),
        ),
        log: silentLogger,
        orphanGraceMs: 0,
        reapOrphans: reap,
      });
    const report = await scan(false);
    expect(report.orphans.map((o) => o.id)).toEqual([orphan]);
    expect(report.orphans[0]).toMatchObject({ terminated: false, cluster: x.seeded.clusterName });
    // A Kubernetes Event on the Cluster says what was found.
    const events = (
      await x.kube.listAll<
        KubeObject & { reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }
      >({ apiVersion: 'v1', kind: 'Event' }, { namespace: x.seeded.namespace })
    ).items.filter((e) => e.reason === 'OrphanedInstance');
    expect(events.map((e) => [e.involvedObject?.kind, e.involvedObject?.name])).toEqual([
      ['Cluster', x.seeded.clusterName],
    ]);
    expect(events[0]!.message).toContain(orphan);
    expect((await f.instances()).find((i) => i.id === orphan)?.live).toBe(true);
    const reaped = await scan(true);
    expect(reaped.orphans.map((o) => [o.id, o.terminated])).toEqual([[orphan, true]]);
    await eventually('the orphan is deleted', async () => !(await f.instances()).find((i) => i.id === orphan)?.live);
    const after = await f.instances();
    expect(after.find((i) => i.id === other)?.live, 'another cluster’s instance').toBe(true);
    expect(after.find((i) => i.machineUid === m!.metadata.uid)?.live, 'a Machine’s instance').toBe(true);
  });

  it('ownership: an instance named in the spec without capi-fn’s markers is neither adopted nor deleted', async () => {
    const x = await install();
    const foreign = await f.foreignInstance();
    await createAll(x.kube, [
      templateObject(x, 'contract-f-t', foreign.spec),
      setObject(x, 'contract-f', 'contract-f-t', 1),
    ]);
    const im = await eventually('InstanceReady=False/InstanceNotOwned', async () => {
      const [m] = await machinesOf(x, 'contract-f');
      if (!m) return false;
      const im = await x.kube.find({
        ...f.infraMachine,
        namespace: x.seeded.namespace,
        name: m.spec.infrastructureRef.name!,
      });
      return condition(im, 'InstanceReady')?.reason === 'InstanceNotOwned' ? im! : false;
    });
    expect(condition(im, 'InstanceReady')?.message).toContain(ADOPT_ANNOTATION);
    await x.kube.delete({ ...MACHINESET, namespace: x.seeded.namespace, name: 'contract-f' });
    await eventually('the set is gone', async () => (await machinesOf(x, 'contract-f')).length === 0);
    expect(await foreign.live(), 'the foreign instance survives').toBe(true);
  });
}
