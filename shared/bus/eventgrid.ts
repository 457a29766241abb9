// Azure Event Grid (custom topic, CloudEvents 1.0 input schema) in front of the per-handler storage
// queues: publish goes through Event Grid, whose event subscriptions (derived in eventgrid-filters.ts)
// route into the queues; consumption, delayed requeues and dead letters are the queue adapter's.
import { AzureKeyCredential, EventGridPublisherClient, type SendCloudEventInput } from '@azure/eventgrid';
import { type ResourceEvent, TARGET_HANDLER_EXTENSION } from '../events/resource-event.ts';
import { AzureQueueBus, type AzureQueueBusOptions } from './azure-queue.ts';
import { azureQueueName, DEFAULT_AZURE_QUEUE_PREFIX } from './azure-queue-codec.ts';
import { batchBySize, utf8Bytes } from './batching.ts';
import { errorMessage } from './consumer-support.ts';
import { withNotBefore } from './delay.ts';
import { type EventGridSubscriptionSpec, eventGridSubscriptionsFor } from './eventgrid-filters.ts';
import {
  type Consumer,
  type DeadLetter,
  type DeliverFn,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from './types.ts';

/** Event Grid takes at most 1 MB per publish request; keep a margin for the SDK's serialisation. */
export const EVENT_GRID_REQUEST_BUDGET_BYTES = 1_000_000;

export interface EventGridBusOptions {
  /** Topic endpoint, e.g. https://<topic>.<region>-1.eventgrid.azure.net/api/events */
  endpoint: string;
  key: string;
  /** The storage queues Event Grid delivers to (consumption, delays, dead letters). */
  queue: AzureQueueBusOptions;
  /** ARM id of the storage account, for the generated event subscriptions. */
  storageAccountResourceId?: string;
  /**
   * Creates the event subscriptions for a handler. Deployments provision them from the same
   * derivation (eventGridSubscriptionsFor); tests point this at the Event Grid emulator.
   */
  provision?: (specs: EventGridSubscriptionSpec[]) => Promise<void>;
  client?: EventGridPublisherClient<'CloudEvent'>;
}

const CLOUD_EVENT_FIELDS = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
]);

/** The SDK's input shape for a payload: the known CloudEvents attributes, everything else an extension. */
export function toSendCloudEvent(payload: unknown): SendCloudEventInput<unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error('a CloudEvent must be a JSON object');
  }
  const p = payload as Record<string, unknown>;
  if (typeof p.type !== 'string' || typeof p.source !== 'string') throw new Error('a CloudEvent needs type and source');
  const ev: SendCloudEventInput<unknown> = { type: p.type, source: p.source, data: p.data };
  if (typeof p.id === 'string') ev.id = p.id;
  if (typeof p.subject === 'string') ev.subject = p.subject;
  if (typeof p.time === 'string') ev.time = new Date(p.time);
  if (typeof p.datacontenttype === 'string') ev.datacontenttype = p.datacontenttype;
  if (typeof p.dataschema === 'string') ev.dataschema = p.dataschema;
  const ext: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!CLOUD_EVENT_FIELDS.has(k) && v !== undefined) ext[k] = v;
  if (Object.keys(ext).length > 0) ev.extensionAttributes = ext;
  return ev;
}

export class EventGridBus implements EventBus, RawPublisher {
  readonly name = 'eventgrid';
  readonly maxEventBytes: number;
  private readonly client: EventGridPublisherClient<'CloudEvent'>;
  private readonly queues: AzureQueueBus;
  private readonly queuePrefix: string;
  private readonly storageAccountResourceId: string;
  private readonly provision: ((specs: EventGridSubscriptionSpec[]) => Promise<void>) | undefined;

  constructor(opts: EventGridBusOptions) {
    this.client =
      opts.client ??
      new EventGridPublisherClient(opts.endpoint, 'CloudEvent', new AzureKeyCredential(opts.key), {
        // The Azure pipeline refuses plain http by default; an http:// endpoint (a local emulator) is
        // an explicit choice by whoever configured it.
        allowInsecureConnection: opts.endpoint.startsWith('http://'),
      });
    this.queues = new AzureQueueBus(opts.queue);
    this.queuePrefix = opts.queue.queuePrefix ?? DEFAULT_AZURE_QUEUE_PREFIX;
    // Event Grid would take 1 MB events, but its storage-queue destination takes 64 KiB messages.
    this.maxEventBytes = this.queues.maxEventBytes;
    this.storageAccountResourceId = opts.storageAccountResourceId ?? 'storage-account';
    this.provision = opts.provision;
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    await this.send(events, (e) => e);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    // PublishError's contract names events; a raw payload is reported as given.
    await this.send(payloads, (p) => p as ResourceEvent);
  }

  /**
   * Event Grid has no delayed publish. A targeted event goes straight to its handler's queue with a
   * visibility timeout (≤ 7 days); an untargeted one goes through Event Grid with `capifnnotbefore`
   * and the queue consumer re-sends it with the remaining delay until due.
   */
  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    const delayed = withNotBefore(event, Date.now() + Math.max(0, delayMs));
    const target = event[TARGET_HANDLER_EXTENSION];
    const bytes = utf8Bytes(JSON.stringify(delayed));
    if (bytes > this.maxEventBytes) {
      throw new PublishError('event too large', [
        { event, error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` },
      ]);
    }
    if (target && (await this.queues.sendToHandler(target, delayed, delayMs))) return;
    await this.publish([delayed]);
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    const queueName = await this.queues.ensureHandlerQueue(sub);
    await this.provision?.(
      eventGridSubscriptionsFor(sub, { queueName, storageAccountResourceId: this.storageAccountResourceId }),
    );
    return this.queues.subscribe(sub, deliver);
  }

  deadLetters(handler?: string): Promise<DeadLetter[]> {
    return this.queues.deadLetters(handler);
  }

  close(): Promise<void> {
    return this.queues.close();
  }

  /** The queue a handler's events land in (for provisioning and diagnostics). */
  queueNameFor(handler: string): string {
    return azureQueueName(handler, this.queuePrefix);
  }

  private async send<T>(payloads: T[], asEvent: (p: T) => ResourceEvent): Promise<void> {
    const failed: Array<{ event: ResourceEvent; error: string }> = [];
    const items: Array<{ payload: T; event: SendCloudEventInput<unknown>; bytes: number }> = [];
    for (const p of payloads) {
      const bytes = utf8Bytes(JSON.stringify(p) ?? '');
      if (bytes > this.maxEventBytes) {
        failed.push({ event: asEvent(p), error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` });
        continue;
      }
      try {
        items.push({ payload: p, event: toSendCloudEvent(p), bytes });
      } catch (err) {
        failed.push({ event: asEvent(p), error: errorMessage(err) });
      }
    }
    const { batches } = batchBySize(items, (i) => i.bytes, {
      maxCount: 5_000,
      maxBytes: EVENT_GRID_REQUEST_BUDGET_BYTES,
      perItemOverhead: 1,
      perRequestOverhead: 2,
    });
    for (const batch of batches) {
      try {
        // The SDK's pipeline already retries throttling and server errors; what reaches here is final.
        await this.client.send(batch.map((b) => b.event));
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        const error = `Event Grid${status ? ` HTTP ${status}` : ''}: ${errorMessage(err)}`;
        for (const b of batch) failed.push({ event: asEvent(b.payload), error });
      }
    }
    if (failed.length > 0) throw new PublishError(`${failed.length} event(s) not published to Event Grid`, failed);
  }
}
