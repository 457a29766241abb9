import { describe, expect, it } from 'vitest';
import {
  batchPutEvents,
  eventBridgeEnvelope,
  PUT_EVENTS_MAX_BYTES,
  type PutEventsEntry,
  type PutEventsResultEntry,
  payloadOfSqsBody,
  putEventsEntryFor,
  putEventsEntrySize,
  putEventsWithResend,
} from './eventbridge-publish.ts';

const entry = (n: number): PutEventsEntry => ({
  Source: 's',
  DetailType: 't',
  Detail: JSON.stringify({ n }),
  EventBusName: 'b',
});
const noSleep = { attempts: 4, backoff: { baseMs: 1, maxMs: 1, jitter: 0 }, sleep: async () => {} };

describe('putEventsWithResend', () => {
  it('resends only the entries that failed, until they succeed', async () => {
    const calls: number[][] = [];
    const flaky = new Map([
      [1, 2],
      [3, 1],
    ]); // entry n fails this many times
    const send = async (es: PutEventsEntry[]): Promise<PutEventsResultEntry[]> => {
      calls.push(es.map((e) => JSON.parse(e.Detail).n));
      return es.map((e) => {
        const n = JSON.parse(e.Detail).n as number;
        const left = flaky.get(n) ?? 0;
        if (left > 0) {
          flaky.set(n, left - 1);
          return { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' };
        }
        return { EventId: `id-${n}` };
      });
    };
    const failures = await putEventsWithResend([0, 1, 2, 3].map(entry), send, noSleep);
    expect(failures).toEqual([]);
    expect(calls).toEqual([[0, 1, 2, 3], [1, 3], [1]]);
  });

  it('does not resend permanent errors, and reports retryable ones still failing after the bound', async () => {
    let calls = 0;
    const send = async (es: PutEventsEntry[]): Promise<PutEventsResultEntry[]> => {
      calls++;
      return es.map((e) => {
        const n = JSON.parse(e.Detail).n as number;
        if (n === 0) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        if (n === 1) return { ErrorCode: 'InternalFailure' };
        return {};
      });
    };
    const failures = await putEventsWithResend([0, 1, 2].map(entry), send, noSleep);
    expect(calls).toBe(4);
    expect(failures).toEqual([
      { index: 0, error: 'MalformedDetail: Detail is malformed.' },
      { index: 1, error: 'InternalFailure: (after 4 attempts)' },
    ]);
  });

  it('treats a request that throws as every entry failing, and retries them', async () => {
    let calls = 0;
    const send = async (es: PutEventsEntry[]): Promise<PutEventsResultEntry[]> => {
      calls++;
      if (calls === 1) throw new Error('socket hang up');
      return es.map(() => ({}));
    };
    expect(await putEventsWithResend([0, 1].map(entry), send, noSleep)).toEqual([]);
    expect(calls).toBe(2);
  });
});

describe('entries and batches', () => {
  it('maps a CloudEvent to Source/DetailType/Detail and sizes it by the documented formula', () => {
    const ev = { source: 'cluster://a', type: 'io.capifn.resource.added', id: 'x' };
    const e = putEventsEntryFor(ev, 'bus');
    expect(e).toEqual({
      Source: 'cluster://a',
      DetailType: 'io.capifn.resource.added',
      Detail: JSON.stringify(ev),
      EventBusName: 'bus',
    });
    expect(putEventsEntrySize(e)).toBe(
      'cluster://a'.length + 'io.capifn.resource.added'.length + JSON.stringify(ev).length,
    );
  });
  it('never puts more than 10 entries or 256 KB in one request', () => {
    const items = Array.from({ length: 23 }, (_, n) => ({
      entry: { ...entry(n), Detail: 'x'.repeat(n % 2 ? 100_000 : 10) },
    }));
    const { batches, oversize } = batchPutEvents(items);
    expect(oversize).toEqual([]);
    expect(batches.flat()).toHaveLength(23);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(10);
      expect(b.reduce((s, i) => s + putEventsEntrySize(i.entry), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    }
  });
});

describe('SQS bodies', () => {
  it('unwraps the EventBridge envelope, passes bare JSON and non-JSON through', () => {
    const ev = { id: 'a', source: 's', type: 't' };
    expect(payloadOfSqsBody(JSON.stringify(eventBridgeEnvelope(ev, 'us-east-1')))).toEqual(ev);
    expect(payloadOfSqsBody(JSON.stringify(ev))).toEqual(ev);
    expect(payloadOfSqsBody('not json')).toBe('not json');
  });
});
