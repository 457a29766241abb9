// createBus: the one way code obtains a bus. The config is validated with zod and each adapter is
// imported lazily, so a function bundle only carries (and only loads at cold start) the SDK of the bus
// it is configured for. Endpoints and credentials come from each SDK's standard configuration
// (AWS_ENDPOINT_URL / AWS_REGION, PUBSUB_EMULATOR_HOST, storage connection strings): nothing here knows
// about emulators.
import * as z from 'zod';
import type { InProcessBus } from './in-process.ts';
import type { EventBus, RawPublisher } from './types.ts';

const positiveInt = z.number().int().positive();

const delivery = {
  /** Attempts before a retried event is dead-lettered. */
  maxAttempts: positiveInt.optional(),
  /** Deliveries running at once per subscription. */
  concurrency: positiveInt.optional(),
  backoff: z
    .strictObject({
      baseMs: z.number().nonnegative().optional(),
      maxMs: z.number().nonnegative().optional(),
      jitter: z.number().min(0).max(1).optional(),
    })
    .optional(),
};

export const InProcessBusConfig = z.strictObject({
  kind: z.literal('in-process'),
  ...delivery,
  serializeBySubject: z.boolean().optional(),
  maxEventBytes: positiveInt.optional(),
  /** Test-only: duplicate, shuffle and concurrently re-deliver events on purpose. */
  chaos: z
    .strictObject({
      duplicates: positiveInt.optional(),
      shuffle: z.boolean().optional(),
      concurrentCopies: positiveInt.optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
});

export const EventBridgeBusConfig = z.strictObject({
  kind: z.literal('eventbridge'),
  busName: z.string().min(1).max(256),
  region: z.string().min(1).optional(),
  queuePrefix: z.string().optional(),
  ...delivery,
  waitTimeSeconds: z.number().int().min(0).max(20).optional(),
  visibilityTimeoutSeconds: positiveInt.max(43_200).optional(),
});

export const PubSubBusConfig = z.strictObject({
  kind: z.literal('pubsub'),
  projectId: z.string().min(1),
  topic: z.string().min(3).max(255),
  ...delivery,
  messageOrdering: z.boolean().optional(),
  ackDeadlineSeconds: z.number().int().min(10).max(600).optional(),
  holdMaxMs: z.number().int().nonnegative().optional(),
});

const azureQueueFields = {
  connectionString: z.string().min(1),
  queuePrefix: z
    .string()
    .regex(/^[a-z0-9-]*$/, 'Azure queue names are lowercase letters, digits and hyphens')
    .optional(),
  ...delivery,
  visibilityTimeoutSeconds: positiveInt.max(7 * 24 * 3600).optional(),
  pollIntervalMs: z.strictObject({ min: positiveInt, max: positiveInt }).optional(),
};

export const AzureQueueBusConfig = z.strictObject({ kind: z.literal('azure-queue'), ...azureQueueFields });

export const EventGridBusConfig = z.strictObject({
  kind: z.literal('eventgrid'),
  endpoint: z.url(),
  key: z.string().min(1),
  /** The storage queues Event Grid delivers to: consumption, delayed requeues, dead letters. */
  queue: z.strictObject(azureQueueFields),
  storageAccountResourceId: z.string().optional(),
});

/** Knative Eventing: publish-only here (the bridge, the drift check); Triggers are part of the deployment (infra/knative). */
export const KnativeBusConfig = z.strictObject({
  kind: z.literal('knative'),
  brokerUrl: z.url(),
  deadLetterSink: z.url().optional(),
  namespace: z.string().min(1).optional(),
  broker: z.string().min(1).optional(),
  ...delivery,
  holdMaxMs: z.number().int().nonnegative().optional(),
});

export const BusConfig = z.discriminatedUnion('kind', [
  InProcessBusConfig,
  EventBridgeBusConfig,
  PubSubBusConfig,
  AzureQueueBusConfig,
  EventGridBusConfig,
  KnativeBusConfig,
]);
export type BusConfig = z.input<typeof BusConfig>;

export type Bus = EventBus & RawPublisher;

/** The in-process bus comes back as itself, so the local host and tests get `idle()` and `stats()`. */
export function createBus(config: z.input<typeof InProcessBusConfig>): Promise<InProcessBus>;
export function createBus(config: BusConfig): Promise<Bus>;
export async function createBus(config: BusConfig): Promise<Bus> {
  const parsed = BusConfig.safeParse(config);
  if (!parsed.success) throw new Error(`invalid bus config: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  switch (c.kind) {
    case 'in-process': {
      const { kind: _, ...opts } = c;
      const { InProcessBus } = await import('./in-process.ts');
      return new InProcessBus(opts);
    }
    case 'eventbridge': {
      const { kind: _, ...opts } = c;
      const { EventBridgeBus } = await import('./eventbridge.ts');
      return new EventBridgeBus(opts);
    }
    case 'pubsub': {
      const { kind: _, ...opts } = c;
      const { PubSubBus } = await import('./pubsub.ts');
      return new PubSubBus(opts);
    }
    case 'azure-queue': {
      const { kind: _, ...opts } = c;
      const { AzureQueueBus } = await import('./azure-queue.ts');
      return new AzureQueueBus(opts);
    }
    case 'eventgrid': {
      const { kind: _, ...opts } = c;
      const { EventGridBus } = await import('./eventgrid.ts');
      return new EventGridBus(opts);
    }
    case 'knative': {
      const { kind: _, deadLetterSink, ...opts } = c;
      const { KnativeBus, deployedTriggers } = await import('./knative.ts');
      return new KnativeBus({ ...opts, deadLetterSink: deadLetterSink ?? opts.brokerUrl, triggers: deployedTriggers });
    }
  }
}

export { matchesSubscription } from './routing.ts';
export type {
  Consumer,
  DeadLetter,
  DeliverFn,
  DeliveryInfo,
  DeliveryResult,
  EventBus,
  RawPublisher,
  Subscription,
} from './types.ts';
export { PublishError } from './types.ts';
