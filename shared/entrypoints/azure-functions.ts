// Azure Functions v4 entrypoints: a Storage Queue trigger (Event Grid subscriptions deliver into one
// queue per handler) and an Event Grid trigger. They translate only: dequeueCount is the attempt,
// requeues and not-yet-due events go back to the queue with a visibility delay, dead letters go to
// `<queue>-poison` with the reason, and a retry is a thrown error the host redelivers.
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { azureQueueName } from '../bus/azure-queue-codec.ts';
import type { ResourceEvent } from '../events/resource-event.ts';
import type { HandlerDefinition } from '../runtime/handler.ts';
import { queueServiceFromEnv } from './azure-storage.ts';
import { deliver, parseJsonMessage } from './deliver.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';

/** Storage queue visibility delays stop at 7 days. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

export interface AzureQueuePort {
  sendDelayed(body: string, delaySeconds: number): Promise<void>;
  deadLetter(body: string, reason: string): Promise<void>;
}

/** The handler's queue: the Azure queue bus adapter's name for it (CAPI_FN_QUEUE overrides). */
export function queueNameFor(handler: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPI_FN_QUEUE ?? azureQueueName(handler);
}

/** The connection (app setting prefix) of every capi-fn queue trigger and queue client. */
export const STORAGE_CONNECTION = 'CAPI_FN_STORAGE';

export async function storageQueuePort(handler: string, env: NodeJS.ProcessEnv = process.env): Promise<AzureQueuePort> {
  const svc = await queueServiceFromEnv(STORAGE_CONNECTION, env);
  const queue = svc.getQueueClient(queueNameFor(handler, env));
  const poison = svc.getQueueClient(`${queueNameFor(handler, env)}-poison`);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    async sendDelayed(body, delaySeconds) {
      await queue.sendMessage(b64(body), { visibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, delaySeconds) });
    },
    async deadLetter(body, reason) {
      await poison.createIfNotExists();
      await poison.sendMessage(b64(JSON.stringify({ reason, message: parseJsonMessage(body) })));
    },
  };
}

export interface AzureOptions {
  env?: () => FunctionEnv;
  queue?: () => Promise<AzureQueuePort>;
  maxAttempts?: number;
  now?: () => number;
}

export function azureQueueHandler<C>(def: HandlerDefinition<C>, opts: AzureOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  let port: Promise<AzureQueuePort> | undefined;
  const getPort = () => (port ??= opts.queue ? opts.queue() : storageQueuePort(def.name));
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const raw = parseJsonMessage(message);
    const body = typeof message === 'string' ? message : JSON.stringify(message);
    const attempt = Number(context.triggerMetadata?.dequeueCount ?? 1) || 1;
    const verdict = await deliver(def, raw, { attempt, messageId: context.invocationId }, getEnv(), {
      requeue: async (ev, delayMs) => (await getPort()).sendDelayed(JSON.stringify(ev), Math.ceil(delayMs / 1000)),
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    switch (verdict.status) {
      case 'not-due':
        await (await getPort()).sendDelayed(body, Math.ceil(verdict.delayMs / 1000));
        return;
      case 'dead-letter':
        context.error(`dead-lettering: ${verdict.reason}`);
        await (await getPort()).deadLetter(body, verdict.reason);
        return;
      case 'retry':
        // The host makes the message visible again and moves it to -poison after maxDequeueCount.
        throw new Error(`retry: ${verdict.error}`);
      default:
        return;
    }
  };
}

/** Event Grid push (CloudEvents schema): no queue behind it, so retries are Event Grid's own. */
export function azureEventGridHandler<C>(def: HandlerDefinition<C>, opts: AzureOptions = {}) {
  const getEnv = opts.env ?? (() => functionEnv());
  let port: Promise<AzureQueuePort> | undefined;
  const getPort = () => (port ??= opts.queue ? opts.queue() : storageQueuePort(def.name));
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const verdict = await deliver(def, event, { attempt: 1, messageId: context.invocationId }, getEnv(), {
      requeue: async (ev, delayMs) => (await getPort()).sendDelayed(JSON.stringify(ev), Math.ceil(delayMs / 1000)),
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    });
    if (verdict.status === 'retry') throw new Error(`retry: ${verdict.error}`);
    if (verdict.status === 'dead-letter') {
      context.error(`dead-lettering: ${verdict.reason}`);
      await (await getPort()).deadLetter(JSON.stringify(event), verdict.reason);
    }
    if (verdict.status === 'not-due')
      await (await getPort()).sendDelayed(JSON.stringify(event), Math.ceil(verdict.delayMs / 1000));
  };
}

/**
 * Timer trigger body for a handler with a schedule of its own: the tick puts `event()` on the handler's
 * own queue, so the run goes through the queue trigger like every other delivery (one consumer path,
 * one place that bounds its concurrency).
 */
export function azureScheduleHandler<C>(
  def: HandlerDefinition<C>,
  event: () => ResourceEvent,
  opts: Pick<AzureOptions, 'queue'> = {},
) {
  let port: Promise<AzureQueuePort> | undefined;
  const getPort = () => (port ??= opts.queue ? opts.queue() : storageQueuePort(def.name));
  return async (_timer: unknown, _context: InvocationContext): Promise<void> => {
    await (await getPort()).sendDelayed(JSON.stringify(event()), 0);
  };
}

export interface AzureRegistration {
  /** A schedule of the handler's own: six-field NCRONTAB and the event each tick enqueues. */
  schedule?: { ncrontab: string; event: () => ResourceEvent };
}

/**
 * Whether this app registers `name`: every function, unless CAPI_FN_FUNCTION names the one it hosts (infra/azure
 * deploys one app, with its own identity, per function; a folder's bundle registers several).
 */
export function hostsFunction(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.CAPI_FN_FUNCTION || env.CAPI_FN_FUNCTION === name;
}

/** Registers both triggers with the Functions host (a no-op outside it, where the package is in test mode). */
export function registerAzure<C>(def: HandlerDefinition<C>, reg: AzureRegistration = {}): void {
  if (!hostsFunction(def.name)) return;
  app.storageQueue(def.name, {
    queueName: queueNameFor(def.name),
    connection: STORAGE_CONNECTION,
    handler: azureQueueHandler(def),
  });
  app.eventGrid(`${def.name}-eventgrid`, { handler: azureEventGridHandler(def) });
  if (reg.schedule) {
    app.timer(`${def.name}-schedule`, {
      schedule: reg.schedule.ncrontab,
      handler: azureScheduleHandler(def, reg.schedule.event),
    });
  }
}
