// AWS Lambda entrypoint for scheduled functions (EventBridge Scheduler / rate rules): the drift check
// and the bounded bridge. Translation only: the tick becomes a call, failures are logged and rethrown.
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import './aws-secrets.ts';
import { type FunctionEnv, functionEnv } from './deps.ts';

export function scheduledHandler<T>(
  name: string,
  run: (env: FunctionEnv, ctx: { remainingMs: () => number }) => Promise<T>,
  opts: { env?: () => FunctionEnv } = {},
) {
  const getEnv = opts.env ?? (() => functionEnv());
  return middy<ScheduledEvent, T, Error, Context>(async (_event: ScheduledEvent, context: Context) => {
    const env = getEnv();
    return run(env, {
      remainingMs: () =>
        typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 60_000,
    });
  }).use({
    onError: (req) => {
      getEnv().log.error(
        {
          fn: name,
          awsRequestId: req.context?.awsRequestId,
          err: String(req.error),
          // Where it failed: a timeout deep in a client says nothing without its stack.
          stack: req.error instanceof Error ? req.error.stack : undefined,
        },
        'scheduled run failed',
      );
    },
  });
}
