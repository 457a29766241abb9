// AWS Lambda entrypoints, built with middy. They translate, and only translate: SQS records (the
// production shape: EventBridge rule → SQS queue → event source mapping) and direct EventBridge
// events become deliveries for the shared runtime; its verdicts become batch item failures,
// visibility changes, delayed re-sends and dead letters with a reason. A record whose handling throws
// (an SQS call refused, say) is reported alone in batchItemFailures; the event source mapping must set
// functionResponseType ReportBatchItemFailures (scripts/serverless-config.ts does) or the answer is ignored.
import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { payloadOfSqsBody } from '../bus/eventbridge-publish.ts';
import type { DeliveryResult } from '../bus/types.ts';
import './aws-secrets.ts';
import { NOT_BEFORE_EXTENSION, parseResourceEvent, type ResourceEvent } from '../events/resource-event.ts';
import type { HandlerDefinition } from '../runtime/handler.ts';
import { deliver } from './deliver.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';

const SQS_MAX_DELAY_SECONDS = 900;

/**
 * The body and delay to re-send a not-yet-due event with. SQS delays stop at 15 minutes; an event due later
 * is clamped to that bound (its capifnnotbefore rewritten), so it hops once and then runs rather than
 * hopping until a far-future date. Running early is safe: a handler treats every event as "look again".
 */
export function boundedNotBefore(
  raw: unknown,
  delayMs: number,
  nowMs: number,
): { body: string; delaySeconds: number; clamped: boolean; requested?: string; runsAt?: string } {
  const seconds = Math.ceil(delayMs / 1000);
  if (seconds <= SQS_MAX_DELAY_SECONDS) return { body: JSON.stringify(raw), delaySeconds: seconds, clamped: false };
  const runsAt = new Date(nowMs + SQS_MAX_DELAY_SECONDS * 1000).toISOString();
  const ev = raw as Record<string, unknown>;
  const requested = String(ev[NOT_BEFORE_EXTENSION]);
  return {
    body: JSON.stringify({ ...ev, [NOT_BEFORE_EXTENSION]: runsAt }),
    delaySeconds: SQS_MAX_DELAY_SECONDS,
    clamped: true,
    requested,
    runsAt,
  };
}

/** The SQS calls the adapter makes; a port so tests can point it at moto or record calls. */
export interface SqsPort {
  /** Backoff for a retried record: the record becomes visible again after `seconds`. */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /** A delayed event for this handler's own queue (requeueAfter). */
  sendDelayed(body: string, delaySeconds: number): Promise<void>;
  deadLetter(body: string, reason: string): Promise<void>;
}

/**
 * The SDK is imported on the first SQS call, not when the function loads: most deliveries finish without one, and
 * the import is most of a cold start (≈ 155 ms of ≈ 230 ms on the bench machine; bench/cold-start.ts).
 */
const sqsSdk = () => import('@aws-sdk/client-sqs');

export function sqsPortFromEnv(env: NodeJS.ProcessEnv = process.env, given?: SQSClient): SqsPort {
  let client: Promise<SQSClient> | undefined = given ? Promise.resolve(given) : undefined;
  const sqs = async () => {
    const sdk = await sqsSdk();
    client ??= Promise.resolve(new sdk.SQSClient({}));
    return { sdk, client: await client };
  };
  const queueUrl = env.CAPI_FN_QUEUE_URL;
  const dlqUrl = env.CAPI_FN_DLQ_URL;
  const need = (v: string | undefined, name: string) => {
    if (!v) throw new Error(`${name} is not set: serverless.yml sets it to this function's queue`);
    return v;
  };
  return {
    async changeVisibility(receiptHandle, seconds) {
      const { sdk, client } = await sqs();
      await client.send(
        new sdk.ChangeMessageVisibilityCommand({
          QueueUrl: need(queueUrl, 'CAPI_FN_QUEUE_URL'),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },
    async sendDelayed(body, delaySeconds) {
      const { sdk, client } = await sqs();
      await client.send(
        new sdk.SendMessageCommand({
          QueueUrl: need(queueUrl, 'CAPI_FN_QUEUE_URL'),
          MessageBody: body,
          DelaySeconds: delaySeconds,
        }),
      );
    },
    async deadLetter(body, reason) {
      const attrs: Record<string, MessageAttributeValue> = {
        reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
      };
      const { sdk, client } = await sqs();
      await client.send(
        new sdk.SendMessageCommand({
          QueueUrl: need(dlqUrl, 'CAPI_FN_DLQ_URL'),
          MessageBody: body,
          MessageAttributes: attrs,
        }),
      );
    },
  };
}

export interface LambdaOptions {
  env?: () => FunctionEnv;
  /**
   * The event a schedule tick (an EventBridge `Scheduled Event` invoking the function directly) stands
   * for, e.g. a targeted resync of a singleton; without it a tick is a malformed event.
   */
  scheduled?: () => ResourceEvent;
  sqs?: () => SqsPort;
  maxAttempts?: number;
  now?: () => number;
  /**
   * The handler's reconcile reads only current state, never the event that woke it (the MachineSet's): one run per
   * object then answers all of a batch's events for it. Not for a handler that reads the event (the Machine's Node
   * lookup uses a Node event's name, a resync's full scan).
   */
  oncePerBatch?: boolean;
}

/** A batch stops starting records this close to the function's timeout; the rest come back with a retry. */
const BATCH_RESERVE_MS = 10_000;

interface Delivery {
  raw: unknown;
  body: string;
  attempt: number;
  messageId: string;
  receiptHandle?: string;
  /** Set by the validation middleware; undefined = valid. */
  invalid?: string;
}

/** What the middlewares hand the base handler: every record as a delivery, validated. */
export interface Deliveries {
  deliveries: Delivery[];
  /** True for SQS batches (answered with batchItemFailures). */
  batch: boolean;
}

type LambdaEvent = SQSEvent | EventBridgeEvent<string, unknown>;
type Mw = MiddlewareObj<LambdaEvent | Deliveries, unknown, Error, Context>;

function isSqs(e: unknown): e is SQSEvent {
  return Array.isArray((e as SQSEvent).Records);
}

/** What an EventBridge schedule (rate/cron rule) delivers to its target function. */
function isScheduleTick(e: LambdaEvent): boolean {
  const ev = e as EventBridgeEvent<string, unknown>;
  return ev.source === 'aws.events' && ev['detail-type'] === 'Scheduled Event';
}

/**
 * Middleware: normalises SQS batches and direct EventBridge events into deliveries; a schedule tick
 * becomes the event `scheduled` makes, when given.
 */
export function busDeliveries(scheduled?: () => ResourceEvent): Mw {
  return {
    name: 'capi-fn-bus-deliveries',
    before: (req) => {
      const e = req.event as LambdaEvent;
      if (scheduled && !isSqs(e) && isScheduleTick(e)) {
        const tick = scheduled();
        req.event = {
          batch: false,
          deliveries: [{ raw: tick, body: JSON.stringify(tick), attempt: 1, messageId: e.id ?? tick.id }],
        };
        return;
      }
      req.event = isSqs(e)
        ? {
            batch: true,
            deliveries: e.Records.map((r: SQSRecord) => ({
              raw: payloadOfSqsBody(r.body),
              body: r.body,
              attempt: Number(r.attributes?.ApproximateReceiveCount ?? '1') || 1,
              messageId: r.messageId,
              receiptHandle: r.receiptHandle,
            })),
          }
        : {
            batch: false,
            deliveries: [
              {
                raw: e.detail,
                body: JSON.stringify(e.detail),
                attempt: 1,
                messageId: e.id ?? req.context.awsRequestId,
              },
            ],
          };
    },
  };
}

/** Middleware: zod-validates every delivery; malformed ones are dead-lettered, never retried. */
export function zodValidation(): Mw {
  return {
    name: 'capi-fn-zod-validation',
    before: (req) => {
      for (const d of (req.event as Deliveries).deliveries) {
        const r = parseResourceEvent(d.raw);
        if (!r.ok) d.invalid = r.reason;
      }
    },
  };
}

/** Middleware: anything that escaped is logged with the request id and rethrown so Lambda retries it. */
export function errorLogging(getEnv: () => FunctionEnv): Mw {
  return {
    name: 'capi-fn-error-logging',
    onError: (req) => {
      getEnv().log.error({ awsRequestId: req.context?.awsRequestId, err: String(req.error) }, 'invocation failed');
    },
  };
}

/** The Lambda handler for one capi-fn handler definition. */
export function lambdaHandler<C>(def: HandlerDefinition<C>, opts: LambdaOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  let sqs: SqsPort | undefined;
  const getSqs = () => (sqs ??= opts.sqs ? opts.sqs() : sqsPortFromEnv());
  const now = opts.now ?? Date.now;

  /** One record, start to finish; a throw means "this record failed" (its port calls may have failed). */
  const handleOne = async (
    d: Delivery,
    env: FunctionEnv,
    batchResults?: Map<string, DeliveryResult>,
  ): Promise<'done' | 'failed'> => {
    const { kube, log } = env;
    const result = d.invalid
      ? ({ status: 'dead-letter', reason: d.invalid } as const)
      : await deliver(
          def,
          d.raw,
          { attempt: d.attempt, messageId: d.messageId },
          { kube, log },
          {
            requeue: (ev: ResourceEvent, delayMs: number) =>
              getSqs().sendDelayed(JSON.stringify(ev), Math.min(SQS_MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000))),
            now,
            ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
            ...(batchResults ? { batch: batchResults } : {}),
          },
        );
    if (result.status === 'not-due') {
      if (!d.receiptHandle) throw new Error('a delayed event arrived early on a direct invocation');
      const next = boundedNotBefore(d.raw, result.delayMs, now());
      if (next.clamped) {
        // Each hop is a new message, so the receive count never reaches the DLQ: a far-future (or forged)
        // capifnnotbefore would hop every 15 minutes forever. One hop at most, then it runs.
        log.warn(
          { messageId: d.messageId, notBefore: next.requested, runsAt: next.runsAt },
          `capifnnotbefore is more than the queue's maximum delay (${SQS_MAX_DELAY_SECONDS} s) away; clamped to it`,
        );
      }
      await getSqs().sendDelayed(next.body, next.delaySeconds);
      return 'done';
    }
    if (result.status === 'dead-letter') {
      if (d.receiptHandle) await getSqs().deadLetter(d.body, result.reason);
      else
        log.error(
          { messageId: d.messageId, reason: result.reason },
          'dead letter (direct EventBridge invocation: see the function destination)',
        );
      return 'done';
    }
    if (result.status === 'retry') {
      if (!d.receiptHandle) throw new Error(`retry requested: ${result.error}`);
      await getSqs().changeVisibility(
        d.receiptHandle,
        Math.min(43_200, Math.max(0, Math.ceil((result.delayMs ?? 0) / 1000))),
      );
      return 'failed';
    }
    return 'done';
  };

  const base = async (event: LambdaEvent | Deliveries, context?: Context): Promise<SQSBatchResponse | undefined> => {
    const { deliveries, batch } = event as Deliveries;
    const env = getEnv();
    const failures: string[] = [];
    // Every record of an SQS batch was queued before this invocation began: for a handler that reads only current
    // state, one reconcile of an object answers the batch's other events for it (a MachineSet woken by many of its
    // Machines runs once per batch).
    const batchResults = batch && opts.oncePerBatch ? new Map<string, DeliveryResult>() : undefined;
    for (const d of deliveries) {
      if (batch && (context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < BATCH_RESERVE_MS) {
        // Not started, so nothing to undo: it comes back after its visibility timeout.
        failures.push(d.messageId);
        continue;
      }
      if (!batch) {
        // A direct invocation has no per-record answer: a throw is how Lambda is told to retry it.
        await handleOne(d, env);
        continue;
      }
      try {
        if ((await handleOne(d, env, batchResults)) === 'failed') failures.push(d.messageId);
      } catch (e) {
        // Only this record comes back (ReportBatchItemFailures): the others' side effects are done and
        // must not be repeated by redelivering the whole batch.
        env.log.error(
          { messageId: d.messageId, err: e instanceof Error ? e.message : String(e) },
          'record failed; reported as a batch item failure',
        );
        failures.push(d.messageId);
      }
    }
    return batch ? { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) } : undefined;
  };

  return middy<LambdaEvent | Deliveries, SQSBatchResponse | undefined, Error, Context>(base)
    .use(errorLogging(getEnv))
    .use(busDeliveries(opts.scheduled))
    .use(zodValidation());
}
