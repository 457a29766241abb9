// EventBridge → SQS end to end against moto_server: rules derived from subscriptions route PutEvents
// entries into per-handler queues; the SQS consumer drains them.

import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../shared/bus/eventbridge.ts';
import { EventBridgePublisher } from '../../shared/bus/eventbridge-publisher.ts';
import { eventBridgeRulesFor, sqsQueueNames } from '../../shared/bus/eventbridge-rules.ts';
import { PublishError } from '../../shared/bus/types.ts';
import { type Moto, motoEnv, startMoto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';
import { busContract, type ContractFixture, makeEvent, Recorder, unique } from './contract.ts';

describe.skipIf(!hasPeer('moto_server'))('EventBridge + SQS bus (moto)', () => {
  let moto: Moto;
  let fixture: ContractFixture;
  let bus: EventBridgeBus;

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
    bus = new EventBridgeBus({
      busName: 'capifn-test',
      maxAttempts: 3,
      backoff: { baseMs: 100, maxMs: 100 },
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
    });
    fixture = { bus, overLimit: { count: 25 }, maxAttempts: 3, delayMs: 1_500, waitMs: 20_000 };
  });

  afterAll(async () => {
    await bus?.close();
    await moto?.stop();
  });

  describe('contract', () => {
    busContract(() => fixture);
  });

  it('a kind watched for some event types only: the rule lets those through and no other (moto applies the pattern)', async () => {
    const handler = unique('typed');
    const kind = unique('Kind');
    const rec = new Recorder();
    const consumer = await bus.subscribe(
      {
        handler,
        kinds: [{ group: 'cluster.x-k8s.io', kind, types: ['io.capifn.resource.deleted'] }],
        statusChanges: false,
      },
      rec.handler(handler),
    );
    try {
      const added = makeEvent({ kind, group: 'cluster.x-k8s.io', type: 'io.capifn.resource.added' });
      const modified = makeEvent({ kind, group: 'cluster.x-k8s.io' });
      const deleted = makeEvent({ kind, group: 'cluster.x-k8s.io', type: 'io.capifn.resource.deleted' });
      await bus.publish([added, modified, deleted]);
      await rec.until('the deletion', () => rec.of(handler).length >= 1, 20_000);
      // Give the other two time to arrive if the rule let them through.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(rec.idsOf(handler)).toEqual([deleted.id]);
    } finally {
      await consumer.stop();
    }
  });

  it('a pattern over the size quota becomes several rules into one queue: each event once, and a shorter one removes the surplus', async () => {
    const handler = unique('split');
    const groups = Array.from({ length: 14 }, (_, i) => `${unique('g')}${i}.example.com`);
    const kinds = groups.map((group) => ({ group, kind: 'Kind', metadataChanges: false }));
    const rules = eventBridgeRulesFor({ handler, kinds, statusChanges: false }, 'capifn-test');
    expect(rules.length).toBeGreaterThan(1);
    const rec = new Recorder();
    let consumer = await bus.subscribe({ handler, kinds, statusChanges: false }, rec.handler(handler));
    const eb = new EventBridgeClient({});
    const ruleNames = async () =>
      (
        (await eb.send(new ListRulesCommand({ EventBusName: 'capifn-test', NamePrefix: `capifn-${handler}` }))).Rules ??
        []
      )
        .map((r) => r.Name)
        .sort();
    try {
      expect(await ruleNames()).toEqual(rules.map((r) => r.Name).sort());
      // One event per group (so through every rule), both ways a flag can say "not status-only"; and skipped ones.
      const wanted = groups.flatMap((group) => [
        makeEvent({ kind: 'Kind', group, type: 'io.capifn.resource.added', statusOnly: false }),
        makeEvent({ kind: 'Kind', group, statusOnly: false, metaOnly: false }),
      ]);
      const skipped = [
        makeEvent({ kind: 'Kind', group: groups[0]!, statusOnly: true }),
        makeEvent({ kind: 'Kind', group: groups.at(-1)!, metaOnly: true, statusOnly: false }),
      ];
      await bus.publish([...wanted, ...skipped]);
      await rec.until('every wanted event', () => rec.of(handler).length >= wanted.length, 30_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(rec.idsOf(handler).sort()).toEqual(wanted.map((e) => e.id).sort());
      await consumer.stop();
      // The same handler watching one group: one rule, the others deleted (they would still feed the queue).
      consumer = await bus.subscribe({ handler, kinds: kinds.slice(0, 1), statusChanges: false }, rec.handler(handler));
      expect(await ruleNames()).toEqual([`capifn-${handler}`]);
    } finally {
      await consumer.stop();
      eb.destroy();
    }
  });

  it('the publish-only EventBridgePublisher (the bridge function’s) routes through the same rules, and refuses an oversized event by name', async () => {
    const handler = unique('pub');
    const kind = unique('Kind');
    const rec = new Recorder();
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: 'cluster.x-k8s.io', kind }], statusChanges: true },
      rec.handler(handler),
    );
    const publisher = new EventBridgePublisher({ busName: 'capifn-test' });
    try {
      const events = [1, 2, 3].map(() => makeEvent({ kind, group: 'cluster.x-k8s.io' }));
      await publisher.publish(events);
      await rec.until('3 deliveries', () => rec.of(handler).length >= 3, 20_000);
      expect(new Set(rec.idsOf(handler))).toEqual(new Set(events.map((e) => e.id)));
      const big = makeEvent({ kind, group: 'cluster.x-k8s.io' });
      (big.data as { object?: unknown }).object = { blob: 'x'.repeat(publisher.maxEventBytes) };
      const err = await publisher.publish([big]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect((err as PublishError).failed.map((f) => f.event.id)).toEqual([big.id]);
    } finally {
      await consumer.stop();
      await publisher.close();
    }
  });

  it('dead-letters a message that kept coming back without a result (a crashing consumer) instead of delivering it again', async () => {
    const handler = unique('cr');
    const kind = unique('Kind');
    const sub = { handler, kinds: [{ group: 'cluster.x-k8s.io', kind }], statusChanges: true };
    await (await bus.subscribe(sub, async () => ({ status: 'done' }))).stop();
    const e = makeEvent({ kind, group: 'cluster.x-k8s.io' });
    await bus.publish([e]);
    // Three receives that never finish: what a consumer that dies mid-delivery leaves behind.
    const sqs = new SQSClient({});
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: sqsQueueNames(handler).queue }));
    for (let got = 0; got < 3; ) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 1 }));
      got += r.Messages?.length ?? 0;
    }
    sqs.destroy();
    const rec = new Recorder();
    const consumer = await bus.subscribe(sub, rec.handler(handler));
    try {
      let dls = await bus.deadLetters(handler);
      for (let i = 0; dls.length === 0 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        dls = await bus.deadLetters(handler);
      }
      expect(dls).toMatchObject([
        { handler, attempts: 3, reason: expect.stringMatching(/attempts exhausted: received 4 times/) },
      ]);
      expect(dls[0]!.raw).toEqual(e);
      expect(rec.of(handler)).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('resends only failed PutEvents entries and reports the ones EventBridge rejects for good', async () => {
    const rec = new Recorder();
    const handler = unique('pf');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: 'cluster.x-k8s.io', kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const a = makeEvent({ kind, group: 'cluster.x-k8s.io' });
      const b = makeEvent({ kind, group: 'cluster.x-k8s.io' });
      // A string payload becomes a Detail that is not JSON: moto answers that entry with MalformedDetail.
      const err = await bus.publishRaw([a, 'this is not json', b]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect((err as PublishError).failed).toHaveLength(1);
      expect((err as PublishError).failed[0]!.error).toMatch(/^MalformedDetail/);
      await rec.until('the valid entries', () => [a.id, b.id].every((id) => rec.idsOf(handler).includes(id)), 20_000);
    } finally {
      await consumer.stop();
    }
  });
});
