// The watch bridge against the embedded API server: one event per change (a burst of modifications of one
// object folded into one), status-only detection, resume from the in-cluster checkpoint, no lost change
// across crashes, and survival of 410 Gone.
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, type BridgeOptions } from '../../functions/bridge/bridge.ts';
import { checkpointKey } from '../../functions/bridge/checkpoint.ts';
import { machineSetHandler } from '../../functions/machineset/handler.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { EventBus } from '../../shared/bus/types.ts';
import { CONTROLLER_DELETING, type ResourceEvent, unchangedExtension } from '../../shared/events/resource-event.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { KubeRequest, KubeStream, Transport } from '../../shared/kube/transport.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { ignoredPaths } from '../../shared/runtime/handler.ts';
import { allCrds, connectionFor, eventually } from '../support/env.ts';

const NS = 'default';
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const MS = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };

/** A bus that only records what it acknowledged. */
class RecordingBus implements Pick<EventBus, 'publish' | 'maxEventBytes'> {
  readonly events: ResourceEvent[] = [];
  maxEventBytes = 1024 * 1024;
  failing = false;
  private holding = false;
  private readonly waiting: Array<{ events: ResourceEvent[]; answer: () => void }> = [];
  async publish(events: ResourceEvent[]): Promise<void> {
    if (this.holding) await new Promise<void>((answer) => this.waiting.push({ events, answer }));
    if (this.failing) throw new Error('bus unavailable');
    this.events.push(...events);
  }
  /** From now on every publish waits to be answered by `release` (a slow or hung bus). */
  hold(): void {
    this.holding = true;
  }
  /** Answers the oldest waiting publish (ok, or failing if `failing` is set by then). */
  async release(): Promise<void> {
    await eventually('a publish waiting', async () => this.waiting.length > 0, { timeoutMs: 10_000 });
    this.waiting.shift()!.answer();
  }
  /** Answers waiting publishes until one carrying an event of `name` waits. */
  async releaseUntilWaiting(name: string): Promise<void> {
    await eventually(
      `a publish of ${name} waiting`,
      async () => {
        const first = this.waiting[0];
        if (first && !first.events.some((e) => e.data.ref.name === name)) this.waiting.shift()!.answer();
        return this.waiting[0]?.events.some((e) => e.data.ref.name === name) ?? false;
      },
      { timeoutMs: 10_000 },
    );
  }
  /** Answers every waiting publish and holds no more. */
  unhold(): void {
    this.holding = false;
    for (const w of this.waiting.splice(0)) w.answer();
  }
  of(name: string): ResourceEvent[] {
    return this.events.filter((e) => e.data.ref.name === name);
  }
}

/** A transport whose watch streams the test can cut, to force re-watches. */
class CuttableTransport implements Transport {
  readonly inner: Transport;
  private streams = new Set<KubeStream>();
  constructor(inner: Transport) {
    this.inner = inner;
  }
  get server() {
    return this.inner.server;
  }
  get namespace() {
    return this.inner.namespace;
  }
  request(req: KubeRequest) {
    return this.inner.request(req);
  }
  async stream(req: KubeRequest): Promise<KubeStream> {
    const s = await this.inner.stream(req);
    this.streams.add(s);
    return s;
  }
  cutAll(): void {
    for (const s of this.streams) s.close();
    this.streams.clear();
  }
}

let api: ApiServer | undefined;
const bridges: Bridge[] = [];
const buses: RecordingBus[] = [];
afterEach(async () => {
  // A test that failed while holding its bus must not leave the bridges' stop waiting on it.
  for (const b of buses.splice(0)) b.unhold();
  for (const b of bridges.splice(0)) await b.stop().catch(() => {});
  await api?.stop();
  api = undefined;
});

async function setup(o: { watchHistory?: number; bookmarkIntervalMs?: number } = {}) {
  api = await startApiServer({
    crds: allCrds(),
    ...(o.watchHistory ? { watchHistory: o.watchHistory } : {}),
    ...(o.bookmarkIntervalMs ? { bookmarkIntervalMs: o.bookmarkIntervalMs } : {}),
  });
  const transport = new CuttableTransport(new HttpsTransport(connectionFor(api)));
  const kube = new KubeClient(transport);
  const bus = new RecordingBus();
  buses.push(bus);
  const start = async (extra: Partial<BridgeOptions> = {}) => {
    const b = new Bridge({
      kube,
      bus,
      kinds: [
        { group: '', version: 'v1', kind: 'ConfigMap' },
        { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' },
      ],
      source: 'test-cluster',
      checkpoint: { namespace: 'kube-system', name: 'bridge-checkpoint' },
      checkpointIntervalMs: 50,
      missingKindRetryMs: 100,
      ...extra,
    });
    bridges.push(b);
    await b.start();
    return b;
  };
  return { kube, bus, start, transport };
}

/** The resume point the bridge saved for ConfigMaps, as a number (0 before any). */
async function savedConfigMapRv(kube: KubeClient): Promise<number> {
  const saved = await kube.find<KubeObject & { data?: Record<string, string> }>({
    ...CM,
    namespace: 'kube-system',
    name: 'bridge-checkpoint',
  });
  return Number(saved?.data?.[checkpointKey('', 'ConfigMap')] ?? 0);
}

function cm(name: string, data: Record<string, string> = {}): KubeObject {
  return { ...CM, metadata: { name, namespace: NS }, data };
}

function machineSet(name: string): KubeObject {
  return {
    ...MS,
    metadata: { name, namespace: NS },
    spec: { clusterName: 'c', replicas: 1, selector: { matchLabels: { a: 'b' } } },
  };
}

describe('bridge', () => {
  it('publishes one event per change with the reference, resourceVersion, generation and body, and flags status-only changes', async () => {
    const { kube, bus, start } = await setup();
    await start();
    // Each change waits for the previous one's event: changes in one flush window fold into one (tested below).
    const published = (n: number) => eventually(`${n} events for ms1`, async () => bus.of('ms1').length >= n);
    const created = await kube.create(machineSet('ms1'));
    await published(1);
    const scaled = await kube.patch(
      { ...MS, namespace: NS, name: 'ms1' },
      { spec: { replicas: 2 } },
      { type: 'merge' },
    );
    await published(2);
    const statused = await kube.patch(
      { ...MS, namespace: NS, name: 'ms1' },
      { status: { replicas: 2 } },
      { type: 'merge', subresource: 'status' },
    );
    await published(3);
    await kube.delete({ ...MS, namespace: NS, name: 'ms1' });
    const evs = await eventually('4 events for ms1', async () =>
      bus.of('ms1').length >= 4 ? bus.of('ms1') : undefined,
    );
    expect(evs.map((e) => e.type)).toEqual([
      'io.capifn.resource.added',
      'io.capifn.resource.modified',
      'io.capifn.resource.modified',
      'io.capifn.resource.deleted',
    ]);
    expect(evs[0]!.data.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(evs[1]!.data.resourceVersion).toBe(scaled.metadata.resourceVersion);
    expect(evs[1]!.data.generation).toBe(2);
    expect(evs[1]!.capifnstatusonly).toBe('false');
    expect(evs[2]!.data.resourceVersion).toBe(statused.metadata.resourceVersion);
    expect(evs[2]!.capifnstatusonly).toBe('true');
    expect(evs[1]!.capifnmetaonly).toBe('false');
    expect(evs[2]!.capifnmetaonly).toBe('false');
    expect(evs[0]!.subject).toBe('cluster.x-k8s.io/v1beta1/MachineSet/default/ms1');
    expect(evs[0]!.source).toBe('test-cluster');
    expect((evs[1]!.data.object as { spec: { replicas: number } }).spec.replicas).toBe(2);
    expect(evs[0]!.data.ref.uid).toBe(created.metadata.uid);
  });

  it('flags a modification that touched only metadata (a finalizer, a label) as metadata-only, nothing else', async () => {
    const { kube, bus, start } = await setup();
    await start();
    const published = (n: number) => eventually(`${n} events for ms2`, async () => bus.of('ms2').length >= n);
    await kube.create(machineSet('ms2'));
    await published(1);
    const key = { ...MS, namespace: NS, name: 'ms2' };
    await kube.patch(key, { metadata: { finalizers: ['example.com/f'], labels: { x: 'y' } } }, { type: 'merge' });
    await published(2);
    await kube.patch(key, { spec: { replicas: 3 }, metadata: { labels: { x: 'z' } } }, { type: 'merge' });
    await published(3);
    await kube.patch(key, { metadata: { finalizers: null } }, { type: 'merge' });
    await published(4);
    await kube.delete(key);
    const evs = await eventually('5 events for ms2', async () =>
      bus.of('ms2').length >= 5 ? bus.of('ms2') : undefined,
    );
    const modified = evs.filter((e) => e.type === 'io.capifn.resource.modified');
    expect(modified.map((e) => [e.capifnmetaonly, e.capifnstatusonly])).toEqual([
      ['true', 'false'],
      ['false', 'false'],
      ['true', 'false'],
    ]);
    expect(evs.at(-1)!.type).toBe('io.capifn.resource.deleted');
    expect(evs.at(-1)!.capifnmetaonly).toBeUndefined();
  });

  it('folds a burst of modifications of one object into one event: the newest body, flagged only as all of them were', async () => {
    const { kube, bus, start } = await setup();
    // A window no loaded test machine outruns; the default is 50 ms.
    const b = await start({ flushDelayMs: 400 });
    const key = { ...MS, namespace: NS, name: 'ms3' };
    await kube.create(machineSet('ms3'));
    await kube.create(machineSet('other'));
    await eventually('both added', async () => bus.of('ms3').length === 1 && bus.of('other').length === 1);
    // Two status writes: still status-only together, though another object's change came between them.
    await kube.patch(key, { status: { replicas: 1 } }, { type: 'merge', subresource: 'status' });
    await kube.patch({ ...key, name: 'other' }, { spec: { replicas: 4 } }, { type: 'merge' });
    const second = await kube.patch(key, { status: { replicas: 2 } }, { type: 'merge', subresource: 'status' });
    const statusOnly = await eventually('the status burst', async () => bus.of('ms3')[1]);
    const between = await eventually("the other's change", async () => bus.of('other')[1]);
    expect(bus.of('ms3')).toHaveLength(2);
    expect(statusOnly.type).toBe('io.capifn.resource.modified');
    expect(statusOnly.data.resourceVersion).toBe(second.metadata.resourceVersion);
    expect((statusOnly.data.object as { status: { replicas: number } }).status.replicas).toBe(2);
    expect([statusOnly.capifnstatusonly, statusOnly.capifnmetaonly]).toEqual(['true', 'false']);
    // The folded event goes out after the change written between its parts: the buffer stays in resourceVersion
    // order, so the last event published is the newest position, the one the checkpoint acknowledges.
    expect(bus.events.indexOf(between)).toBeLessThan(bus.events.indexOf(statusOnly));
    // A finalizer (metadata only) and a status write: neither flag.
    await kube.patch(key, { metadata: { finalizers: ['example.com/f'] } }, { type: 'merge' });
    const last = await kube.patch(key, { status: { replicas: 3 } }, { type: 'merge', subresource: 'status' });
    const mixed = await eventually('the mixed burst', async () => bus.of('ms3')[2]);
    expect(mixed.data.resourceVersion).toBe(last.metadata.resourceVersion);
    expect([mixed.capifnstatusonly, mixed.capifnmetaonly]).toEqual(['false', 'false']);
    // Two folds here; the bridge's own checkpoint saves (a watched ConfigMap) fold too.
    expect(b.stats.coalesced).toBeGreaterThanOrEqual(2);
    // A deletion is never folded into the modification before it, nor a modification into the addition.
    await kube.patch(key, { metadata: { finalizers: null } }, { type: 'merge' });
    await kube.delete(key);
    await kube.create(machineSet('ms4'));
    await kube.patch({ ...key, name: 'ms4' }, { spec: { replicas: 5 } }, { type: 'merge' });
    await eventually('deleted and ms4 modified', async () => bus.of('ms3').length === 5 && bus.of('ms4').length === 2);
    expect(
      bus
        .of('ms3')
        .slice(3)
        .map((e) => e.type),
    ).toEqual(['io.capifn.resource.modified', 'io.capifn.resource.deleted']);
    expect(bus.of('ms4').map((e) => e.type)).toEqual(['io.capifn.resource.added', 'io.capifn.resource.modified']);
  });

  it('folds a modification into a waiting addition only for a kind whose watches all take both (foldsAdded)', async () => {
    // A bookmark publishes the buffer at once: none but the first of each watch in this test.
    const { kube, bus, start } = await setup({ bookmarkIntervalMs: 600_000 });
    await start({
      kinds: [
        { group: '', version: 'v1', kind: 'ConfigMap' },
        { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet', foldsAdded: true },
      ],
    });
    // The watches are running, past their first bookmark: an object created now is published.
    await kube.create(machineSet('warm'));
    await kube.create(cm('warm'));
    await eventually('warm published', async () => bus.of('warm').length === 2);
    // Created and changed within one flush window, as a kubelet registers a Node and reports its status.
    await kube.create(machineSet('folded'));
    const changed = await kube.patch(
      { ...MS, namespace: NS, name: 'folded' },
      { metadata: { labels: { x: 'y' } } },
      {
        type: 'merge',
      },
    );
    await kube.create(cm('apart'));
    const cmChanged = await kube.patch(
      { ...CM, namespace: NS, name: 'apart' },
      { data: { k: 'v' } },
      { type: 'merge' },
    );
    await eventually('apart published', async () =>
      bus.of('apart').some((e) => e.data.resourceVersion === cmChanged.metadata.resourceVersion),
    );
    await eventually('folded published', async () => bus.of('folded').length > 0);
    const folded = bus.of('folded');
    expect(folded.map((e) => e.type)).toEqual(['io.capifn.resource.added']);
    expect(folded[0]!.data.resourceVersion).toBe(changed.metadata.resourceVersion);
    expect((folded[0]!.data.object as KubeObject).metadata.labels).toEqual({ x: 'y' });
    // A kind without it keeps the addition apart: a watch may take modifications only.
    expect(bus.of('apart').map((e) => e.type)).toEqual(['io.capifn.resource.added', 'io.capifn.resource.modified']);
  });

  it('leaves the body out when the event would exceed the bus limit', async () => {
    const { kube, bus, start } = await setup();
    bus.maxEventBytes = 2_000;
    await start();
    await kube.create(cm('big', { blob: 'x'.repeat(5_000) }));
    await kube.create(cm('small', { k: 'v' }));
    const big = await eventually('event for big', async () => bus.of('big')[0]);
    const small = await eventually('event for small', async () => bus.of('small')[0]);
    expect(big.data.object).toBeUndefined();
    expect(big.data.resourceVersion).toBeDefined();
    expect(small.data.object).toBeDefined();
  });

  it('never puts a Secret body on the bus, whatever its size', async () => {
    const { kube, bus, start } = await setup();
    await start({
      kinds: [
        { group: '', version: 'v1', kind: 'Secret' },
        { group: '', version: 'v1', kind: 'ConfigMap' },
      ],
    });
    const secret = await kube.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: NS },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
    await kube.create(cm('plain', { k: 'v' }));
    const ev = await eventually('event for the secret', async () => bus.of('creds')[0]);
    await eventually('event for the config map', async () => bus.of('plain')[0]);
    expect(ev.data.object).toBeUndefined();
    expect(ev.data.resourceVersion).toBe(secret.metadata.resourceVersion);
    expect(JSON.stringify(bus.events)).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(bus.of('plain')[0]!.data.object).toBeDefined();
  });

  it('resumes from its checkpoint: changes made while stopped arrive as changes, not as a relist', async () => {
    const { kube, bus, start } = await setup();
    const b1 = await start();
    await kube.create(cm('a'));
    await eventually('a published', async () => bus.of('a').length === 1);
    await b1.stop();
    const updated = await kube.patch({ ...CM, namespace: NS, name: 'a' }, { data: { k: 'v' } }, { type: 'merge' });
    await kube.create(cm('b'));
    const before = bus.events.length;
    const b2 = await start();
    await eventually('a and b published again', async () => bus.of('b').length === 1);
    expect(b2.stats.relists).toBe(0);
    const after = bus.events
      .slice(before)
      .filter((e) => e.data.ref.kind === 'ConfigMap' && e.data.ref.name !== 'bridge-checkpoint');
    expect(after.find((e) => e.data.ref.name === 'a')?.data.resourceVersion).toBe(updated.metadata.resourceVersion);
    expect(after.every((e) => e.type !== 'io.capifn.resource.resync')).toBe(true);
  });

  it('a bounded stop (the scheduled function’s) returns while a flush hangs, saving what was acknowledged', async () => {
    const { kube, bus, start } = await setup();
    const b1 = await start();
    await kube.create(cm('a'));
    await eventually('a published', async () => bus.of('a').length === 1);
    // The bus stops answering (a loaded moto, a throttled EventBridge): the next flush never returns.
    const hang = bus.publish.bind(bus);
    let answer = () => {};
    const answered = new Promise<void>((r) => {
      answer = r;
    });
    bus.publish = () => answered.then(() => Promise.reject(new Error('bus unavailable')));
    await kube.create(cm('b'));
    await new Promise((r) => setTimeout(r, 200));
    // Unbounded, this would wait for the hanging flush for ever (the test would time out).
    await b1.stop({ waitMs: 100 });
    bus.publish = hang;
    // The next run resumes after "a" (it was acknowledged and saved): "b" comes as a change, "a" not again.
    const before = bus.events.length;
    const b2 = await start();
    await eventually('b published by the next run', async () => bus.of('b').length === 1);
    expect(b2.stats.relists).toBe(0);
    expect(bus.events.slice(before).filter((e) => e.data.ref.name === 'a')).toEqual([]);
    // The first run's hanging flush ends (failing), so its watch loop can finish too.
    answer();
  });

  it('loses no change when killed at random moments and restarted', async () => {
    const { kube, bus, start } = await setup();
    // Modifications of one object within a flush window fold into one event carrying the newest state, so what
    // must never be lost is each object's last state. Every object gets a short burst of writes and then none
    // (a create and two patches): a crash that loses events loses some object's last state, which no later
    // write of it could cover.
    const lastWritten = new Map<string, string>();
    let writes = 0;
    const note = (o: KubeObject) => {
      writes++;
      lastWritten.set(o.metadata.name!, o.metadata.resourceVersion!);
    };
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `w${Math.floor(i / 3)}`;
        try {
          note(await kube.patch({ ...CM, namespace: NS, name }, { data: { i: String(i) } }, { type: 'merge' }));
        } catch {
          note(await kube.create(cm(name, { i: String(i) })));
        }
      }
    })();
    let b = await start();
    // Until a first resume point exists, a crash means a relist, which folds changes into one resync per
    // object by design; the kills start once both kinds have one.
    await eventually('a first checkpoint for both kinds', async () => {
      const saved = await kube.find<KubeObject & { data?: Record<string, string> }>({
        ...CM,
        namespace: 'kube-system',
        name: 'bridge-checkpoint',
      });
      return Object.keys(saved?.data ?? {}).length === 2;
    });
    for (let round = 0; round < 6; round++) {
      // Changes to lose in every round however slow the machine: at least six writes, then a random moment.
      const target = writes + 6;
      await eventually('six more writes', async () => writes >= target);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 120)));
      await b.crash();
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      b = await start();
    }
    stop = true;
    await writer;
    const published = new Map<string, Set<string>>();
    const collect = () => {
      published.clear();
      for (const e of bus.events) {
        if (!e.data.resourceVersion) continue;
        if (!published.has(e.data.ref.name)) published.set(e.data.ref.name, new Set());
        published.get(e.data.ref.name)!.add(e.data.resourceVersion);
      }
    };
    await eventually(
      "every object's last written resourceVersion published",
      async () => {
        collect();
        for (const [name, rv] of lastWritten) if (!published.get(name)?.has(rv)) return false;
        return true;
      },
      { timeoutMs: 20_000 },
    );
    expect(writes).toBeGreaterThan(30);
    expect(lastWritten.size).toBeGreaterThan(10);
    expect(b.stats.relists).toBe(0);
  });

  it('acknowledges each published batch under a steady stream, not only when its buffer runs empty', async () => {
    const { kube, bus, start } = await setup();
    await start({ batchSize: 1, maxBuffered: 10_000 });
    await eventually('a first resume point for ConfigMaps', async () => (await savedConfigMapRv(kube)) > 0);
    const initial = await savedConfigMapRv(kube);
    // A slow bus and a writer ahead of it: the buffer never runs empty while the test releases batches.
    bus.hold();
    const created: number[] = [];
    for (let i = 0; i < 20; i++) created.push(Number((await kube.create(cm(`s${i}`))).metadata.resourceVersion));
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 5; i++) await bus.release();
    await eventually(
      'the resume point past the fifth object',
      async () => (await savedConfigMapRv(kube)) >= created[4]!,
      {
        timeoutMs: 10_000,
      },
    );
    const saved = await savedConfigMapRv(kube);
    expect(saved).toBeGreaterThan(initial);
    // Mid-stream: what is acknowledged is published, and most of the burst still waits.
    expect(saved).toBeLessThan(created[19]!);
    const published = new Set(bus.events.map((e) => e.data.resourceVersion));
    expect(created.filter((rv) => rv <= saved).every((rv) => published.has(String(rv)))).toBe(true);
    bus.unhold();
  });

  it('a stop with the bus down saves no resume point past what it could not publish, even at a bookmark', async () => {
    const { kube, bus, start } = await setup({ bookmarkIntervalMs: 50 });
    const b1 = await start();
    await kube.create(cm('a'));
    await eventually('a published', async () => bus.of('a').length === 1);
    bus.failing = true;
    await kube.create(cm('b'));
    // Bookmarks arrive meanwhile; each waits for the failing flush.
    await new Promise((r) => setTimeout(r, 300));
    await b1.stop();
    bus.failing = false;
    const b2 = await start();
    await eventually('b published by the next run', async () => bus.of('b').length === 1, { timeoutMs: 10_000 });
    expect(b2.stats.relists).toBe(0);
  });

  it('a crash while a publish is on its way saves no resume point for it: the next run publishes it', async () => {
    const { kube, bus, start } = await setup();
    const b1 = await start();
    await eventually('a first resume point for ConfigMaps', async () => (await savedConfigMapRv(kube)) > 0);
    bus.hold();
    const x = await kube.create(cm('x'));
    await bus.releaseUntilWaiting('x');
    // Several checkpoint intervals pass while the bus has not answered.
    await new Promise((r) => setTimeout(r, 300));
    expect(await savedConfigMapRv(kube)).toBeLessThan(Number(x.metadata.resourceVersion));
    const crashed = b1.crash();
    // The answer that was on its way never comes: the process is gone.
    bus.failing = true;
    bus.unhold();
    await crashed;
    bus.failing = false;
    await start();
    await eventually('x published by the next run', async () => bus.of('x').length === 1, { timeoutMs: 10_000 });
  });

  it('survives a forced 410: relists, emits resync for everything and deleted for what vanished', async () => {
    const { kube, bus, start, transport } = await setup({ watchHistory: 5 });
    await kube.create(cm('keep'));
    await kube.create(cm('gone'));
    const b = await start();
    await eventually('both seen', async () => bus.of('keep').length > 0 && bus.of('gone').length > 0);
    // Cut the watch and, before it reconnects, push its resume point out of the server's history.
    transport.cutAll();
    await kube.delete({ ...CM, namespace: NS, name: 'gone' });
    for (let i = 0; i < 12; i++) await kube.create(cm(`filler-${i}`));
    api!.compactHistory();
    transport.cutAll();
    await eventually('relisted', async () => b.stats.relists >= 2);
    await eventually('deletion of gone reported', async () =>
      bus.of('gone').some((e) => e.type === 'io.capifn.resource.deleted'),
    );
    await eventually('resync for keep', async () => bus.of('keep').some((e) => e.type === 'io.capifn.resource.resync'));
    // The watch is healthy again afterwards.
    await kube.create(cm('after-410'));
    await eventually('new change after the relist', async () => bus.of('after-410').length > 0);
  });

  it('holds the stream while the bus is down and publishes everything once it is back', async () => {
    const { kube, bus, start } = await setup();
    await start();
    bus.failing = true;
    await kube.create(cm('during-outage-1'));
    await kube.create(cm('during-outage-2'));
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.of('during-outage-1')).toEqual([]);
    bus.failing = false;
    await eventually(
      'published after the outage',
      async () => bus.of('during-outage-1').length > 0 && bus.of('during-outage-2').length > 0,
    );
  });

  it('flags a gated kind’s events “none here” only while it knows no object of the gate kind is in their namespace', async () => {
    const { kube, bus, start } = await setup();
    const kinds = [
      { group: '', version: 'v1', kind: 'ConfigMap', gates: [{ group: 'cluster.x-k8s.io', kind: 'MachineSet' }] },
      { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' },
    ];
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const flag = (name: string) =>
      eventually(`event for ${name}`, async () => bus.of(name)[0]).then(
        (e) => (e as Record<string, unknown>).capifnnonemachineset,
      );
    const b1 = await start({ kinds });
    await kube.create(cm('c1'));
    expect(await flag('c1')).toBe('true');
    await kube.create(machineSet('ms1'));
    await eventually('ms1 published', async () => bus.of('ms1').length > 0);
    await kube.create(cm('c2'));
    await kube.create({ ...cm('c3'), metadata: { name: 'c3', namespace: 'other' } });
    expect(await flag('c2')).toBeUndefined();
    expect(await flag('c3')).toBe('true');
    await kube.delete({ ...MS, namespace: NS, name: 'ms1' });
    await eventually('ms1 deletion published', async () => bus.of('ms1').some((e) => e.type.endsWith('deleted')));
    await kube.create(cm('c4'));
    expect(await flag('c4')).toBe('true');

    // Resuming from the checkpoint (no relist): the gate kind is listed first, so nothing is flagged from a guess.
    await b1.stop();
    await kube.create(machineSet('ms2'));
    const b2 = await start({ kinds });
    await kube.create(cm('c5'));
    expect(await flag('c5')).toBeUndefined();
    await kube.create({ ...cm('c6'), metadata: { name: 'c6', namespace: 'other' } });
    expect(await flag('c6')).toBe('true');
    expect(b2.stats.relists).toBe(0);
  });

  it('flags a deleting gate “none here” until an object of the gate kind in the namespace is being deleted', async () => {
    const { kube, bus, start } = await setup();
    const gate = { group: 'cluster.x-k8s.io', kind: 'MachineSet', deleting: true };
    const kinds = [
      { group: '', version: 'v1', kind: 'ConfigMap', gates: [gate] },
      { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' },
    ];
    const flags = (name: string) =>
      eventually(`event for ${name}`, async () => bus.of(name)[0]).then((e) => {
        const ev = e as Record<string, unknown>;
        return [ev.capifnnonedelmachine, ev.capifnnonemachineset];
      });
    await start({ kinds });
    // One exists but none is being deleted: closed.
    await kube.create({
      ...machineSet('held'),
      metadata: { name: 'held', namespace: NS, finalizers: ['example.com/f'] },
    });
    await eventually('held published', async () => bus.of('held').length > 0);
    await kube.create(cm('d1'));
    expect(await flags('d1')).toEqual(['true', undefined]);
    // Its deletion waits on the finalizer: open while it does.
    await kube.delete({ ...MS, namespace: NS, name: 'held' });
    await eventually('held marked deleting', async () =>
      bus.of('held').some((e) => (e.data.object as KubeObject | undefined)?.metadata.deletionTimestamp),
    );
    await kube.create(cm('d2'));
    expect(await flags('d2')).toEqual([undefined, undefined]);
    // Gone: closed again.
    await kube.patch({ ...MS, namespace: NS, name: 'held' }, { metadata: { finalizers: null } }, { type: 'merge' });
    await eventually('held deleted', async () => bus.of('held').some((e) => e.type.endsWith('deleted')));
    await kube.create(cm('d3'));
    expect(await flags('d3')).toEqual(['true', undefined]);
  });

  it('flags a modification that changed nothing a watch looks at (only status and the paths it ignores)', async () => {
    const { kube, bus, start } = await setup();
    // As `ignoredPaths` gives them for a watch that skips status changes: `status` is one of the paths.
    const ignoring = [['spec', 'replicas'], ['metadata', 'labels', 'x.io/copied'], ['status']];
    const flag = unchangedExtension('cluster.x-k8s.io', 'MachineSet', ignoring);
    await start({
      kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet', ignoring: [ignoring] }],
    });
    const key = { ...MS, namespace: NS, name: 'p1' };
    const flags: Array<string | undefined> = [];
    const step = async (write: () => Promise<unknown>) => {
      const n = bus.of('p1').length;
      await write();
      const ev = await eventually('the next event for p1', async () => bus.of('p1')[n]);
      flags.push((ev as unknown as Record<string, string | undefined>)[flag]);
    };
    await step(() => kube.create(machineSet('p1')));
    await step(() => kube.patch(key, { spec: { replicas: 4 } }, { type: 'merge' }));
    await step(() => kube.patch(key, { status: { replicas: 4 } }, { type: 'merge', subresource: 'status' }));
    await step(() => kube.patch(key, { metadata: { labels: { 'x.io/copied': 'h' } } }, { type: 'merge' }));
    await step(() => kube.patch(key, { metadata: { labels: { other: 'y' } } }, { type: 'merge' }));
    await step(() => kube.patch(key, { spec: { minReadySeconds: 5 } }, { type: 'merge' }));
    expect(flags).toEqual([undefined, 'true', 'true', 'true', undefined, undefined]);
  });

  it('flags a deletion starting for a watch ignoring its marks; its later changes count', async () => {
    const { kube, bus, start } = await setup();
    // The MachineSet handler's own watch of its Machines, as it declares it.
    const watch = machineSetHandler.watches.find((w) => w.kind === 'Machine')!;
    const ignoring = ignoredPaths(watch);
    expect(ignoring).toContainEqual(['metadata', 'deletionTimestamp']);
    const flag = unchangedExtension('cluster.x-k8s.io', 'Machine', ignoring);
    await start({ kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'Machine', ignoring: [ignoring] }] });
    const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
    const key = { ...MACHINE, namespace: NS, name: 'd1' };
    const flags: Array<string | undefined> = [];
    const step = async (write: () => Promise<unknown>) => {
      const n = bus.of('d1').length;
      await write();
      const ev = (await eventually('the next event for d1', async () => bus.of('d1')[n])) as unknown as Record<
        string,
        string | undefined
      >;
      flags.push(ev[flag]);
    };
    await step(() =>
      kube.create({
        ...MACHINE,
        metadata: { name: 'd1', namespace: NS, finalizers: ['x.io/hold'] },
        spec: {
          clusterName: 'c',
          bootstrap: { dataSecretName: 's' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'LocalMachine',
            name: 'd1',
          },
        },
      }),
    );
    await step(() => kube.delete(key));
    await step(() => kube.patch(key, { status: { phase: 'Deleting' } }, { type: 'merge', subresource: 'status' }));
    await step(() => kube.patch(key, { metadata: { labels: { moved: 'yes' } } }, { type: 'merge' }));
    expect(flags).toEqual([undefined, 'true', undefined, undefined]);
  });

  it('flags every modification of an object whose controller it has seen being deleted (ignoringWhileControllerDeleting)', async () => {
    const { kube, bus, start } = await setup();
    const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
    const LM = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
    // The Machine handler's watch of its infrastructure machines, reduced to the part under test.
    const ignoring = [
      ['metadata', 'deletionTimestamp'],
      ['metadata', 'deletionGracePeriodSeconds'],
      [CONTROLLER_DELETING, 'cluster.x-k8s.io', 'Machine'],
    ];
    const flag = unchangedExtension('infrastructure.cluster.x-k8s.io', 'LocalMachine', ignoring);
    await start({
      kinds: [
        { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'Machine' },
        { group: 'infrastructure.cluster.x-k8s.io', version: 'v1beta1', kind: 'LocalMachine', ignoring: [ignoring] },
      ],
    });
    const mkMachine = async (name: string) =>
      kube.create({
        ...MACHINE,
        metadata: { name, namespace: NS, finalizers: ['x.io/hold'] },
        spec: { clusterName: 'c', bootstrap: { dataSecretName: 's' }, infrastructureRef: { ...LM, name } },
      });
    const mkInfra = async (name: string, owner: KubeObject) =>
      kube.create({
        ...LM,
        metadata: {
          name,
          namespace: NS,
          finalizers: ['x.io/hold'],
          ownerReferences: [{ ...MACHINE, name, uid: owner.metadata.uid!, controller: true }],
        },
        spec: { cpus: 1, memoryMiB: 512, image: 'i' },
      });
    const flags: Array<string | undefined> = [];
    const step = async (name: string, write: () => Promise<unknown>) => {
      const n = bus.of(name).filter((e) => e.data.ref.kind === 'LocalMachine').length;
      await write();
      const ev = (await eventually(
        `the next LocalMachine event for ${name}`,
        async () => bus.of(name).filter((e) => e.data.ref.kind === 'LocalMachine')[n],
      )) as unknown as Record<string, string | undefined>;
      flags.push(ev[flag]);
    };
    const status = (name: string, ready: boolean) => () =>
      kube.patch({ ...LM, namespace: NS, name }, { status: { ready } }, { type: 'merge', subresource: 'status' });
    // Deleted by hand while its Machine lives: its teardown status counts.
    const alive = await mkMachine('alive');
    await step('alive', () => mkInfra('alive', alive));
    await step('alive', () => kube.delete({ ...LM, namespace: NS, name: 'alive' }));
    await step('alive', status('alive', false));
    // Its Machine being deleted (seen by the bridge first, as the Machine handler deletes it only then): nothing counts.
    const going = await mkMachine('going');
    await step('going', () => mkInfra('going', going));
    await kube.delete({ ...MACHINE, namespace: NS, name: 'going' });
    await eventually('the Machine’s deletion seen', async () =>
      bus.of('going').some((e) => e.data.ref.kind === 'Machine' && e.type.endsWith('modified')),
    );
    await step('going', () => kube.delete({ ...LM, namespace: NS, name: 'going' }));
    await step('going', status('going', false));
    await step('going', () =>
      kube.patch({ ...LM, namespace: NS, name: 'going' }, { spec: { cpus: 2 } }, { type: 'merge' }),
    );
    // Another Machine's infrastructure machine still counts while that one is being deleted: the flag is per controller.
    await step('alive', status('alive', true));
    expect(flags).toEqual([
      undefined, // alive: added
      'true', // alive: its own deletion starting (an ignored path)
      undefined, // alive: teardown status
      undefined, // going: added
      'true', // going: deletion starting
      'true', // going: teardown status, its Machine deleting
      'true', // going: even a spec change
      undefined, // alive: its status again, its Machine not deleting
    ]);
  });

  it('learns from its first list which controllers are being deleted (ignoringWhileControllerDeleting after a start or a relist)', async () => {
    const { kube, bus, start } = await setup();
    const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
    const LM = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
    const ignoring = [[CONTROLLER_DELETING, 'cluster.x-k8s.io', 'Machine']];
    const flag = unchangedExtension('infrastructure.cluster.x-k8s.io', 'LocalMachine', ignoring);
    // Before the bridge runs: a Machine already being deleted (held), and one that is not, each with its infrastructure
    // machine.
    for (const name of ['going', 'staying']) {
      const m: KubeObject = await kube.create<KubeObject>({
        ...MACHINE,
        metadata: { name, namespace: NS, finalizers: ['x.io/hold'] },
        spec: { clusterName: 'c', bootstrap: { dataSecretName: 's' }, infrastructureRef: { ...LM, name } },
      });
      await kube.create({
        ...LM,
        metadata: {
          name,
          namespace: NS,
          ownerReferences: [{ ...MACHINE, name, uid: m.metadata.uid!, controller: true }],
        },
        spec: { cpus: 1, memoryMiB: 512, image: 'i' },
      });
    }
    await kube.delete({ ...MACHINE, namespace: NS, name: 'going' });
    await start({
      kinds: [
        { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'Machine' },
        { group: 'infrastructure.cluster.x-k8s.io', version: 'v1beta1', kind: 'LocalMachine', ignoring: [ignoring] },
      ],
    });
    const infraEvents = (name: string) => bus.of(name).filter((e) => e.data.ref.kind === 'LocalMachine');
    await eventually('both listed', async () => infraEvents('going').length > 0 && infraEvents('staying').length > 0);
    const next = async (name: string) => {
      const n = infraEvents(name).length;
      await kube.patch(
        { ...LM, namespace: NS, name },
        { status: { ready: true } },
        { type: 'merge', subresource: 'status' },
      );
      const ev = (await eventually(
        `the next LocalMachine event for ${name}`,
        async () => infraEvents(name)[n],
      )) as unknown as Record<string, string | undefined>;
      return ev[flag];
    };
    expect(await next('going')).toBe('true');
    expect(await next('staying')).toBeUndefined();
  });

  it('flags an addition without the controller a watch waits for (addedOnceControlledBy), and never the adoption', async () => {
    // Folding is off here (no foldsAdded): each change is its own event.
    const { kube, bus, start } = await setup();
    const ignoring = [['metadata', 'finalizers']];
    const machine = { group: 'cluster.x-k8s.io', kind: 'Machine' };
    const flag = unchangedExtension('', 'ConfigMap', ignoring, machine);
    // The controller is part of the flag: a watch that ignores the same paths without waiting has another.
    expect(flag).not.toBe(unchangedExtension('', 'ConfigMap', ignoring));
    await start({
      kinds: [
        { group: '', version: 'v1', kind: 'ConfigMap', addedOnceControlledBy: [{ ignoring, controller: machine }] },
      ],
    });
    const owner = (kind: string, controller: boolean) => ({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind,
      name: 'm',
      uid: `uid-${kind}`,
      controller,
    });
    const withOwners = (name: string, ownerReferences: unknown[], finalizers?: string[]): KubeObject => ({
      ...cm(name),
      metadata: {
        name,
        namespace: NS,
        ownerReferences,
        ...(finalizers ? { finalizers } : {}),
      } as KubeObject['metadata'],
    });
    const flagOf = async (name: string, i: number) => {
      const ev = await eventually(`event ${i} for ${name}`, async () => bus.of(name)[i]);
      return { type: ev.type, flagged: (ev as unknown as Record<string, string | undefined>)[flag] === 'true' };
    };
    // Additions: flagged unless a Machine is the controller.
    await kube.create(withOwners('orphan', [], ['x.io/keep']));
    await kube.create(withOwners('adopted', [owner('Machine', true)]));
    await kube.create(withOwners('other-controller', [owner('MachineSet', true)]));
    await kube.create(withOwners('machine-not-controller', [owner('Machine', false)]));
    expect(await flagOf('orphan', 0)).toEqual({ type: 'io.capifn.resource.added', flagged: true });
    expect(await flagOf('adopted', 0)).toEqual({ type: 'io.capifn.resource.added', flagged: false });
    expect(await flagOf('other-controller', 0)).toEqual({ type: 'io.capifn.resource.added', flagged: true });
    expect(await flagOf('machine-not-controller', 0)).toEqual({ type: 'io.capifn.resource.added', flagged: true });
    const key = { ...CM, namespace: NS, name: 'orphan' };
    // A change of an ignored path only: flagged as unchanged, as for any watch that ignores it.
    await kube.patch(key, { metadata: { finalizers: ['x.io/keep', 'x.io/other'] } }, { type: 'merge' });
    expect(await flagOf('orphan', 1)).toEqual({ type: 'io.capifn.resource.modified', flagged: true });
    // The adoption is heard.
    await kube.patch(key, { metadata: { ownerReferences: [owner('Machine', true)] } }, { type: 'merge' });
    expect(await flagOf('orphan', 2)).toEqual({ type: 'io.capifn.resource.modified', flagged: false });
    // An object deleted before any adoption: its deletion is heard, and so is an addition of one already deleting.
    await kube.create(withOwners('gone-early', [], ['x.io/keep']));
    expect(await flagOf('gone-early', 0)).toEqual({ type: 'io.capifn.resource.added', flagged: true });
    await kube.delete({ ...CM, namespace: NS, name: 'gone-early' });
    expect(await flagOf('gone-early', 1)).toEqual({ type: 'io.capifn.resource.modified', flagged: false });
  });

  it('never flags from a gate kind watched per namespace (it cannot know what exists elsewhere)', async () => {
    const { kube, bus, start } = await setup();
    await start({
      kinds: [
        { group: '', version: 'v1', kind: 'ConfigMap', gates: [{ group: 'cluster.x-k8s.io', kind: 'MachineSet' }] },
        { group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet', namespaces: [NS] },
      ],
    });
    await kube.create(cm('n1'));
    const ev = await eventually('event for n1', async () => bus.of('n1')[0]);
    expect((ev as Record<string, unknown>).capifnnonemachineset).toBeUndefined();
  });

  it('waits for a kind whose CRD is not installed yet and picks it up once it is', async () => {
    api = await startApiServer({});
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
    const bus = new RecordingBus();
    const b = new Bridge({
      kube,
      bus,
      kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' }],
      source: 't',
      checkpoint: { namespace: 'kube-system', name: 'cp' },
      missingKindRetryMs: 100,
    });
    bridges.push(b);
    await b.start();
    const crd = allCrds().find(
      (c) => (c as { metadata: { name: string } }).metadata.name === 'machinesets.cluster.x-k8s.io',
    ) as KubeObject;
    await kube.create({ ...crd, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
    await eventually('MachineSet CRD established', async () => {
      try {
        await kube.list(MS, { namespace: NS });
        return true;
      } catch {
        return false;
      }
    });
    await kube.create(machineSet('late'));
    await eventually('event for a CR of a late CRD', async () => bus.of('late').length > 0);
  });
});
