// Azure Storage Queues end to end against Azurite (from node_modules, so never skipped).
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureQueueBus } from '../../shared/bus/azure-queue.ts';
import { azureQueueName } from '../../shared/bus/azure-queue-codec.ts';
import { type Azurite, startAzurite } from '../support/azurite.ts';
import { busContract, type ContractFixture, makeEvent, Recorder, unique } from './contract.ts';

const G = 'cluster.x-k8s.io';

describe('Azure Storage Queue bus (Azurite)', () => {
  let azurite: Azurite;
  let bus: AzureQueueBus;
  let fixture: ContractFixture;

  beforeAll(async () => {
    azurite = await startAzurite();
    bus = new AzureQueueBus({
      connectionString: azurite.connectionString,
      maxAttempts: 3,
      backoff: { baseMs: 100, maxMs: 100 },
      pollIntervalMs: { min: 20, max: 200 },
    });
    // 40 messages: more than one receive (32) returns.
    fixture = { bus, overLimit: { count: 40 }, maxAttempts: 3, delayMs: 1_500, waitMs: 20_000 };
  });

  afterAll(async () => {
    await bus?.close();
    await azurite?.stop();
  });

  describe('contract', () => {
    busContract(() => fixture);
  });

  it('discovers subscriptions made by another process from queue metadata', async () => {
    const other = new AzureQueueBus({ connectionString: azurite.connectionString, routesTtlMs: 0 });
    const rec = new Recorder();
    const handler = unique('ds');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: G, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const e = makeEvent({ kind, group: G });
      await other.publish([e]);
      await rec.until('event published by the other bus', () => rec.idsOf(handler).includes(e.id), 10_000);
      const meta = (
        await QueueServiceClient.fromConnectionString(azurite.connectionString)
          .getQueueClient(azureQueueName(handler))
          .getProperties()
      ).metadata;
      expect(meta).toMatchObject({ capifnhandler: handler, capifnkinds: `${G}/${kind}`, capifnstatuschanges: 'true' });
    } finally {
      await consumer.stop();
      await other.close();
    }
  });

  it('dead-letters a message that kept coming back without a result (a crashing consumer) instead of delivering it again', async () => {
    const handler = unique('cr');
    const kind = unique('Kind');
    const sub = { handler, kinds: [{ group: G, kind }], statusChanges: true };
    await (await bus.subscribe(sub, async () => ({ status: 'done' }))).stop();
    const e = makeEvent({ kind, group: G });
    await bus.publish([e]);
    // Three receives that never finish: what a host that dies mid-delivery leaves behind.
    const q = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(azureQueueName(handler));
    for (let i = 0; i < 3; i++) {
      const [m] = (await q.receiveMessages({ visibilityTimeout: 30 })).receivedMessageItems;
      await q.updateMessage(m!.messageId, m!.popReceipt, undefined, 0);
    }
    const rec = new Recorder();
    const consumer = await bus.subscribe(sub, rec.handler(handler));
    try {
      let dls = await bus.deadLetters(handler);
      for (let i = 0; dls.length === 0 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        dls = await bus.deadLetters(handler);
      }
      expect(dls).toMatchObject([
        { handler, attempts: 3, reason: expect.stringMatching(/attempts exhausted: dequeued 4 times/) },
      ]);
      expect(dls[0]!.raw).toEqual(e);
      expect(rec.of(handler)).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('Azurite enforces the 64 KiB message limit the adapter sizes for', async () => {
    const q = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(unique('limit-'));
    await q.create();
    await q.sendMessage('a'.repeat(64 * 1024));
    await expect(q.sendMessage('a'.repeat(64 * 1024 + 1))).rejects.toMatchObject({ statusCode: 413 });
  });
});
