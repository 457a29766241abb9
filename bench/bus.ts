// Bus figures: event-to-consumer latency (p50/p99, one event in flight at a time) and events per
// second (one publish of many events, until the consumer has them all), through the in-process bus
// and, when the peers are on this machine, EventBridge→SQS on moto, the Pub/Sub emulator, Azure queues
// on Azurite and Event Grid (our emulator) → Azurite. Emulators are not the cloud: these figures show
// adapter overhead and polling behaviour, not AWS/GCP/Azure latency. Prints, never asserts.
//
//   node bench/bus.ts
import { performance } from 'node:perf_hooks';
import { AzureQueueBus } from '../shared/bus/azure-queue.ts';
import { EventBridgeBus } from '../shared/bus/eventbridge.ts';
import { EventGridBus } from '../shared/bus/eventgrid.ts';
import type { EventGridSubscriptionSpec } from '../shared/bus/eventgrid-filters.ts';
import { InProcessBus } from '../shared/bus/in-process.ts';
import type { Bus } from '../shared/bus/index.ts';
import { PubSubBus } from '../shared/bus/pubsub.ts';
import { newResourceEvent, type ResourceEvent } from '../shared/events/resource-event.ts';
import { EventGridEmulator } from '../test/emulators/eventgrid/server.ts';
import { startAzurite } from '../test/support/azurite.ts';
import { motoEnv, startMoto } from '../test/support/moto.ts';
import { hasPeer } from '../test/support/peers.ts';
import { startPubSubEmulator } from '../test/support/pubsub-emulator.ts';

const GROUP = 'cluster.x-k8s.io';
let seq = 0;

function event(kind: string): ResourceEvent {
  const name = `m${++seq}`;
  return newResourceEvent({
    type: 'io.capifn.resource.modified',
    source: 'bench://bus',
    ref: { apiVersion: `${GROUP}/v1beta1`, kind, namespace: 'default', name, uid: `uid-${name}` },
    resourceVersion: String(seq),
    generation: 1,
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

interface Figures {
  bus: string;
  p50: number;
  p99: number;
  latencySamples: number;
  perSecond: number;
  throughputEvents: number;
}

/** Runs the two measurements on one bus; `kind` is unique per run so nothing else receives the events. */
async function measure(label: string, bus: Bus, latencySamples: number, throughputEvents: number): Promise<Figures> {
  const kind = `Bench${Date.now().toString(36)}`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let waiting: { id: string; resolve: () => void } | undefined;
  let expected = 0;
  let received = 0;
  let allIn: () => void = () => {};
  const consumer = await bus.subscribe(
    { handler: `bench-${kind.toLowerCase()}`, kinds: [{ group: GROUP, kind }], statusChanges: true },
    async (raw) => {
      const id = (raw as { id: string }).id;
      const t = sentAt.get(id);
      if (t !== undefined) {
        latencies.push(performance.now() - t);
        sentAt.delete(id);
      }
      if (waiting?.id === id) waiting.resolve();
      if (++received === expected) allIn();
      return { status: 'done' };
    },
  );
  try {
    // Warm-up: first delivery includes connection setup and the consumer's first poll.
    expected = 1;
    const warm = new Promise<void>((r) => {
      allIn = r;
    });
    await bus.publish([event(kind)]);
    await warm;

    latencies.length = 0;
    for (let i = 0; i < latencySamples; i++) {
      const e = event(kind);
      const delivered = new Promise<void>((resolve) => {
        waiting = { id: e.id, resolve };
      });
      sentAt.set(e.id, performance.now());
      await bus.publish([e]);
      await delivered;
    }
    const lat = [...latencies];

    received = 0;
    expected = throughputEvents;
    const done = new Promise<void>((r) => {
      allIn = r;
    });
    const events = Array.from({ length: throughputEvents }, () => event(kind));
    const t0 = performance.now();
    await bus.publish(events);
    await done;
    const secs = (performance.now() - t0) / 1000;
    const f: Figures = {
      bus: label,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      latencySamples,
      perSecond: throughputEvents / secs,
      throughputEvents,
    };
    console.log(
      `${label.padEnd(40)} p50 ${f.p50.toFixed(2).padStart(8)} ms   p99 ${f.p99.toFixed(2).padStart(8)} ms   (${latencySamples} sequential)   ${f.perSecond.toFixed(0).padStart(7)} events/s   (${throughputEvents} in one publish)`,
    );
    return f;
  } finally {
    await consumer.stop();
  }
}

function available(peer: Parameters<typeof hasPeer>[0]): boolean {
  try {
    return hasPeer(peer);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  console.log(`bus benchmark — node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);

  {
    const bus = new InProcessBus({ concurrency: 8 });
    // Delivery starts synchronously inside publish(), so this latency is the adapter's own overhead.
    await measure('in-process', bus, 2_000, 50_000);
    await bus.close();
  }

  if (available('moto_server')) {
    const moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
    const bus = new EventBridgeBus({ busName: 'capifn-bench', waitTimeSeconds: 20 });
    try {
      // moto spends ~150 ms per PutEvents entry (measured), which bounds the events/s figure here.
      await measure('EventBridge → SQS (moto)', bus, 50, 100);
    } finally {
      await bus.close();
      await moto.stop();
    }
  } else {
    console.log('EventBridge → SQS (moto): skipped, moto_server not found');
  }

  if (available('gcloud-pubsub-emulator')) {
    const emu = await startPubSubEmulator();
    process.env.PUBSUB_EMULATOR_HOST = emu.host;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const bus = new PubSubBus({ projectId: 'capifn-bench', topic: 'capifn-bench' });
    try {
      await measure('Pub/Sub (emulator)', bus, 100, 1_000);
    } finally {
      await bus.close();
      await emu.stop();
    }
  } else {
    console.log('Pub/Sub (emulator): skipped, gcloud Pub/Sub emulator or java not found');
  }

  const azurite = await startAzurite();
  try {
    const queue = { connectionString: azurite.connectionString, pollIntervalMs: { min: 10, max: 100 } };
    const bus = new AzureQueueBus(queue);
    await measure('Azure queues (Azurite, poll 10–100 ms)', bus, 100, 1_000);
    await bus.close();

    const eg = new EventGridEmulator({ key: 'bench', queueConnectionString: azurite.connectionString });
    await eg.start();
    const provision = async (specs: EventGridSubscriptionSpec[]) => {
      for (const s of specs)
        await fetch(`${eg.url}/eventSubscriptions/${s.name}`, { method: 'PUT', body: JSON.stringify(s.body) });
    };
    const egBus = new EventGridBus({ endpoint: eg.endpoint, key: 'bench', queue, provision });
    await measure('Event Grid (emulator) → Azurite', egBus, 100, 1_000);
    await egBus.close();
    await eg.stop();
  } finally {
    await azurite.stop();
  }
}

await main();
