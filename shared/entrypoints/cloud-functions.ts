// Google Cloud Functions entrypoint (functions-framework): Pub/Sub messages arrive through Eventarc as
// CloudEvents of type google.cloud.pubsub.topic.v1.messagePublished. The same bundle serves Knative
// (knative.ts). Translation only: the push body's
// deliveryAttempt is the attempt, a retry is a thrown error (the subscription's retry policy backs
// off), dead letters are published to the dead-letter topic with the reason.
import * as ff from '@google-cloud/functions-framework';
import type { HandlerDefinition } from '../runtime/handler.ts';
import { deliver, parseJsonMessage } from './deliver.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';
import { knativeHandler, knativeTarget } from './knative.ts';

export interface PubSubPushData {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string };
  subscription?: string;
  deliveryAttempt?: number;
}

export interface PubSubPort {
  publish(topic: 'requeue' | 'dead-letter', body: string, attributes: Record<string, string>): Promise<void>;
}

export async function pubsubPortFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<PubSubPort> {
  const { PubSub } = await import('@google-cloud/pubsub');
  const client = new PubSub(env.GOOGLE_CLOUD_PROJECT ? { projectId: env.GOOGLE_CLOUD_PROJECT } : {});
  const topics = { requeue: env.CAPI_FN_TOPIC, 'dead-letter': env.CAPI_FN_DLQ_TOPIC };
  return {
    async publish(which, body, attributes) {
      const name = topics[which];
      if (!name) throw new Error(`${which === 'requeue' ? 'CAPI_FN_TOPIC' : 'CAPI_FN_DLQ_TOPIC'} is not set`);
      await client.topic(name).publishMessage({ data: Buffer.from(body), attributes });
    },
  };
}

export interface GcpOptions {
  env?: () => FunctionEnv;
  pubsub?: () => Promise<PubSubPort>;
  maxAttempts?: number;
  now?: () => number;
}

export function gcpPubSubHandler<C>(def: HandlerDefinition<C>, opts: GcpOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  let port: Promise<PubSubPort> | undefined;
  const getPort = () => (port ??= opts.pubsub ? opts.pubsub() : pubsubPortFromEnv());
  return async (ce: ff.CloudEvent<PubSubPushData>): Promise<void> => {
    const data = ce.data ?? {};
    const body = data.message?.data ? Buffer.from(data.message.data, 'base64').toString('utf8') : '';
    const raw = parseJsonMessage(body);
    const verdict = await deliver(
      def,
      raw,
      { attempt: data.deliveryAttempt ?? 1, messageId: data.message?.messageId ?? ce.id },
      getEnv(),
      {
        // Pub/Sub cannot delay a publish: the event carries capifnnotbefore and is nacked until due.
        requeue: async (ev) => (await getPort()).publish('requeue', JSON.stringify(ev), { capifnhandler: def.name }),
        ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      },
    );
    switch (verdict.status) {
      case 'not-due':
        throw new Error(`not due for another ${Math.ceil(verdict.delayMs / 1000)} s; the retry policy redelivers it`);
      case 'retry':
        throw new Error(`retry: ${verdict.error}`);
      case 'dead-letter':
        await (await getPort()).publish('dead-letter', body, {
          reason: verdict.reason.slice(0, 1024),
          capifnhandler: def.name,
        });
        return;
      default:
        return;
    }
  };
}

/**
 * Registers the handler twice with the functions-framework: as `<name>` for Cloud Run functions (Pub/Sub
 * through Eventarc) and as `knative-<name>` for a Knative Service behind a Broker's Triggers. The one bundle
 * serves both hosts; `--target` picks.
 */
export function registerGcp<C>(def: HandlerDefinition<C>): void {
  ff.cloudEvent<PubSubPushData>(def.name, gcpPubSubHandler(def));
  ff.http(knativeTarget(def.name), knativeHandler(def));
}
