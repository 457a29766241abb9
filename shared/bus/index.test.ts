import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AzureQueueBus } from './azure-queue.ts';
import { EventBridgeBus } from './eventbridge.ts';
import { EventGridBus } from './eventgrid.ts';
import { InProcessBus } from './in-process.ts';
import { createBus } from './index.ts';
import { KnativeBus } from './knative.ts';
import { PubSubBus } from './pubsub.ts';

const azurite =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;';

describe('createBus', () => {
  it('builds each adapter from its config (no I/O until used)', async () => {
    const buses = await Promise.all([
      createBus({ kind: 'in-process', concurrency: 2, chaos: { duplicates: 2, seed: 1 } }),
      createBus({ kind: 'eventbridge', busName: 'capifn', region: 'eu-west-1', maxAttempts: 5 }),
      createBus({ kind: 'pubsub', projectId: 'p', topic: 'capifn-events' }),
      createBus({ kind: 'azure-queue', connectionString: azurite }),
      createBus({
        kind: 'eventgrid',
        endpoint: 'https://t.westeurope-1.eventgrid.azure.net/api/events',
        key: 'k',
        queue: { connectionString: azurite },
      }),
      createBus({
        kind: 'knative',
        brokerUrl: 'http://broker-ingress.knative-eventing.svc.cluster.local/capi-fn/default',
      }),
    ]);
    expect(buses.map((b) => b.constructor)).toEqual([
      InProcessBus,
      EventBridgeBus,
      PubSubBus,
      AzureQueueBus,
      EventGridBus,
      KnativeBus,
    ]);
    expect(buses.map((b) => b.name)).toEqual([
      'in-process',
      'eventbridge',
      'pubsub',
      'azure-queue',
      'eventgrid',
      'knative',
    ]);
    // Publish-only: a process on the cluster never creates Triggers itself.
    await expect(
      buses[5]!.subscribe({ handler: 'h', kinds: [], statusChanges: true }, async () => ({ status: 'done' })),
    ).rejects.toThrow(/infra\/knative/);
    await Promise.all(buses.map((b) => b.close()));
  });

  it('returns the in-process bus as itself (idle() and stats() for the local host and tests)', async () => {
    const bus = await createBus({ kind: 'in-process' });
    await bus.idle();
    expect(bus.stats()).toEqual({ pending: 0, running: 0, timers: 0, deadLetters: 0 });
    await bus.close();
  });

  it('rejects invalid configs with a message naming the field', async () => {
    await expect(createBus({ kind: 'eventbridge', busName: '' })).rejects.toThrow(/busName/);
    // @ts-expect-error: unknown kind
    await expect(createBus({ kind: 'kafka' })).rejects.toThrow(/invalid bus config/);
    // @ts-expect-error: typo in an option name
    await expect(createBus({ kind: 'in-process', concurency: 2 })).rejects.toThrow(/concurency/);
    await expect(createBus({ kind: 'azure-queue', connectionString: 'x', queuePrefix: 'Capifn_' })).rejects.toThrow(
      /lowercase/,
    );
    await expect(
      createBus({ kind: 'eventgrid', endpoint: 'not a url', key: 'k', queue: { connectionString: 'x' } }),
    ).rejects.toThrow(/endpoint/);
  });

  it('loads only the SDK of the configured bus', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(s, c, next) { const r = next(s, c); seen.push(r.url); return r; } });
      const { createBus } = await import(${JSON.stringify(index)});
      const bus = await createBus({ kind: 'in-process' });
      await bus.close();
      const sdks = seen.filter((u) => /@aws-sdk|@google-cloud|@azure|google-gax/.test(u));
      console.log(JSON.stringify({ sdks, sawInProcess: seen.some((u) => u.endsWith('/in-process.ts')) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ sdks: [], sawInProcess: true });
  });
});
