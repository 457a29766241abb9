// The Lambda entrypoint invoked in-process with the event shapes Lambda delivers.
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FunctionEnv } from '../../shared/entrypoints/deps.ts';
import { lambdaHandler, type SqsPort } from '../../shared/entrypoints/lambda.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import { machineEvent, offlineEnv, reconciled, recordingHandler } from './handlers.ts';

const ctx = { awsRequestId: 'req-1', functionName: 'capifn-recorder' } as Context;

class RecordingSqs implements SqsPort {
  readonly calls: string[] = [];
  async changeVisibility(h: string, s: number) {
    this.calls.push(`visibility ${h} ${s}`);
  }
  readonly bodies: string[] = [];
  async sendDelayed(body: string, s: number) {
    this.bodies.push(body);
    this.calls.push(`delayed ${s} ${JSON.parse(body).data.ref.name}`);
  }
  async deadLetter(_body: string, reason: string) {
    this.calls.push(`dead-letter ${reason}`);
  }
}

/** The SQS body moto and AWS deliver for an EventBridge rule target: the whole envelope. */
function sqsRecord(id: string, payload: unknown, receiveCount = 1) {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({
      version: '0',
      id,
      'detail-type': 'io.capifn.resource.modified',
      source: 'test',
      time: '',
      region: 'us-east-1',
      resources: [],
      detail: payload,
    }),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capifn-recorder',
    awsRegion: 'us-east-1',
  };
}

/** An SQS batch of Machine events: [message id, Machine name] each. */
function batch(...records: Array<[string, string]>): SQSEvent {
  return { Records: records.map(([id, name]) => sqsRecord(id, machineEvent(name))) } as unknown as SQSEvent;
}

describe('Lambda entrypoint', () => {
  let sqs: RecordingSqs;
  let handler: ReturnType<typeof lambdaHandler>;
  beforeEach(() => {
    reconciled.length = 0;
    sqs = new RecordingSqs();
    handler = lambdaHandler(recordingHandler, { env: () => offlineEnv, sqs: () => sqs, maxAttempts: 3 });
  });
  const oncePerBatch = () =>
    lambdaHandler(recordingHandler, { env: () => offlineEnv, sqs: () => sqs, maxAttempts: 3, oncePerBatch: true });

  it('reconciles SQS records and reports only the failed ones as batch item failures', async () => {
    const res = await handler(batch(['a', 'ok'], ['b', 'fail'], ['c', 'requeue']), ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['ok', 'fail', 'requeue']);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
    expect(sqs.calls[0]).toMatch(/^visibility rh-b \d+$/);
    expect(sqs.calls[1]).toBe('delayed 30 requeue');
  });

  it('reconciles an object once per SQS batch however many of its events the batch holds; a failed one retries them all', async () => {
    const records = batch(
      ['a1', 'ok'],
      ['r1', 'requeue'],
      ['f1', 'fail'],
      ['a2', 'ok'],
      ['r2', 'requeue'],
      ['f2', 'fail'],
    );
    // Without the option (a handler that reads the event: the Machine's), every record runs.
    await handler(records, ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['ok', 'requeue', 'fail', 'ok', 'requeue', 'fail']);
    reconciled.length = 0;
    sqs.calls.length = 0;
    const once = oncePerBatch();
    const res = await once(records, ctx);
    // Each object runs once; the failed one's second event is not run again but comes back with its retry.
    expect(reconciled.map((r) => r.name)).toEqual(['ok', 'requeue', 'fail']);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'f1' }, { itemIdentifier: 'f2' }] });
    expect(sqs.calls.filter((c) => c.startsWith('delayed'))).toEqual(['delayed 30 requeue']);
    expect(sqs.calls.filter((c) => c.startsWith('visibility'))).toEqual([
      expect.stringMatching(/^visibility rh-f1 \d+$/),
      expect.stringMatching(/^visibility rh-f2 \d+$/),
    ]);
    // The next batch is a new one: its events were not seen by those runs.
    reconciled.length = 0;
    await once(batch(['a3', 'ok']), ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
  });

  it('stops starting records near the timeout and returns the rest as batch item failures', async () => {
    // The function's time runs low once two records have run.
    const timed = { ...ctx, getRemainingTimeInMillis: () => (reconciled.length >= 2 ? 5_000 : 60_000) } as Context;
    const res = await handler(batch(['a', 'ok'], ['b', 'ok2'], ['c', 'ok3']), timed);
    expect(reconciled.map((r) => r.name)).toEqual(['ok', 'ok2']);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'c' }] });
  });

  it('dead-letters malformed events with the validation reason instead of retrying them', async () => {
    const event = {
      Records: [sqsRecord('x', { specversion: '1.0', id: 'x', type: 'io.capifn.resource.modified' })],
    } as unknown as SQSEvent;
    const res = await handler(event, ctx);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(reconciled).toEqual([]);
    expect(sqs.calls).toHaveLength(1);
    expect(sqs.calls[0]).toMatch(/^dead-letter malformed capi-fn event: .*source.*subject.*data/);
  });

  it('dead-letters after the attempt bound (SQS receive count)', async () => {
    const res = await handler({ Records: [sqsRecord('f', machineEvent('fail'), 3)] } as unknown as SQSEvent, ctx);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(sqs.calls[0]).toMatch(/^dead-letter gave up after 3 attempts/);
  });

  it('re-delays a requeue that is not due yet instead of running it early', async () => {
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const res = await handler(
      { Records: [sqsRecord('d', machineEvent('later', { capifnnotbefore: notBefore }))] } as unknown as SQSEvent,
      ctx,
    );
    expect(reconciled).toEqual([]);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(sqs.calls).toEqual(['delayed 900 later']);
  });

  it('accepts a direct EventBridge invocation and throws on retry so Lambda retries it', async () => {
    await handler(
      {
        version: '0',
        id: 'e1',
        'detail-type': 'io.capifn.resource.modified',
        source: 'test',
        account: '1',
        time: '',
        region: 'us-east-1',
        resources: [],
        detail: machineEvent('ok'),
      },
      ctx,
    );
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
    await expect(
      handler(
        {
          version: '0',
          id: 'e2',
          'detail-type': 'io.capifn.resource.modified',
          source: 'test',
          account: '1',
          time: '',
          region: 'us-east-1',
          resources: [],
          detail: machineEvent('fail'),
        },
        ctx,
      ),
    ).rejects.toThrow(/retry requested: Error: cloud API unavailable/);
  });

  it('runs a schedule tick as the event the handler was given for it, and dead-letters it without one', async () => {
    const tick = {
      version: '0',
      id: 'tick-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '1',
      time: '',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:1:rule/capi-fn-dev-operator-schedule-1'],
      detail: {},
    };
    const scheduled = lambdaHandler(recordingHandler, {
      env: () => offlineEnv,
      sqs: () => sqs,
      scheduled: () => machineEvent('singleton', { capifnhandler: 'recorder' }),
    });
    await scheduled(tick, ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['singleton']);
    await handler(tick, ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['singleton']);
  });
});

/** SQS refusing the dead-letter send, as it does when the body plus the reason attribute exceed 256 KiB. */
class RefusingDlq extends RecordingSqs {
  override async deadLetter(_body: string, _reason: string): Promise<void> {
    this.calls.push('dead-letter refused');
    throw new Error('SQS SendMessage: message too long');
  }
}

function recordingEnv(lines: string[]): FunctionEnv {
  const rec = (level: string) => (obj: object, msg?: string) =>
    lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const log: Logger = { debug() {}, info: rec('info'), warn: rec('warn'), error: rec('error'), child: () => log };
  return { ...offlineEnv, log };
}

describe('Lambda entrypoint: partial batch failures (audit 12)', () => {
  beforeEach(() => {
    reconciled.length = 0;
  });

  it('an SQS call that throws mid-batch fails only its record; the others are handled once', async () => {
    const sqs = new RefusingDlq();
    const lines: string[] = [];
    const now = Date.parse('2026-01-01T00:00:00Z');
    const handler = lambdaHandler(recordingHandler, { env: () => recordingEnv(lines), sqs: () => sqs, now: () => now });
    const later = new Date(now + 600_000).toISOString();
    const event = {
      Records: [
        sqsRecord('first', machineEvent('first', { capifnnotbefore: later })),
        { ...sqsRecord('garbage', {}), body: 'not json at all' },
        sqsRecord('third', machineEvent('third', { capifnnotbefore: later })),
        sqsRecord('fourth', machineEvent('ok')),
      ],
    } as unknown as SQSEvent;
    const res = await handler(event, ctx);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage' }] });
    expect(sqs.calls).toEqual(['delayed 600 first', 'dead-letter refused', 'delayed 600 third']);
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
    expect(lines.join('\n')).toMatch(
      /error record failed; reported as a batch item failure .*"messageId":"garbage".*message too long/,
    );
  });

  it('a direct EventBridge invocation still throws, so Lambda retries it', async () => {
    const sqs = new RecordingSqs();
    const handler = lambdaHandler(recordingHandler, { env: () => offlineEnv, sqs: () => sqs });
    const direct = {
      version: '0',
      id: 'e3',
      'detail-type': 'io.capifn.resource.modified',
      source: 'test',
      account: '1',
      time: '',
      region: 'us-east-1',
      resources: [],
      detail: machineEvent('fail'),
    };
    await expect(handler(direct, ctx)).rejects.toThrow(/retry requested/);
  });

  it('a far-future capifnnotbefore is clamped to the 15-minute maximum delay, with a log line, and then runs', async () => {
    const sqs = new RecordingSqs();
    const lines: string[] = [];
    let now = Date.parse('2026-01-01T00:00:00Z');
    const handler = lambdaHandler(recordingHandler, { env: () => recordingEnv(lines), sqs: () => sqs, now: () => now });
    const far = machineEvent('far', { capifnnotbefore: '9999-12-31T00:00:00Z' });
    expect(await handler({ Records: [sqsRecord('f1', far)] } as unknown as SQSEvent, ctx)).toEqual({
      batchItemFailures: [],
    });
    expect(sqs.calls).toEqual(['delayed 900 far']);
    const resent = JSON.parse(sqs.bodies[0]!);
    expect(resent.capifnnotbefore).toBe('2026-01-01T00:15:00.000Z');
    expect(lines.join('\n')).toMatch(
      /warn capifnnotbefore is more than the queue's maximum delay \(900 s\) away; clamped to it .*"notBefore":"9999-12-31T00:00:00Z"/,
    );
    // SQS delivers the re-sent body 15 minutes later: it is due and runs, instead of hopping again.
    now += 900_000;
    await handler({ Records: [{ ...sqsRecord('f2', {}), body: sqs.bodies[0]! }] } as unknown as SQSEvent, ctx);
    expect(reconciled.map((r) => r.name)).toEqual(['far']);
    expect(sqs.calls).toEqual(['delayed 900 far']);
  });
});
