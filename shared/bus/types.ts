// The one interface every message bus adapter implements (in-process, EventBridge, Pub/Sub,
// Azure Storage Queue / Event Grid). Delivery is at-least-once and unordered on every bus;
// nothing above this interface may assume otherwise.
import type { Gate, ResourceEvent } from '../events/resource-event.ts';

/** Which events one handler receives: resource events for these kinds, plus events targeted at it by name. */
export interface Subscription {
  /** Handler name; also the name of its queue/subscription on cloud buses. */
  handler: string;
  /**
   * `group/Kind` pairs (core group written as ''), from the handler's `watches`; `types`, when present, are the
   * only event types of that kind the handler is woken by (a watch's `events`), so the rest are never delivered.
   */
  kinds: Array<{
    group: string;
    kind: string;
    types?: string[];
    /** Whether status-only modifications of this kind are wanted; absent: the subscription's `statusChanges`. */
    statusChanges?: boolean;
    /** False: modifications the bridge flagged metadata-only (capifnmetaonly=true) are skipped. Absent: wanted. */
    metadataChanges?: boolean;
    /**
     * Skipped when the event says no object of this kind exists where its object lives (`capifnnone<kind>`), or with
     * `deleting`, none is being deleted there (`capifnnonedel<kind>`).
     */
    whenExists?: Gate;
    /**
     * Skipped when the event carries this flag (`unchangedExtension`): a modification the bridge saw change nothing
     * the watch looks at (`Watch.ignoring`). Never with `whenExists`: a kind has one skip flag.
     */
    unchanged?: string;
  }>;
  /** False: skip modifications flagged status-only by the bridge (capifnstatusonly=true), for every kind that does not say otherwise. */
  statusChanges: boolean;
}

export interface DeliveryInfo {
  /** 1 on first delivery; the bus's own counter where it has one (SQS receive count, Pub/Sub deliveryAttempt, Azure dequeueCount). */
  attempt: number;
  /** The bus's message id, for logs. */
  messageId?: string;
}

/** What the consumer decided; the adapter turns it into ack / delayed redelivery / dead letter. */
export type DeliveryResult =
  | { status: 'done' }
  | { status: 'retry'; error: string; delayMs?: number }
  | { status: 'dead-letter'; reason: string };

/** Receives the raw payload exactly as the bus delivered it: validation happens in the runtime. */
export type DeliverFn = (raw: unknown, info: DeliveryInfo) => Promise<DeliveryResult>;

export interface DeadLetter {
  handler: string;
  reason: string;
  raw: unknown;
  at: string;
  attempts: number;
}

export interface Consumer {
  stop(): Promise<void>;
}

export interface EventBus {
  readonly name: string;
  /** Largest serialized event the bus accepts; the bridge drops the object body above it. */
  readonly maxEventBytes: number;
  /** Resolves only once the bus acknowledged every event; throws PublishError listing what failed. */
  publish(events: ResourceEvent[]): Promise<void>;
  /** Delivers `event` (normally targeted at one handler) no sooner than `delayMs` from now. */
  publishDelayed(event: ResourceEvent, delayMs: number): Promise<void>;
  /** Starts delivering matching events to `deliver`. Cloud adapters use this in tests and in the local host. */
  subscribe(subscription: Subscription, deliver: DeliverFn): Promise<Consumer>;
  /** Dead letters recorded so far for `handler` (or all). */
  deadLetters(handler?: string): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/**
 * Every adapter also implements this test and tooling hook: it publishes payloads exactly as given
 * (no validation, no schema), routed by whatever routing fields they carry, so tests can prove that
 * a malformed event reaches the consumer and is dead-lettered instead of crashing anything.
 */
export interface RawPublisher {
  publishRaw(payloads: unknown[]): Promise<void>;
}

export class PublishError extends Error {
  readonly failed: Array<{ event: ResourceEvent; error: string }>;
  constructor(message: string, failed: Array<{ event: ResourceEvent; error: string }>) {
    super(message);
    this.name = 'PublishError';
    this.failed = failed;
  }
}
