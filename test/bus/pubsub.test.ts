// Pub/Sub end to end against the gcloud emulator: one topic, a filtered, ordered subscription per
// handler with a dead-letter topic, synchronous-pull consumer.
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PubSubBus, subscriberClientFor } from '../../shared/bus/pubsub.ts';
import { pubsubSubscriptionName } from '../../shared/bus/pubsub-routing.ts';
import type { DeadLetter } from '../../shared/bus/types.ts';
import { hasPeer } from '../support/peers.ts';
import { type PubSubEmulator, startPubSubEmulator } from '../support/pubsub-emulator.ts';
import { busContract, type ContractFixture, makeEvent, Recorder, unique } from './contract.ts';

const PROJECT = 'capifn-test';
const TOPIC = 'capifn-events';
const G = 'cluster.x-k8s.io';

describe.skipIf(!hasPeer('gcloud-pubsub-emulator'))('Pub/Sub bus (emulator)', () => {
  let emulator: PubSubEmulator;
  let bus: PubSubBus;
  const contractBuses: PubSubBus[] = [];

  beforeAll(async () => {
    emulator = await startPubSubEmulator();
    process.env.PUBSUB_EMULATOR_HOST = emulator.host;
    // No GCE metadata server here: tell gcp-metadata not to probe for one (its standard switch), which
    // otherwise prints a MetadataLookupWarning per client.
    process.env.METADATA_SERVER_DETECTION = 'none';
    bus = newBus(TOPIC);
  });

  afterAll(async () => {
    await Promise.all([bus, ...contractBuses].map((b) => b?.close()));
    await emulator?.stop();
  });

  function newBus(topic: string): PubSubBus {
    return new PubSubBus({
      projectId: PROJECT,
      topic,
      maxAttempts: 3,
      backoff: { baseMs: 100, maxMs: 100 },
      holdMaxMs: 10_000,
      idlePollMaxMs: 200,
    });
  }

  // A topic per contract test: the emulator ignores filters, so every subscription on a topic stores a
  // copy of every message, and publishing 1,001 messages to a topic with 16 subscriptions took 24 s
  // (2 s with one).
  function contractFixture(): ContractFixture {
    const b = newBus(unique('capifn-contract-'));
    contractBuses.push(b);
    return { bus: b, overLimit: { count: 1_001 }, maxAttempts: 3, delayMs: 800, waitMs: 20_000 };
  }

  describe('contract', () => {
    busContract(contractFixture);
  });

  it('delivers one object’s events in publish order (ordering key = object UID)', async () => {
    const rec = new Recorder();
    const handler = unique('or');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: G, kind }], statusChanges: true },
      rec.handler(handler, async () => {
        await new Promise((r) => setTimeout(r, 2));
        return { status: 'done' };
      }),
    );
    try {
      const events = Array.from({ length: 20 }, (_, i) => ({
        ...makeEvent({ kind, group: G, name: 'same-object' }),
        data: {
          ref: { apiVersion: `${G}/v1beta1`, kind, namespace: 'default', name: 'same-object', uid: 'u-1' },
          resourceVersion: String(i),
        },
      }));
      await bus.publish(events);
      await rec.until('all 20', () => events.every((e) => rec.idsOf(handler).includes(e.id)), 20_000);
      const firstSeen = [...new Set(rec.idsOf(handler))];
      expect(firstSeen).toEqual(events.map((e) => e.id));
    } finally {
      await consumer.stop();
    }
  });

  /** Creates a handler's subscription, stops its consumer, publishes one event and nacks it by hand `times` times. */
  async function nackByHand(b: PubSubBus, times: number) {
    const handler = unique('np');
    const kind = unique('Kind');
    const consumer = await b.subscribe({ handler, kinds: [{ group: G, kind }], statusChanges: true }, async () => ({
      status: 'done',
    }));
    await consumer.stop();
    const e = makeEvent({ kind, group: G });
    await b.publish([e]);
    const ps = new PubSub({ projectId: PROJECT });
    const client = await subscriberClientFor(ps);
    const path = ps.subscription(pubsubSubscriptionName(TOPIC, handler)).name;
    const attempts: number[] = [];
    const deadline = Date.now() + 20_000;
    while (attempts.length < times && Date.now() < deadline) {
      const [resp] = await client.pull({ subscription: path, maxMessages: 1, returnImmediately: true });
      if (!resp.receivedMessages?.length) await new Promise((r) => setTimeout(r, 100));
      for (const m of resp.receivedMessages ?? []) {
        attempts.push(m.deliveryAttempt ?? 0);
        await client.modifyAckDeadline({ subscription: path, ackIds: [m.ackId!], ackDeadlineSeconds: 0 });
      }
    }
    const close = async () => {
      await client.close();
      await ps.close();
    };
    return { handler, e, attempts, client, path, close };
  }

  it('wires the dead-letter policy: a message nobody acknowledges is forwarded after maxDeliveryAttempts', async () => {
    // Unordered: the emulator cannot dead-letter from ordered subscriptions (next test).
    const unordered = new PubSubBus({ projectId: PROJECT, topic: TOPIC, maxAttempts: 3, messageOrdering: false });
    const n = await nackByHand(unordered, 5);
    try {
      expect(n.attempts).toEqual([1, 2, 3, 4, 5]);
      // The emulator forwards lazily, on the next pull after the last nack.
      await n.client.pull({ subscription: n.path, maxMessages: 1, returnImmediately: true });
      let dls: DeadLetter[] = [];
      const deadline = Date.now() + 10_000;
      while (dls.length === 0 && Date.now() < deadline) {
        dls = await unordered.deadLetters(n.handler);
        if (dls.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(dls).toHaveLength(1);
      expect(dls[0]!.raw).toEqual(n.e);
      expect(dls[0]!.attempts).toBe(5);
      expect(dls[0]!.reason).toMatch(/dead-letter policy after 5 delivery attempts/);
    } finally {
      await n.close();
      await unordered.close();
    }
  });

  it('emulator quirk: an ordered subscription cannot forward to its dead-letter topic (pull fails with UNKNOWN)', async () => {
    const n = await nackByHand(bus, 5);
    try {
      expect(n.attempts).toEqual([1, 2, 3, 4, 5]);
      const err = await n.client
        .pull({ subscription: n.path, maxMessages: 1, returnImmediately: true }, { retry: { retryCodes: [] } })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((err as { code?: number } | undefined)?.code).toBe(2);
      expect(await bus.deadLetters(n.handler)).toEqual([]);
    } finally {
      await n.close();
    }
  });

  it('emulator quirk: a subscription filter is stored but not applied (the consumer filters as well)', async () => {
    const handler = unique('fq');
    const kind = unique('Kind');
    const consumer = await bus.subscribe({ handler, kinds: [{ group: G, kind }], statusChanges: true }, async () => ({
      status: 'done',
    }));
    await consumer.stop();
    const ps = new PubSub({ projectId: PROJECT });
    const client = await subscriberClientFor(ps);
    const path = ps.subscription(pubsubSubscriptionName(TOPIC, handler)).name;
    try {
      const [meta] = await ps.subscription(path).getMetadata();
      expect(meta.filter).toContain(`attributes.capifnkind = "${G}/${kind}"`);
      const other = makeEvent({ kind: unique('Unwatched'), group: G });
      await bus.publish([other]);
      const [resp] = await client.pull({ subscription: path, maxMessages: 10, returnImmediately: true });
      const ids = (resp.receivedMessages ?? []).map(
        (m) => JSON.parse(Buffer.from(m.message!.data as Uint8Array).toString()).id,
      );
      expect(ids).toContain(other.id);
    } finally {
      await client.close();
      await ps.close();
    }
  });
});
