// The dead-letter sink of a Knative deployment (functions-framework HTTP, target "dead-letters"): every
// CloudEvent a handler dead-lettered (type io.capifn.deadletter: the handler, the reason, the attempts and the
// event itself) and every event a Trigger could not deliver (the Broker adds knativeerrorcode and
// knativeerrordest) becomes one structured log line at level warn, where the cluster's logging keeps it.
// Nothing is retried from here: the drift check resyncs every object within its period.
import * as ff from '@google-cloud/functions-framework';
import { fromHttp } from '../../shared/bus/knative-routing.ts';
import { rawTextOf } from '../../shared/entrypoints/ff-body.ts';
import { createLogger } from '../../shared/runtime/logger.ts';

const log = createLogger({ name: 'capi-fn-dead-letters' });

export function describeDeadLetter(event: unknown): Record<string, unknown> {
  const e = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (e.type === 'io.capifn.deadletter') {
    const d = (e.data ?? {}) as Record<string, unknown>;
    const raw = (d.raw ?? {}) as Record<string, unknown>;
    return {
      kind: 'dead-letter',
      handler: d.handler,
      reason: d.reason,
      attempts: d.attempts,
      event: raw.id,
      subject: raw.subject,
      raw,
    };
  }
  return {
    kind: 'undeliverable',
    code: e.knativeerrorcode,
    destination: e.knativeerrordest,
    event: e.id,
    subject: e.subject,
    type: e.type,
  };
}

ff.http('dead-letters', (req, res) => {
  log.warn(describeDeadLetter(fromHttp(req.headers, rawTextOf(req))), 'dead letter');
  res.status(202).end();
});
