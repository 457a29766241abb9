// The Knative entrypoint (functions-framework HTTP) with a recording handler: what it answers the Broker, and
// what it publishes back to it for a retry, a requeueAfter or a dead letter.
import type * as ff from '@google-cloud/functions-framework';
import { beforeEach, describe, expect, it } from 'vitest';
import { toBinary } from '../../shared/bus/knative-routing.ts';
import { knativeHandler } from '../../shared/entrypoints/knative.ts';
import { machineEvent, offlineEnv, reconciled, recordingHandler } from './handlers.ts';

const posted: Array<{ url: string; event: Record<string, unknown> }> = [];
const handler = knativeHandler(recordingHandler, {
  env: () => offlineEnv,
  processEnv: {
    CAPI_FN_BROKER_URL: 'http://broker/ns/b',
    CAPI_FN_DEAD_LETTER_SINK: 'http://sink',
    CAPI_FN_MAX_ATTEMPTS: '3',
  },
  post: async (url, event) => {
    posted.push({ url, event });
  },
});

/** One call as the Broker makes it (binary mode), and the status the function answered. */
async function call(event: Record<string, unknown> | undefined, method = 'POST'): Promise<number> {
  const { headers, body } = event ? toBinary(event) : { headers: {}, body: '' };
  let status = 0;
  const res = {
    status(s: number) {
      status = s;
      return res;
    },
    set: () => res,
    send: () => res,
    end: () => res,
  };
  await handler(
    { method, headers, rawBody: Buffer.from(body), body: {} } as unknown as ff.Request,
    res as unknown as ff.Response,
  );
  return status;
}

describe('Knative entrypoint', () => {
  beforeEach(() => {
    reconciled.length = 0;
    posted.length = 0;
  });

  it('reconciles an event the Broker delivers in binary mode and answers 200 with no reply', async () => {
    expect(await call(machineEvent('ok'))).toBe(200);
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
    expect(posted).toEqual([]);
  });

  it('retries through the Broker: targeted at itself, attempt + 1, due later; dead-letters to the sink at the bound', async () => {
    expect(await call(machineEvent('fail'))).toBe(200);
    expect(posted).toHaveLength(1);
    const retry = posted[0]!;
    expect(retry.url).toBe('http://broker/ns/b');
    expect(retry.event).toMatchObject({ capifnto: 'recorder', capifnattempt: '2' });
    expect(Number(retry.event.capifndue)).toBeGreaterThan(Date.now() - 1000);
    posted.length = 0;
    // The last attempt: the runtime dead-letters with the error, to the sink, as an io.capifn.deadletter event.
    expect(await call({ ...machineEvent('fail'), capifnattempt: '3' })).toBe(200);
    expect(posted.map((p) => p.url)).toEqual(['http://sink']);
    expect(posted[0]!.event).toMatchObject({ type: 'io.capifn.deadletter', subject: 'recorder' });
    expect((posted[0]!.event.data as { reason: string }).reason).toContain('cloud API unavailable');
  });

  it('publishes a requeueAfter to the Broker as a targeted event due later', async () => {
    expect(await call(machineEvent('requeue'))).toBe(200);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.event).toMatchObject({ capifnhandler: 'recorder', capifnto: 'recorder' });
    expect(Date.parse(posted[0]!.event.capifnnotbefore as string)).toBeGreaterThan(Date.now() + 20_000);
  });

  it('dead-letters a malformed CloudEvent with the reason, and refuses what is not a CloudEvent', async () => {
    expect(
      await call({ specversion: '1.0', id: 'x', source: 's', type: 'io.capifn.resource.exploded', data: {} }),
    ).toBe(200);
    expect(posted.map((p) => p.url)).toEqual(['http://sink']);
    expect((posted[0]!.event.data as { reason: string }).reason).toMatch(/^malformed capi-fn event: .*type/);
    expect(await call(undefined)).toBe(400);
    expect(await call(undefined, 'GET')).toBe(405);
    expect(reconciled).toEqual([]);
  });

  it('runs a PingSource tick as the resync event it carries', async () => {
    const tick = {
      specversion: '1.0',
      id: 'p1',
      source: '/apis/v1/namespaces/n/pingsources/p',
      type: 'dev.knative.sources.ping',
      data: machineEvent('scheduled'),
    };
    expect(await call(tick)).toBe(200);
    expect(reconciled.map((r) => r.name)).toEqual(['scheduled']);
  });
});
