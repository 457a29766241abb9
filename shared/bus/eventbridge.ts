// AWS: EventBridge (custom bus) → one rule per handler (a few for a long pattern) → one SQS queue per handler
// (+ redrive DLQ).
// That is the production shape (an SQS event source mapping in front of each Lambda buys buffering,
// bounded concurrency, redrive and delays); subscribe() plays the event source mapping's part here.
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type ResourceEvent, TARGET_HANDLER_EXTENSION } from '../events/resource-event.ts';
import { type BackoffPolicy, backoffDelayMs, backoffPolicy, toWholeSeconds } from './backoff.ts';
import { utf8Bytes } from './batching.ts';
import {
  type BusLog,
  defaultLog,
  deliverSafely,
  errorMessage,
  positiveInt,
  Slots,
  sleep,
  truncateBytes,
} from './consumer-support.ts';
import { remainingDelayMs, withNotBefore } from './delay.ts';
import {
  eventBridgeEnvelope,
  PUT_EVENTS_MAX_BYTES,
  payloadOfSqsBody,
  putEventsChecked,
} from './eventbridge-publish.ts';
import {
  DEFAULT_QUEUE_PREFIX,
  eventBridgeRuleNameAt,
  eventBridgeRulesFor,
  sqsQueueNames,
} from './eventbridge-rules.ts';
import {
  type Consumer,
  type DeadLetter,
  type DeliverFn,
  type EventBus,
  PublishError,
  type RawPublisher,
  type Subscription,
} from './types.ts';

/** SendMessage DelaySeconds maximum (15 minutes). Longer delays hop: the consumer re-sends until due. */
export const SQS_MAX_DELAY_SECONDS = 900;
/** ChangeMessageVisibility maximum (12 hours). */
const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** Room left under the 256 KB entry / SQS message limits for Source, DetailType, the envelope and DLQ attributes. */
const ENVELOPE_ROOM_BYTES = 2_048;
const REASON_MAX_BYTES = 1_000;

export interface EventBridgeBusOptions {
  busName: string;
  /** Defaults to the SDK's region resolution (AWS_REGION), else us-east-1. */
  region?: string;
  queuePrefix?: string;
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Deliveries running at once per subscription (an event source mapping's maximum concurrency). */
  concurrency?: number;
  /** Long-poll wait (SQS allows 0–20 s). */
  waitTimeSeconds?: number;
  /** Visibility while a delivery runs; extended by a heartbeat at half this period. */
  visibilityTimeoutSeconds?: number;
  /** PutEvents rounds for entries that keep failing with retryable errors. */
  publishAttempts?: number;
  eventBridgeClient?: EventBridgeClient;
  sqsClient?: SQSClient;
  log?: BusLog;
}

interface HandlerQueues {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export class EventBridgeBus implements EventBus, RawPublisher {
  readonly name = 'eventbridge';
  readonly maxEventBytes = PUT_EVENTS_MAX_BYTES - ENVELOPE_ROOM_BYTES;
  private readonly busName: string;
  private readonly prefix: string;
  private readonly region: string | undefined;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  private readonly visibility: number;
  private readonly publishAttempts: number;
  private readonly eb: EventBridgeClient;
  private readonly sqs: SQSClient;
  private readonly ownsClients: boolean;
  private readonly log: BusLog;
  private busReady: Promise<void> | undefined;
  private readonly queues = new Map<string, Promise<HandlerQueues>>();
  private readonly queueUrls = new Map<string, string>();
  private readonly consumers = new Set<Consumer>();

  constructor(opts: EventBridgeBusOptions) {
    this.busName = opts.busName;
    this.prefix = opts.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
    this.region = opts.region;
    this.maxAttempts = positiveInt(opts.maxAttempts ?? 10, 'maxAttempts');
    this.backoff = backoffPolicy(opts.backoff, { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 });
    this.concurrency = positiveInt(opts.concurrency ?? 10, 'concurrency');
    this.waitTimeSeconds = Math.min(20, Math.max(0, opts.waitTimeSeconds ?? 20));
    this.visibility = positiveInt(opts.visibilityTimeoutSeconds ?? 60, 'visibilityTimeoutSeconds');
    this.publishAttempts = positiveInt(opts.publishAttempts ?? 5, 'publishAttempts');
    const clientConfig = this.region ? { region: this.region } : {};
    this.ownsClients = !opts.eventBridgeClient && !opts.sqsClient;
    this.eb = opts.eventBridgeClient ?? new EventBridgeClient(withDefaultRegion(clientConfig));
    this.sqs = opts.sqsClient ?? new SQSClient(withDefaultRegion(clientConfig));
    this.log = opts.log ?? defaultLog;
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    await this.putEvents(events, (e) => e);
  }

  async publishRaw(payloads: unknown[]): Promise<void> {
    // PublishError's contract names events; a raw payload is reported as given.
    await this.putEvents(payloads, (p) => p as ResourceEvent);
  }

  async publishDelayed(event: ResourceEvent, delayMs: number): Promise<void> {
    const delayed = withNotBefore(event, Date.now() + Math.max(0, delayMs));
    const target = event[TARGET_HANDLER_EXTENSION];
    const url = target ? await this.targetQueueUrl(target) : undefined;
    if (!url) {
      // Untargeted (or the target's queue does not exist yet): route through the rules; every
      // consumer holds the event until its capifnnotbefore.
      await this.publish([delayed]);
      return;
    }
    const bytes = utf8Bytes(JSON.stringify(delayed));
    if (bytes > this.maxEventBytes) {
      throw new PublishError('event too large', [
        { event, error: `event is ${bytes} bytes, over the ${this.maxEventBytes}-byte limit` },
      ]);
    }
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify(eventBridgeEnvelope(delayed, await this.regionName())),
        DelaySeconds: toWholeSeconds(delayMs, SQS_MAX_DELAY_SECONDS),
      }),
    );
  }

  async subscribe(sub: Subscription, deliver: DeliverFn): Promise<Consumer> {
    await this.ensureBus();
    const q = await this.ensureQueues(sub.handler);
    // The further rules are put and given their target first, and the first rule (the one that existed before, when
    // a pattern is shared out anew) is narrowed last: no event falls between a narrowed rule and one not yet
    // delivering. The queue policy names every rule before any of them targets the queue.
    const rules = eventBridgeRulesFor(sub, this.busName, this.prefix);
    const putRule = async (rule: (typeof rules)[number]) =>
      (
        await this.eb.send(
          new PutRuleCommand({
            Name: rule.Name,
            EventBusName: rule.EventBusName,
            Description: rule.Description,
            EventPattern: JSON.stringify(rule.EventPattern),
            State: 'ENABLED',
          }),
        )
      ).RuleArn;
    const putTarget = (rule: (typeof rules)[number]) =>
      this.eb.send(
        new PutTargetsCommand({
          Rule: rule.Name,
          EventBusName: this.busName,
          Targets: [{ Id: 'capifn-sqs', Arn: q.arn }],
        }),
      );
    const [first, ...further] = rules;
    const furtherArns: string[] = [];
    for (const rule of further) {
      const arn = await putRule(rule);
      if (arn) furtherArns.push(arn);
    }
    // The first rule's ARN differs from a further one's only in its name (…:rule/<bus>/<name>).
    const firstArn = furtherArns[0]
      ? `${furtherArns[0].slice(0, furtherArns[0].lastIndexOf('/') + 1)}${first!.Name}`
      : await putRule(first!);
    const ruleArns = [...(firstArn ? [firstArn] : []), ...furtherArns];
    if (ruleArns.length) {
      // Real SQS refuses EventBridge deliveries without this policy (moto does not check it).
      await this.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: queuePolicy(q.arn, ruleArns) } }),
      );
    }
    for (const rule of further) await putTarget(rule);
    if (further.length) await putRule(first!);
    await putTarget(first!);
    await this.deleteSurplusRules(sub.handler, rules.length);
    const consumer = new SqsConsumer(this, sub, q, deliver);
    consumer.start();
    const handle: Consumer = {
      stop: async () => {
        this.consumers.delete(handle);
        await consumer.stop();
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /**
   * Rules a longer pattern of an earlier subscription left (`<name>-3` when the pattern now needs two): they would
   * still feed the queue, duplicating what the current rules send.
   */
  private async deleteSurplusRules(handler: string, count: number): Promise<void> {
    const wanted = new Set(Array.from({ length: count }, (_, i) => eventBridgeRuleNameAt(handler, i, this.prefix)));
    const base = eventBridgeRuleNameAt(handler, 0, this.prefix);
    let next: string | undefined;
    const surplus: string[] = [];
    do {
      const page = await this.eb.send(
        new ListRulesCommand({ EventBusName: this.busName, NamePrefix: `${base}-`, NextToken: next }),
      );
      for (const r of page.Rules ?? []) {
        const name = r.Name ?? '';
        if (!wanted.has(name) && /^-\d+$/.test(name.slice(base.length))) surplus.push(name);
      }
      next = page.NextToken;
    } while (next);
    for (const name of surplus) {
      await this.eb.send(new RemoveTargetsCommand({ Rule: name, EventBusName: this.busName, Ids: ['capifn-sqs'] }));
      await this.eb.send(new DeleteRuleCommand({ Name: name, EventBusName: this.busName }));
    }
  }

  async deadLetters(handler?: string): Promise<DeadLetter[]> {
    const urls: Array<{ url: string; handler: string | undefined }> = [];
    if (handler !== undefined) {
      const url = await this.queueUrlIfExists(sqsQueueNames(handler, this.prefix).deadLetterQueue);
      if (url) urls.push({ url, handler });
    } else {
      let next: string | undefined;
      do {
        const page = await this.sqs.send(new ListQueuesCommand({ QueueNamePrefix: this.prefix, NextToken: next }));
        for (const url of page.QueueUrls ?? []) if (url.endsWith('-dlq')) urls.push({ url, handler: undefined });
        next = page.NextToken;
      } while (next);
    }
    const out: DeadLetter[] = [];
    for (const { url, handler: h } of urls) out.push(...(await this.peekDeadLetters(url, h)));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.ownsClients) {
      this.eb.destroy();
      this.sqs.destroy();
    }
  }

  // ---- internals shared with the consumer ----

  /** @internal */
  get settings() {
    return {
      maxAttempts: this.maxAttempts,
      backoff: this.backoff,
      concurrency: this.concurrency,
      waitTimeSeconds: this.waitTimeSeconds,
      visibility: this.visibility,
      sqs: this.sqs,
      log: this.log,
    };
  }

  private putEvents<T>(payloads: T[], asEvent: (p: T) => ResourceEvent): Promise<void> {
    return putEventsChecked(payloads, asEvent, {
      busName: this.busName,
      maxEventBytes: this.maxEventBytes,
      attempts: this.publishAttempts,
      send: async (entries) => (await this.eb.send(new PutEventsCommand({ Entries: entries }))).Entries ?? [],
    });
  }

  private ensureBus(): Promise<void> {
    if (this.busName === 'default') return Promise.resolve();
    this.busReady ??= this.eb.send(new CreateEventBusCommand({ Name: this.busName })).then(
      () => undefined,
      (err: unknown) => {
        if (errName(err) === 'ResourceAlreadyExistsException') return;
        this.busReady = undefined;
        throw err;
      },
    );
    return this.busReady;
  }

  private ensureQueues(handler: string): Promise<HandlerQueues> {
    let p = this.queues.get(handler);
    if (!p) {
      p = this.createQueues(handler);
      p.catch(() => this.queues.delete(handler));
      this.queues.set(handler, p);
    }
    return p;
  }

  private async createQueues(handler: string): Promise<HandlerQueues> {
    const names = sqsQueueNames(handler, this.prefix);
    // CreateQueue is idempotent only with identical attributes, so attributes are set separately.
    const dlqUrl = (await this.sqs.send(new CreateQueueCommand({ QueueName: names.deadLetterQueue }))).QueueUrl!;
    const url = (await this.sqs.send(new CreateQueueCommand({ QueueName: names.queue }))).QueueUrl!;
    const [dlqArn, arn] = await Promise.all([this.queueArn(dlqUrl), this.queueArn(url)]);
    await this.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          VisibilityTimeout: String(this.visibility),
          // Backstop for consumers that die mid-delivery: our own consumer dead-letters (with a
          // reason) at maxAttempts, one receive before SQS would move the message.
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: this.maxAttempts + 1 }),
        },
      }),
    );
    return { url, arn, dlqUrl, dlqArn };
  }

  private async queueArn(url: string): Promise<string> {
    const r = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = r.Attributes?.QueueArn;
    if (!arn) throw new Error(`no QueueArn for ${url}`);
    return arn;
  }

  /** Requeues are frequent; a queue's URL never changes, so it is looked up once per handler. */
  private async targetQueueUrl(handler: string): Promise<string | undefined> {
    const known = this.queueUrls.get(handler);
    if (known) return known;
    const url = await this.queueUrlIfExists(sqsQueueNames(handler, this.prefix).queue);
    if (url) this.queueUrls.set(handler, url);
    return url;
  }

  private async queueUrlIfExists(name: string): Promise<string | undefined> {
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (err) {
      if (/QueueDoesNotExist|NonExistentQueue/.test(errName(err))) return undefined;
      throw err;
    }
  }

  private async regionName(): Promise<string> {
    return this.region ?? (await this.sqs.config.region());
  }

  /** Reads a DLQ without consuming it: receive everything with a short visibility, then release it all. */
  private async peekDeadLetters(url: string, handler: string | undefined): Promise<DeadLetter[]> {
    const seen: Message[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      if (!r.Messages?.length) break;
      seen.push(...r.Messages);
    }
    for (let i = 0; i < seen.length; i += 10) {
      const chunk = seen.slice(i, i + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      );
    }
    const fallbackHandler = handler ?? url.slice(url.lastIndexOf('/') + 1 + this.prefix.length, -'-dlq'.length);
    return seen.map((m) => {
      const attr = (k: string) => m.MessageAttributes?.[k]?.StringValue;
      const sent = Number(m.Attributes?.SentTimestamp);
      return {
        handler: attr('capifnhandler') ?? fallbackHandler,
        reason:
          attr('capifnreason') ??
          `moved to the dead-letter queue by SQS redrive after ${this.maxAttempts + 1} receives without a result`,
        raw: payloadOfSqsBody(m.Body ?? ''),
        at: attr('capifnat') ?? (Number.isFinite(sent) ? new Date(sent).toISOString() : new Date().toISOString()),
        attempts: Number(attr('capifnattempts') ?? this.maxAttempts + 1),
      };
    });
  }
}

/** Long-polls one handler's queue and turns delivery results into delete / visibility change / DLQ send. */
class SqsConsumer {
  private readonly abort = new AbortController();
  private readonly slots: Slots;
  private loop: Promise<void> | undefined;

  private readonly bus: EventBridgeBus;
  private readonly sub: Subscription;
  private readonly q: HandlerQueues;
  private readonly deliver: DeliverFn;

  constructor(bus: EventBridgeBus, sub: Subscription, q: HandlerQueues, deliver: DeliverFn) {
    this.bus = bus;
    this.sub = sub;
    this.q = q;
    this.deliver = deliver;
    this.slots = new Slots(bus.settings.concurrency);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.slots.drained();
  }

  private async run(): Promise<void> {
    const { sqs, waitTimeSeconds, visibility, log } = this.bus.settings;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await this.slots.waitFree();
      if (signal.aborted) break;
      let messages: Message[] = [];
      try {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.q.url,
            MaxNumberOfMessages: Math.min(10, this.slots.free),
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibility,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: signal },
        );
        messages = r.Messages ?? [];
      } catch (err) {
        if (signal.aborted) break;
        log('warn', 'SQS receive failed; retrying', { handler: this.sub.handler, error: errorMessage(err) });
        await sleep(1_000, signal);
        continue;
      }
      for (const m of messages) {
        this.slots.take();
        void this.handle(m)
          .catch((err: unknown) =>
            log('error', 'SQS message handling failed', { handler: this.sub.handler, error: errorMessage(err) }),
          )
          .finally(() => this.slots.release());
      }
    }
  }

  private async handle(m: Message): Promise<void> {
    const { sqs, maxAttempts, backoff, visibility } = this.bus.settings;
    const body = m.Body ?? '';
    const raw = payloadOfSqsBody(body);
    const attempt = Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1;
    const wait = remainingDelayMs(raw, Date.now());
    if (wait > 0) {
      // Not due (a delay over SQS's 15-minute maximum, or a notbefore event routed through the
      // rules): send a fresh copy with the remaining delay. A fresh message keeps the receive count
      // (our attempt counter) clean, unlike a visibility change.
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: this.q.url,
          MessageBody: body,
          DelaySeconds: toWholeSeconds(wait, SQS_MAX_DELAY_SECONDS),
        }),
      );
      await this.remove(m);
      return;
    }
    if (attempt > maxAttempts) {
      await this.deadLetter(m, attempt - 1, `delivery attempts exhausted: received ${attempt} times without a result`);
      return;
    }
    const heartbeat = setInterval(
      () => {
        sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: this.q.url,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: visibility,
            }),
          )
          .catch(() => {});
      },
      (visibility * 1000) / 2,
    );
    let result: Awaited<ReturnType<DeliverFn>>;
    try {
      const info = m.MessageId ? { attempt, messageId: m.MessageId } : { attempt };
      result = await deliverSafely(this.deliver, raw, info);
    } finally {
      clearInterval(heartbeat);
    }
    if (result.status === 'done') {
      await this.remove(m);
    } else if (result.status === 'dead-letter') {
      await this.deadLetter(m, attempt, result.reason);
    } else if (attempt >= maxAttempts) {
      await this.deadLetter(m, attempt, `gave up after ${attempt} attempts; last error: ${result.error}`);
    } else {
      const delay = result.delayMs ?? backoffDelayMs(attempt, backoff);
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.q.url,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: toWholeSeconds(delay, SQS_MAX_VISIBILITY_SECONDS),
        }),
      );
    }
  }

  private async deadLetter(m: Message, attempts: number, reason: string): Promise<void> {
    const { sqs } = this.bus.settings;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: this.q.dlqUrl,
        MessageBody: m.Body ?? '',
        MessageAttributes: {
          capifnreason: { DataType: 'String', StringValue: truncateBytes(reason, REASON_MAX_BYTES) },
          capifnhandler: { DataType: 'String', StringValue: this.sub.handler },
          capifnattempts: { DataType: 'Number', StringValue: String(attempts) },
          capifnat: { DataType: 'String', StringValue: new Date().toISOString() },
        },
      }),
    );
    await this.remove(m);
  }

  private async remove(m: Message): Promise<void> {
    await this.bus.settings.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.q.url, ReceiptHandle: m.ReceiptHandle }),
    );
  }
}

function queuePolicy(queueArn: string, ruleArns: string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'capifn-eventbridge',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArns.length === 1 ? ruleArns[0] : ruleArns } },
      },
    ],
  });
}

function withDefaultRegion<T extends { region?: string }>(config: T): T {
  // The SDK throws "Region is missing" rather than defaulting; keep the environment's choice when set.
  if (config.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION) return config;
  return { ...config, region: 'us-east-1' };
}

function errName(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    return [e.name, e.Code, e.code].filter((x) => typeof x === 'string').join(' ');
  }
  return '';
}
