// 1,000 malformed events through each entrypoint (Lambda SQS records, Azure queue messages, Google Pub/Sub pushes):
// every one is dead-lettered once with a reason, none reaches a handler, none is retried, and no invocation throws.
// The events are a valid one mutated by a seeded generator — fields dropped, wrong types, wrong values, truncated or
// non-JSON text, other JSON altogether — so a failure replays.

import { InvocationContext } from '@azure/functions';
import * as ff from '@google-cloud/functions-framework';
import { getFunction } from '@google-cloud/functions-framework/testing';
import type { Context, SQSEvent } from 'aws-lambda';
import { CloudEvent } from 'cloudevents';
import { beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/bus/random.ts';
import { azureQueueHandler } from '../../shared/entrypoints/azure-functions.ts';
import { gcpPubSubHandler, type PubSubPushData } from '../../shared/entrypoints/cloud-functions.ts';
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { machineEvent, offlineEnv, reconciled, recordingHandler } from './handlers.ts';

const N = 1_000;

/** A malformed payload: a JSON value, or raw text (`{ raw }`) that is not valid JSON. */
type Bad = unknown | { raw: string };

function malformed(seed: number): Bad[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const junk = () =>
    pick([null, 0, -1, 1.5, true, '', 'x'.repeat(1 + Math.floor(r() * 40)), [], {}, [1, 'a'], { a: 1 }]);
  const out: Bad[] = [];
  while (out.length < N) {
    const ev = JSON.parse(JSON.stringify(machineEvent('m'))) as Record<string, unknown>;
    const data = ev.data as Record<string, unknown>;
    const ref = data.ref as Record<string, unknown>;
    switch (Math.floor(r() * 9)) {
      case 0: // a required attribute gone
        delete ev[pick(['specversion', 'id', 'source', 'type', 'subject', 'data'])];
        break;
      case 1: // a required attribute of the wrong type or empty
        ev[pick(['specversion', 'id', 'source', 'type', 'subject'])] = pick([null, 7, '', [], {}, false]);
        break;
      case 2: // an unknown event type or spec version
        if (r() < 0.5) ev.type = `io.capifn.resource.${pick(['created', 'nope', 'MODIFIED', ''])}`;
        else ev.specversion = pick(['0.3', '2.0', '1']);
        break;
      case 3: // the object reference broken
        ref[pick(['apiVersion', 'kind', 'name'])] = pick([null, 0, true, '', [], {}]);
        break;
      case 4: // the reference gone
        delete data.ref;
        break;
      case 5: // data not an object
        ev.data = junk();
        if (typeof ev.data === 'object' && ev.data !== null && !Array.isArray(ev.data) && Object.keys(ev.data).length)
          ev.data = 'not an object';
        break;
      case 6: // truncated JSON text
        out.push({ raw: JSON.stringify(ev).slice(0, Math.floor(r() * 60)) });
        continue;
      case 7: // not JSON at all
        out.push({ raw: pick(['not json', '<xml/>', '}{', '', '\u0000\u0001', 'null null']) });
        continue;
      default: // other JSON altogether
        out.push(pick([[], {}, 42, 'a string', { nope: true }, [machineEvent('m')], { specversion: '1.0' }]));
        continue;
    }
    out.push(ev);
  }
  return out;
}

const text = (b: Bad) =>
  typeof b === 'object' && b !== null && 'raw' in (b as object) ? (b as { raw: string }).raw : JSON.stringify(b);

describe('1,000 malformed events through each entrypoint', () => {
  beforeEach(() => {
    reconciled.length = 0;
  });

  it('Lambda (SQS records in batches of 10): all dead-lettered with a reason, none retried', async () => {
    const dead: string[] = [];
    const other: string[] = [];
    const sqs = {
      async changeVisibility() {
        other.push('visibility');
      },
      async sendDelayed() {
        other.push('delayed');
      },
      async deadLetter(_b: string, reason: string) {
        dead.push(reason);
      },
    };
    const handler = lambdaHandler(recordingHandler, { env: () => offlineEnv, sqs: () => sqs, maxAttempts: 3 });
    const bad = malformed(1);
    let failures = 0;
    for (let i = 0; i < bad.length; i += 10) {
      const Records = bad.slice(i, i + 10).map((b, j) => ({
        messageId: `m${i + j}`,
        receiptHandle: `rh${i + j}`,
        // What an EventBridge rule target puts in SQS: the envelope, with the event as its detail.
        body:
          typeof b === 'object' && b !== null && 'raw' in (b as object)
            ? (b as { raw: string }).raw
            : JSON.stringify({ version: '0', id: `e${i + j}`, 'detail-type': 't', source: 's', detail: b }),
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        eventSource: 'aws:sqs',
      }));
      const res = await handler({ Records } as unknown as SQSEvent, { awsRequestId: 'r' } as Context);
      failures += res?.batchItemFailures.length ?? 1; // no answer counts as a failure
    }
    expect(failures).toBe(0);
    expect(other).toEqual([]);
    expect(reconciled).toEqual([]);
    expect(dead).toHaveLength(N);
    expect(dead.every((reason) => reason.length > 10)).toBe(true);
    process.stdout.write(
      `lambda: ${N} malformed, ${dead.length} dead-lettered, ${new Set(dead.map((d) => d.slice(0, 40))).size} distinct reasons\n`,
    );
  });

  it('Azure queue trigger: all sent to the poison queue with a reason, none thrown for a retry', async () => {
    const poison: string[] = [];
    const queue = {
      async sendDelayed() {
        throw new Error('nothing malformed is requeued');
      },
      async deadLetter(_b: string, reason: string) {
        poison.push(reason);
      },
    };
    const h = azureQueueHandler(recordingHandler, { env: () => offlineEnv, queue: async () => queue, maxAttempts: 5 });
    for (const b of malformed(2)) {
      const ctx = new InvocationContext({
        functionName: 'recorder',
        invocationId: 'i',
        triggerMetadata: { dequeueCount: 1 },
        logHandler: () => {},
      });
      await h(text(b), ctx);
    }
    expect(reconciled).toEqual([]);
    expect(poison).toHaveLength(N);
    expect(poison.every((reason) => reason.length > 10)).toBe(true);
  });

  it('Google Pub/Sub push: all published to the dead-letter topic with a reason, none thrown for a redelivery', async () => {
    const dead: string[] = [];
    ff.cloudEvent<PubSubPushData>(
      'sweep',
      gcpPubSubHandler(recordingHandler, {
        env: () => offlineEnv,
        pubsub: async () => ({
          async publish(_topic: string, _body: string, attributes: Record<string, string>) {
            dead.push(attributes.reason ?? '');
          },
        }),
        maxAttempts: 4,
      }),
    );
    const fn = getFunction('sweep') as unknown as (ce: CloudEvent<PubSubPushData>) => Promise<void>;
    for (const b of malformed(3)) {
      await fn(
        new CloudEvent<PubSubPushData>({
          type: 'google.cloud.pubsub.topic.v1.messagePublished',
          source: '//pubsub.googleapis.com/projects/p/topics/capifn-events',
          data: { message: { data: Buffer.from(text(b)).toString('base64'), messageId: 'm' }, deliveryAttempt: 1 },
        }),
      );
    }
    expect(reconciled).toEqual([]);
    expect(dead).toHaveLength(N);
    expect(dead.every((reason) => reason.length > 10)).toBe(true);
  });
});
