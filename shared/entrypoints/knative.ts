// Knative Serving entrypoint (OpenShift Serverless): the handler's Service receives the CloudEvents its
// Triggers let through, over HTTP, and answers as knative-receiver.ts says — the same receive path as the
// Knative bus adapter. Served by the functions-framework (`--target=knative-<handler>`, HTTP signature)
// so the CloudEvent is decoded from the bytes the Broker sent, in binary or structured mode.
//
//   CAPI_FN_BROKER_URL          the Broker's ingress URL: retries, requeues and held events are published there
//   CAPI_FN_DEAD_LETTER_SINK    a CloudEvents sink for dead letters (defaults to the Broker, type io.capifn.deadletter)
//   CAPI_FN_MAX_ATTEMPTS        attempts before a retried event is dead-lettered (default 8)
//   CAPI_FN_HOLD_MAX_SECONDS    longest a not-yet-due event is held inside one request (default 240; keep it
//                               below the Service's timeoutSeconds)
import type * as ff from '@google-cloud/functions-framework';
import { backoffPolicy } from '../bus/backoff.ts';
import { deadLetterEvent, receiveKnative } from '../bus/knative-receiver.ts';
import { fromHttp, knativeAttributesFor, postStructured } from '../bus/knative-routing.ts';
import type { DeliveryResult } from '../bus/types.ts';
import { NOT_BEFORE_EXTENSION } from '../events/resource-event.ts';
import type { HandlerDefinition } from '../runtime/handler.ts';
import { deliver } from './deliver.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { rawTextOf } from './ff-body.ts';

export const knativeTarget = (handler: string): string => `knative-${handler}`;

export interface KnativeOptions {
  env?: () => FunctionEnv;
  processEnv?: NodeJS.ProcessEnv;
  /** Posts a structured CloudEvent (tests replace the network). */
  post?: (url: string, event: Record<string, unknown>) => Promise<void>;
}

/**
 * A schedule of the handler's own arrives from a PingSource as `dev.knative.sources.ping` whose data is the
 * resync event the deployment rendered; the event inside is what the handler receives.
 */
export function unwrapPing(raw: unknown): unknown {
  const e = raw as Record<string, unknown> | null;
  return e?.type === PING_TYPE && typeof e.data === 'object' && e.data !== null ? e.data : raw;
}

export const PING_TYPE = 'dev.knative.sources.ping';

export function knativeHandler<C>(def: HandlerDefinition<C>, opts: KnativeOptions = {}): ff.HttpFunction {
  const env = opts.processEnv ?? process.env;
  const getEnv = opts.env ?? (() => functionEnv());
  const post = opts.post ?? postStructured;
  const broker = env.CAPI_FN_BROKER_URL;
  const sink = env.CAPI_FN_DEAD_LETTER_SINK ?? broker;
  const maxAttempts = Number(env.CAPI_FN_MAX_ATTEMPTS ?? 8) || 8;
  const holdMaxMs = (Number(env.CAPI_FN_HOLD_MAX_SECONDS ?? 240) || 240) * 1000;
  return async (req, res) => {
    if (!broker) {
      getEnv().log.error(
        {},
        'CAPI_FN_BROKER_URL is not set: the function cannot retry or requeue; set it to the Broker ingress URL',
      );
      res.status(500).end();
      return;
    }
    if (req.method !== 'POST') {
      res.status(405).set('allow', 'POST').send('POST a CloudEvent (binary or structured mode)');
      return;
    }
    const raw = unwrapPing(fromHttp(req.headers, rawTextOf(req)));
    if (typeof (raw as { specversion?: unknown } | null)?.specversion !== 'string') {
      // Not a CloudEvent at all (a Broker sends nothing else): the sender's error, left to its delivery policy.
      res.status(400).send('not a CloudEvent: no ce-specversion header and not application/cloudevents+json');
      return;
    }
    try {
      await receiveKnative(
        raw,
        async (payload, info): Promise<DeliveryResult> => {
          const v = await deliver(def, payload, info, getEnv(), {
            // A requeueAfter: the event targeted at this handler, due later, through the Broker.
            requeue: (ev, delayMs) => {
              const due = { ...ev, [NOT_BEFORE_EXTENSION]: new Date(Date.now() + delayMs).toISOString() };
              return post(broker, { ...due, ...knativeAttributesFor(due) });
            },
            maxAttempts,
          });
          return v.status === 'not-due' ? { status: 'retry', error: 'not due yet', delayMs: v.delayMs } : v;
        },
        {
          handler: def.name,
          // The runtime bounds attempts itself (its dead letter names the last error); the receiver's bound is a backstop.
          maxAttempts: maxAttempts + 1,
          backoff: backoffPolicy(undefined),
          holdMaxMs,
          publish: (e) => post(broker, e),
          deadLetter: (dl) => post(sink!, deadLetterEvent(dl, `capi-fn/${def.name}`)),
          log: (level, msg, fields) => getEnv().log[level](fields ?? {}, msg),
        },
      );
      // No body: a body with CloudEvent headers would be a reply event published back to the Broker.
      res.status(200).end();
    } catch (e) {
      getEnv().log.error({ error: String(e) }, 'could not record a delivery outcome; the Trigger redelivers');
      res.status(500).end();
    }
  };
}
