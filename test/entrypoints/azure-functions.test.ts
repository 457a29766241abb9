// The Azure Functions entrypoints invoked in-process with the package's own InvocationContext.
import { InvocationContext } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AzureQueuePort,
  azureEventGridHandler,
  azureQueueHandler,
  azureScheduleHandler,
} from '../../shared/entrypoints/azure-functions.ts';
import { machineEvent, offlineEnv, reconciled, recordingHandler } from './handlers.ts';

class RecordingQueue implements AzureQueuePort {
  readonly calls: string[] = [];
  async sendDelayed(body: string, s: number) {
    this.calls.push(`delayed ${s} ${JSON.parse(body).data.ref.name}`);
  }
  async deadLetter(_b: string, reason: string) {
    this.calls.push(`poison ${reason}`);
  }
}

const context = (dequeueCount = 1) =>
  new InvocationContext({
    functionName: 'recorder',
    invocationId: 'inv-1',
    triggerMetadata: { dequeueCount },
    logHandler: () => {},
  });

describe('Azure Functions entrypoints', () => {
  let queue: RecordingQueue;
  beforeEach(() => {
    reconciled.length = 0;
    queue = new RecordingQueue();
  });

  it('reconciles a queue message, requeues through the queue, and throws for the host to retry', async () => {
    const h = azureQueueHandler(recordingHandler, { env: () => offlineEnv, queue: async () => queue, maxAttempts: 5 });
    await h(machineEvent('ok'), context());
    await h(JSON.stringify(machineEvent('requeue')), context());
    await expect(h(machineEvent('fail'), context(1))).rejects.toThrow(/retry: Error: cloud API unavailable/);
    expect(reconciled.map((r) => r.name)).toEqual(['ok', 'requeue', 'fail']);
    expect(queue.calls).toEqual(['delayed 30 requeue']);
  });

  it('sends malformed and exhausted messages to the poison queue with the reason', async () => {
    const h = azureQueueHandler(recordingHandler, { env: () => offlineEnv, queue: async () => queue, maxAttempts: 5 });
    await h('not json at all', context());
    await h(machineEvent('fail'), context(5));
    expect(queue.calls[0]).toMatch(/^poison malformed capi-fn event/);
    expect(queue.calls[1]).toMatch(/^poison gave up after 5 attempts/);
  });

  it('handles Event Grid deliveries the same way', async () => {
    const h = azureEventGridHandler(recordingHandler, { env: () => offlineEnv, queue: async () => queue });
    await h(machineEvent('ok') as never, context());
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
  });

  it("puts a schedule tick's event on the handler's own queue, to run through the queue trigger", async () => {
    const h = azureScheduleHandler(recordingHandler, () => machineEvent('singleton'), { queue: async () => queue });
    await h({ isPastDue: false }, context());
    expect(queue.calls).toEqual(['delayed 0 singleton']);
    expect(reconciled).toEqual([]);
  });
});
