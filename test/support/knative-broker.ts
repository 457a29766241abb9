// A small in-test Knative Broker, written from Knative Eventing's documented behaviour: the ingress
// (`POST /<namespace>/<broker>`) accepts a CloudEvent in structured or binary mode and answers 202, or 400
// for a request that is not one; it stamps `knativearrivaltime` and fans the event out, in binary mode, to
// every Trigger of that broker whose `filter.attributes` all match exactly; a non-2xx answer or a broken
// connection is retried per the Trigger's `delivery` (retry count, exponential backoff from backoffDelay),
// then sent to its deadLetterSink with `knativeerrorcode` and `knativeerrordest`. An event no Trigger
// matches is dropped, as on a real Broker. It also serves a dead-letter sink that records what it receives
// (`POST /dead-letters`, read with `deadLetters()`).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fromHttp,
  type KnativeDestination,
  type KnativeTrigger,
  toBinary,
  triggerMatches,
} from '../../shared/bus/knative-routing.ts';
import type { DeadLetter } from '../../shared/bus/types.ts';

export interface TestBroker {
  url: string;
  ingress(namespace?: string, broker?: string): string;
  deadLetterSink: string;
  apply(triggers: KnativeTrigger[]): Promise<() => Promise<void>>;
  triggers(): KnativeTrigger[];
  deadLetters(handler?: string): DeadLetter[];
  /** Events the sink received that are not capi-fn dead letters (the Triggers' own transport failures). */
  transportFailures(): Array<Record<string, unknown>>;
  stats(): { accepted: number; rejected: number; dispatched: number; dropped: number };
  stop(): Promise<void>;
}

function isoSeconds(d: string): number {
  const m = /^PT(\d+(?:\.\d+)?)S$/.exec(d);
  if (!m) throw new Error(`backoffDelay ${d}: this broker understands PT<n>S`);
  return Number(m[1]);
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTestBroker(): Promise<TestBroker> {
  const triggers = new Map<string, KnativeTrigger>();
  const sunk: Array<Record<string, unknown>> = [];
  const stats = { accepted: 0, rejected: 0, dispatched: 0, dropped: 0 };
  let stopping = false;
  let base = '';

  const resolve = (d: KnativeDestination): string => {
    if ('uri' in d) return d.uri;
    throw new Error(`this broker resolves uri destinations only, not ${d.ref.kind}/${d.ref.name}`);
  };

  async function send(uri: string, event: Record<string, unknown>): Promise<number> {
    const { headers, body } = toBinary(event);
    try {
      const res = await fetch(uri, { method: 'POST', headers, body });
      await res.body?.cancel();
      return res.status;
    } catch {
      return 0;
    }
  }

  async function dispatch(t: KnativeTrigger, event: Record<string, unknown>): Promise<void> {
    const uri = resolve(t.spec.subscriber);
    const { retry, backoffDelay } = t.spec.delivery;
    let status = 0;
    for (let i = 0; i <= retry && !stopping; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, isoSeconds(backoffDelay) * 1000 * 2 ** (i - 1)));
      status = await send(uri, event);
      stats.dispatched++;
      if (status >= 200 && status < 300) return;
    }
    if (t.spec.delivery.deadLetterSink && !stopping)
      await send(resolve(t.spec.delivery.deadLetterSink), {
        ...event,
        knativeerrorcode: String(status),
        knativeerrordest: uri,
      });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const path = req.url ?? '/';
      const event = fromHttp(req.headers, body) as Record<string, unknown>;
      if (path === '/dead-letters') {
        sunk.push(event);
        res.writeHead(202).end();
        return;
      }
      const [, namespace, broker] = path.split('/');
      const valid =
        typeof event === 'object' &&
        event !== null &&
        ['specversion', 'id', 'source', 'type'].every((k) => typeof event[k] === 'string' && event[k] !== '');
      if (req.method !== 'POST' || !namespace || !broker || !valid) {
        stats.rejected++;
        res.writeHead(400).end('not a CloudEvent');
        return;
      }
      stats.accepted++;
      res.writeHead(202).end();
      const arrived = { ...event, knativearrivaltime: new Date().toISOString() };
      const matching = [...triggers.values()].filter(
        (t) =>
          t.metadata.namespace === namespace &&
          t.spec.broker === broker &&
          triggerMatches(t.spec.filter.attributes, arrived),
      );
      if (!matching.length) stats.dropped++;
      await Promise.all(matching.map((t) => dispatch(t, arrived)));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    ingress: (namespace = 'default', broker = 'default') => `${base}/${namespace}/${broker}`,
    deadLetterSink: `${base}/dead-letters`,
    async apply(ts) {
      for (const t of ts) triggers.set(`${t.metadata.namespace}/${t.metadata.name}`, t);
      return async () => {
        for (const t of ts) triggers.delete(`${t.metadata.namespace}/${t.metadata.name}`);
      };
    },
    triggers: () => [...triggers.values()],
    deadLetters: (handler) =>
      sunk
        .filter((e) => e.type === 'io.capifn.deadletter')
        .map((e) => e.data as DeadLetter)
        .filter((d) => handler === undefined || d.handler === handler),
    transportFailures: () => sunk.filter((e) => e.type !== 'io.capifn.deadletter'),
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
