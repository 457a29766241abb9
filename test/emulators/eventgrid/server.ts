// An Event Grid custom-topic emulator, written from the published data-plane REST reference, for the
// CloudEvents 1.0 input schema, with storage-queue destinations forwarding to Azurite:
//
//   POST /api/events   header aeg-sas-key: <key>
//                      Content-Type: application/cloudevents-batch+json; charset=utf-8 (an array)
//                             or application/cloudevents+json; charset=utf-8 (one event)
//     200  accepted (empty body)      401  missing or wrong key
//     413  request over 1 MB          400  malformed JSON or CloudEvents, or another content type
//
// Event subscriptions are managed with the ARM resource body at /eventSubscriptions/{name}
// (PUT/GET/DELETE; the management plane's path is not emulated). Simplification: real Event Grid
// delivers after answering 200 and retries failed deliveries; here every delivery to a queue happens
// before the 200, and a failed one (queue missing, message over 64 KiB) is recorded in `failures`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueServiceClient } from '@azure/storage-queue';
import { filterMatches, type SubscriptionFilter, validateFilter } from './advanced-filters.ts';

/** "1 MB" per publish request; the service's own figure is 1,048,576 bytes. */
export const MAX_REQUEST_BYTES = 1_048_576;
const QUEUE_MESSAGE_MAX = 64 * 1024;
const BATCH_TYPE = 'application/cloudevents-batch+json';
const SINGLE_TYPE = 'application/cloudevents+json';

export interface EventSubscription {
  name: string;
  queueName: string;
  filter: SubscriptionFilter;
}

export interface DeliveryFailure {
  subscription: string;
  eventId: string;
  error: string;
}

export interface EventGridEmulatorOptions {
  key: string;
  /** Connection string of the storage account that holds the destination queues (Azurite). */
  queueConnectionString: string;
}

export class EventGridEmulator {
  readonly subscriptions = new Map<string, EventSubscription>();
  readonly failures: DeliveryFailure[] = [];
  /** Publish requests answered 200, with their sizes (to observe client-side batching). */
  readonly accepted: Array<{ bytes: number; events: number }> = [];
  private readonly key: string;
  private readonly queues: QueueServiceClient;
  private server: Server | undefined;
  private base = '';

  constructor(opts: EventGridEmulatorOptions) {
    this.key = opts.key;
    this.queues = QueueServiceClient.fromConnectionString(opts.queueConnectionString);
  }

  /** Topic endpoint for EventGridPublisherClient. */
  get endpoint(): string {
    return `${this.base}/api/events`;
  }

  get url(): string {
    return this.base;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => reply(res, 500, 'InternalServerError', String(err)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname === '/api/events') {
      if (req.method !== 'POST') return reply(res, 405, 'MethodNotAllowed', 'POST only');
      return this.publish(req, res);
    }
    const m = /^\/eventSubscriptions(?:\/([^/]+))?$/.exec(url.pathname);
    if (m) return this.manage(req, res, m[1] ? decodeURIComponent(m[1]) : undefined);
    return reply(res, 404, 'NotFound', `no route ${url.pathname}`);
  }

  private async publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = req.headers['aeg-sas-key'];
    if (typeof key !== 'string' || key !== this.key) {
      req.resume();
      return reply(res, 401, 'Unauthorized', 'The request authorization key is not authorized for this topic.');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BYTES) {
      req.resume();
      return reply(res, 413, 'RequestEntityTooLarge', `The maximum size (${MAX_REQUEST_BYTES}) has been exceeded.`);
    }
    const body = await readLimited(req, MAX_REQUEST_BYTES);
    if (body === undefined) {
      return reply(res, 413, 'RequestEntityTooLarge', `The maximum size (${MAX_REQUEST_BYTES}) has been exceeded.`);
    }
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (contentType !== BATCH_TYPE && contentType !== SINGLE_TYPE) {
      return reply(
        res,
        400,
        'BadRequest',
        `Content-Type must be ${BATCH_TYPE} or ${SINGLE_TYPE} for a CloudEvents topic`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(res, 400, 'BadRequest', 'The request body is not valid JSON.');
    }
    const events = contentType === BATCH_TYPE ? parsed : [parsed];
    if (!Array.isArray(events) || events.length === 0) {
      return reply(res, 400, 'BadRequest', 'A CloudEvents batch must be a non-empty JSON array.');
    }
    for (const [i, e] of events.entries()) {
      const problem = cloudEventProblem(e);
      if (problem) return reply(res, 400, 'BadRequest', `event ${i}: ${problem}`);
    }
    for (const e of events as Array<Record<string, unknown>>) await this.deliver(e);
    this.accepted.push({ bytes: body.length, events: events.length });
    res.writeHead(200).end();
  }

  private async deliver(event: Record<string, unknown>): Promise<void> {
    const text = Buffer.from(JSON.stringify(event)).toString('base64');
    for (const s of this.subscriptions.values()) {
      if (!filterMatches(event, s.filter)) continue;
      if (text.length > QUEUE_MESSAGE_MAX) {
        this.failures.push({ subscription: s.name, eventId: String(event.id), error: 'message over 64 KiB' });
        continue;
      }
      try {
        await this.queues.getQueueClient(s.queueName).sendMessage(text);
      } catch (err) {
        this.failures.push({ subscription: s.name, eventId: String(event.id), error: String(err) });
      }
    }
  }

  private async manage(req: IncomingMessage, res: ServerResponse, name: string | undefined): Promise<void> {
    if (!name) {
      if (req.method !== 'GET') return reply(res, 405, 'MethodNotAllowed', 'GET only');
      return json(res, 200, { value: [...this.subscriptions.values()] });
    }
    if (req.method === 'DELETE') {
      this.subscriptions.delete(name);
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET') {
      const s = this.subscriptions.get(name);
      return s ? json(res, 200, s) : reply(res, 404, 'NotFound', name);
    }
    if (req.method !== 'PUT') return reply(res, 405, 'MethodNotAllowed', 'GET, PUT or DELETE');
    if (!/^[A-Za-z0-9-]{3,64}$/.test(name)) return reply(res, 400, 'BadRequest', 'name: 3-64 letters, digits, hyphens');
    const body = await readLimited(req, MAX_REQUEST_BYTES);
    let resource: {
      properties?: {
        destination?: { endpointType?: string; properties?: { queueName?: string } };
        filter?: SubscriptionFilter;
        eventDeliverySchema?: string;
      };
    };
    try {
      resource = JSON.parse(body?.toString('utf8') ?? '');
    } catch {
      return reply(res, 400, 'BadRequest', 'not JSON');
    }
    const p = resource.properties;
    const queueName = p?.destination?.properties?.queueName;
    if (p?.destination?.endpointType !== 'StorageQueue' || !queueName) {
      return reply(res, 400, 'BadRequest', 'only StorageQueue destinations with a queueName are emulated');
    }
    if (p.eventDeliverySchema && p.eventDeliverySchema !== 'CloudEventSchemaV1_0') {
      return reply(res, 400, 'BadRequest', 'a CloudEvents topic delivers CloudEventSchemaV1_0');
    }
    const filter = p.filter ?? {};
    const problem = validateFilter(filter);
    if (problem) return reply(res, 400, 'BadRequest', problem);
    this.subscriptions.set(name, { name, queueName, filter });
    json(res, 200, { name, properties: p });
  }
}

/** CloudEvents 1.0 required attributes and basic types (id, source, specversion, type; optional ones typed). */
function cloudEventProblem(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'not a JSON object';
  const ev = e as Record<string, unknown>;
  if (ev.specversion !== '1.0') return `specversion must be "1.0", got ${JSON.stringify(ev.specversion)}`;
  for (const k of ['id', 'source', 'type']) {
    if (typeof ev[k] !== 'string' || ev[k] === '') return `${k} is required and must be a non-empty string`;
  }
  for (const k of ['subject', 'datacontenttype', 'dataschema']) {
    if (ev[k] !== undefined && typeof ev[k] !== 'string') return `${k} must be a string`;
  }
  if (ev.time !== undefined && (typeof ev.time !== 'string' || Number.isNaN(Date.parse(ev.time)))) {
    return 'time must be an RFC 3339 timestamp';
  }
  for (const k of Object.keys(ev)) {
    if (!/^[a-z0-9]+$/.test(k) && k !== 'data_base64') return `attribute name ${JSON.stringify(k)} is not valid`;
  }
  return undefined;
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) over = true;
    else chunks.push(chunk as Buffer);
  }
  return over ? undefined : Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
