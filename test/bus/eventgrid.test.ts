// publish → Event Grid (our emulator, written from the REST reference) → storage queues (Azurite) →
// queue consumer, end to end. Event subscriptions come from eventGridSubscriptionsFor via the bus's
// provisioning hook, so the filters under test are the ones a deployment would create.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventGridBus } from '../../shared/bus/eventgrid.ts';
import type { EventGridSubscriptionSpec } from '../../shared/bus/eventgrid-filters.ts';
import { EventGridEmulator } from '../emulators/eventgrid/server.ts';
import { type Azurite, startAzurite } from '../support/azurite.ts';
import { busContract, type ContractFixture, eventOfBytes, makeEvent, Recorder, unique } from './contract.ts';

const KEY = 'eventgrid-test-key';
const G = 'cluster.x-k8s.io';

describe('Event Grid bus (emulator + Azurite)', () => {
  let azurite: Azurite;
  let eg: EventGridEmulator;
  let bus: EventGridBus;
  let fixture: ContractFixture;

  beforeAll(async () => {
    azurite = await startAzurite();
    eg = new EventGridEmulator({ key: KEY, queueConnectionString: azurite.connectionString });
    await eg.start();
    const provision = async (specs: EventGridSubscriptionSpec[]) => {
      for (const s of specs) {
        const r = await fetch(`${eg.url}/eventSubscriptions/${s.name}`, {
          method: 'PUT',
          body: JSON.stringify(s.body),
        });
        if (!r.ok) throw new Error(`provisioning ${s.name}: HTTP ${r.status} ${await r.text()}`);
      }
    };
    bus = new EventGridBus({
      endpoint: eg.endpoint,
      key: KEY,
      queue: {
        connectionString: azurite.connectionString,
        maxAttempts: 3,
        backoff: { baseMs: 100, maxMs: 100 },
        pollIntervalMs: { min: 20, max: 200 },
      },
      provision,
    });
    // 25 events of 45,000 bytes: 1.1 MB, more than one 1 MB publish request.
    fixture = { bus, overLimit: { count: 25, eventBytes: 45_000 }, maxAttempts: 3, delayMs: 1_500, waitMs: 20_000 };
  });

  afterAll(async () => {
    await bus?.close();
    await eg?.stop();
    await azurite?.stop();
  });

  describe('contract', () => {
    busContract(() => fixture);
  });

  it('keeps every publish request under 1 MB and never fails a delivery', async () => {
    const rec = new Recorder();
    const handler = unique('eb');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: G, kind }], statusChanges: true },
      rec.handler(handler),
    );
    try {
      const before = eg.accepted.length;
      const events = Array.from({ length: 30 }, () => eventOfBytes(makeEvent({ kind, group: G }), 40_000));
      await bus.publish(events);
      const requests = eg.accepted.slice(before);
      expect(requests.length).toBeGreaterThanOrEqual(2);
      expect(requests.reduce((n, r) => n + r.events, 0)).toBe(30);
      for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(1_048_576);
      await rec.until('all 30', () => events.every((e) => rec.idsOf(handler).includes(e.id)), 20_000);
      expect(eg.failures).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('reports what Event Grid refused (wrong key → 401) in PublishError', async () => {
    const wrong = new EventGridBus({
      endpoint: eg.endpoint,
      key: 'wrong',
      queue: { connectionString: azurite.connectionString },
    });
    const e = makeEvent({ kind: 'Machine', group: G });
    await expect(wrong.publish([e])).rejects.toMatchObject({
      name: 'PublishError',
      failed: [{ event: e, error: expect.stringMatching(/HTTP 401/) }],
    });
    await wrong.close();
  });
});
