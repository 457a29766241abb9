// Checks the Event Grid emulator against the documented data-plane behaviour (status codes, limits,
// CloudEvents validation, storage-queue delivery, advanced filters) and against the official SDK.
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../support/azurite.ts';
import { filterMatches, validateFilter } from './advanced-filters.ts';
import { EventGridEmulator, MAX_REQUEST_BYTES } from './server.ts';

const KEY = 'test-key';
const BATCH = 'application/cloudevents-batch+json; charset=utf-8';

const event = (over: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: crypto.randomUUID(),
  source: 'test://emulator',
  type: 'io.capifn.resource.added',
  time: new Date().toISOString(),
  data: { ref: { kind: 'Machine' } },
  ...over,
});

describe('Event Grid emulator: documented behaviour', () => {
  let azurite: Azurite;
  let eg: EventGridEmulator;
  let queues: QueueServiceClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    eg = new EventGridEmulator({ key: KEY, queueConnectionString: azurite.connectionString });
    await eg.start();
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  });

  afterAll(async () => {
    await eg?.stop();
    await azurite?.stop();
  });

  const post = (
    body: string | Buffer,
    headers: Record<string, string> = { 'aeg-sas-key': KEY, 'content-type': BATCH },
  ) => fetch(eg.endpoint, { method: 'POST', headers, body });

  it('401 without the key or with a wrong one', async () => {
    expect((await post('[]', { 'content-type': BATCH })).status).toBe(401);
    const r = await post(JSON.stringify([event()]), { 'aeg-sas-key': 'nope', 'content-type': BATCH });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
  });

  it('413 over 1 MB, 200 just under it', async () => {
    const sized = (total: number) => {
      const base = JSON.stringify([event({ data: { pad: '' } })]);
      return JSON.stringify([event({ data: { pad: 'x'.repeat(total - base.length) } })]);
    };
    const over = sized(MAX_REQUEST_BYTES + 1);
    expect(Buffer.byteLength(over)).toBe(MAX_REQUEST_BYTES + 1);
    expect((await post(over)).status).toBe(413);
    expect((await post(sized(MAX_REQUEST_BYTES))).status).toBe(200);
  });

  it('400 on malformed JSON and malformed CloudEvents, naming the problem', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      [JSON.stringify(event()), /non-empty JSON array/],
      ['[]', /non-empty JSON array/],
      [JSON.stringify([event({ id: undefined })]), /event 0: id is required/],
      [JSON.stringify([event(), event({ specversion: '0.3' })]), /event 1: specversion/],
      [JSON.stringify([event({ source: '' })]), /source is required/],
      [JSON.stringify([event({ type: 7 })]), /type is required/],
      [JSON.stringify([event({ time: 'yesterday' })]), /time must be/],
      [JSON.stringify([event({ Bad_Name: 'x' })]), /attribute name/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect(r.status, body.slice(0, 60)).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    const wrongType = await post(JSON.stringify([event()]), { 'aeg-sas-key': KEY, 'content-type': 'application/json' });
    expect(wrongType.status).toBe(400);
  });

  it('200 on success, delivering base64 JSON to the queues whose filters match', async () => {
    const yes = `eg-yes-${Date.now()}`;
    const no = `eg-no-${Date.now()}`;
    await queues.createQueue(yes);
    await queues.createQueue(no);
    const put = (name: string, queueName: string, advancedFilters: unknown[]) =>
      fetch(`${eg.url}/eventSubscriptions/${name}`, {
        method: 'PUT',
        body: JSON.stringify({
          properties: {
            destination: { endpointType: 'StorageQueue', properties: { queueName, resourceId: 'x' } },
            filter: { advancedFilters },
            eventDeliverySchema: 'CloudEventSchemaV1_0',
          },
        }),
      });
    expect(
      (await put(`${yes}-s`, yes, [{ operatorType: 'StringIn', key: 'data.ref.kind', values: ['machine'] }])).status,
    ).toBe(200);
    expect(
      (await put(`${no}-s`, no, [{ operatorType: 'StringIn', key: 'data.ref.kind', values: ['Node'] }])).status,
    ).toBe(200);
    const e = event();
    const single = event({ type: 'io.capifn.resource.deleted' });
    expect((await post(JSON.stringify([e]))).status).toBe(200);
    expect(
      (
        await post(JSON.stringify(single), {
          'aeg-sas-key': KEY,
          'content-type': 'application/cloudevents+json; charset=utf-8',
        })
      ).status,
    ).toBe(200);
    const got = await queues.getQueueClient(yes).receiveMessages({ numberOfMessages: 10 });
    expect(got.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()))).toEqual([
      e,
      single,
    ]);
    expect((await queues.getQueueClient(no).peekMessages()).peekedMessageItems).toEqual([]);
  });

  it('rejects subscriptions over the documented filter limits or with unknown operators', async () => {
    const body = (advancedFilters: unknown[]) =>
      JSON.stringify({
        properties: {
          destination: { endpointType: 'StorageQueue', properties: { queueName: 'q' } },
          filter: { advancedFilters },
        },
      });
    const values = Array.from({ length: 26 }, (_, i) => `v${i}`);
    const tooMany = await fetch(`${eg.url}/eventSubscriptions/too-many`, {
      method: 'PUT',
      body: body([{ operatorType: 'StringIn', key: 'type', values }]),
    });
    expect(tooMany.status).toBe(400);
    const unknown = await fetch(`${eg.url}/eventSubscriptions/unknown-op`, {
      method: 'PUT',
      body: body([{ operatorType: 'StringLooksLike', key: 'type', values: ['x'] }]),
    });
    expect(unknown.status).toBe(400);
  });

  it('works with the official SDK: EventGridPublisherClient with a key credential, CloudEvents schema', async () => {
    // The Azure pipeline refuses plain http unless told otherwise; the emulator has no TLS.
    const client = new EventGridPublisherClient(eg.endpoint, 'CloudEvent', new AzureKeyCredential(KEY), {
      allowInsecureConnection: true,
    });
    await client.send([{ type: 't', source: 's', data: { a: 1 }, extensionAttributes: { capifnhandler: 'h' } }]);
    const bad = new EventGridPublisherClient(eg.endpoint, 'CloudEvent', new AzureKeyCredential('wrong'), {
      retryOptions: { maxRetries: 0 },
      allowInsecureConnection: true,
    });
    await expect(bad.send([{ type: 't', source: 's', data: {} }])).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('Event Grid advanced filter semantics', () => {
  const e = {
    type: 'T',
    subject: 'a/b',
    capifnhandler: 'Machine',
    data: { ref: { kind: 'Machine', tags: ['x', 'y'] }, n: 5, ok: true },
  };
  it('compares strings case-insensitively and ANDs filters', () => {
    expect(
      filterMatches(e, { advancedFilters: [{ operatorType: 'StringIn', key: 'data.ref.kind', values: ['MACHINE'] }] }),
    ).toBe(true);
    expect(
      filterMatches(e, {
        advancedFilters: [
          { operatorType: 'StringIn', key: 'data.ref.kind', values: ['machine'] },
          { operatorType: 'StringBeginsWith', key: 'subject', values: ['b'] },
        ],
      }),
    ).toBe(false);
  });
  it('presence operators and missing keys', () => {
    expect(
      filterMatches(e, { advancedFilters: [{ operatorType: 'IsNullOrUndefined', key: 'capifnstatusonly' }] }),
    ).toBe(true);
    expect(filterMatches(e, { advancedFilters: [{ operatorType: 'IsNullOrUndefined', key: 'capifnhandler' }] })).toBe(
      false,
    );
    expect(filterMatches(e, { advancedFilters: [{ operatorType: 'IsNotNull', key: 'data.ref.kind' }] })).toBe(true);
    expect(filterMatches(e, { advancedFilters: [{ operatorType: 'StringIn', key: 'missing', values: ['x'] }] })).toBe(
      false,
    );
    expect(
      filterMatches(e, { advancedFilters: [{ operatorType: 'StringNotIn', key: 'missing', values: ['x'] }] }),
    ).toBe(true);
  });
  it('arrays only match with enableAdvancedFilteringOnArrays', () => {
    const f = { advancedFilters: [{ operatorType: 'StringIn', key: 'data.ref.tags', values: ['y'] }] };
    expect(filterMatches(e, f)).toBe(false);
    expect(filterMatches(e, { ...f, enableAdvancedFilteringOnArrays: true })).toBe(true);
  });
  it('numbers, booleans, event types and subject filters', () => {
    expect(
      filterMatches(e, { advancedFilters: [{ operatorType: 'NumberGreaterThan', key: 'data.n', value: 4 }] }),
    ).toBe(true);
    expect(filterMatches(e, { advancedFilters: [{ operatorType: 'BoolEquals', key: 'data.ok', value: false }] })).toBe(
      false,
    );
    expect(filterMatches(e, { includedEventTypes: ['t'] })).toBe(true);
    expect(filterMatches(e, { subjectBeginsWith: 'A/', isSubjectCaseSensitive: true })).toBe(false);
    expect(filterMatches(e, { subjectEndsWith: '/B' })).toBe(true);
  });
  it('validates the documented limits', () => {
    expect(
      validateFilter({ advancedFilters: Array.from({ length: 26 }, () => ({ operatorType: 'IsNotNull', key: 'k' })) }),
    ).toMatch(/25 advanced filters/);
    expect(
      validateFilter({ advancedFilters: [{ operatorType: 'StringIn', key: 'k', values: ['x'.repeat(513)] }] }),
    ).toMatch(/512/);
    expect(
      validateFilter({ advancedFilters: [{ operatorType: 'StringIn', key: 'k', values: ['a'] }] }),
    ).toBeUndefined();
  });
});
