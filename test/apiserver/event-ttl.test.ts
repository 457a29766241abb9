// Events expire as with kube-apiserver's --event-ttl: one whose last occurrence is older than the TTL goes, a recent
// one stays until it too is older (both Event APIs). The last-occurrence rule is pure and tested beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastOccurrence } from '../../local/apiserver/controllers/event-ttl.ts';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, eventually, startTestServer } from './helpers.ts';

const EV = '/api/v1/namespaces/default/events';
const event = (name: string, at: Date) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name },
  involvedObject: { kind: 'ConfigMap', name: 'c', namespace: 'default', apiVersion: 'v1' },
  reason: 'Checked',
  message: name,
  type: 'Normal',
  firstTimestamp: at.toISOString().replace(/\.\d+Z$/, 'Z'),
  lastTimestamp: at.toISOString().replace(/\.\d+Z$/, 'Z'),
  count: 1,
});

describe('Event TTL', () => {
  let api: ApiServer;
  let c: Client;
  beforeAll(async () => {
    ({ api, c } = await startTestServer({ eventTtlMs: 3_000 }));
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('an expired Event goes at the next sweep; a recent one stays until it is older than the TTL', async () => {
    expect((await c.post(EV, event('old', new Date(Date.now() - 3_600_000)))).status).toBe(201);
    expect((await c.post(EV, event('fresh', new Date()))).status).toBe(201);
    const names = async () =>
      ((await c.get(EV)).body.items as Array<{ metadata: { name: string } }>).map((e) => e.metadata.name).sort();
    await eventually('only the fresh Event left', async () => (await names()).join() === 'fresh');
    await eventually('no Event left', async () => (await names()).length === 0, 10_000);
  });

  it('the last occurrence: lastTimestamp, else the series, else eventTime, else creation', () => {
    expect(lastOccurrence({ lastTimestamp: '2026-12-04T01:00:00Z', eventTime: '2026-12-04T00:00:00Z' })).toBe(
      Date.parse('2026-12-04T01:00:00Z'),
    );
    expect(
      lastOccurrence({
        series: { lastObservedTime: '2026-12-04T02:00:00.000000Z' },
        eventTime: '2026-12-04T00:00:00Z',
      }),
    ).toBe(Date.parse('2026-12-04T02:00:00Z'));
    expect(lastOccurrence({ metadata: { creationTimestamp: '2026-12-04T03:00:00Z' } })).toBe(
      Date.parse('2026-12-04T03:00:00Z'),
    );
    expect(lastOccurrence({})).toBeNaN();
  });
});
