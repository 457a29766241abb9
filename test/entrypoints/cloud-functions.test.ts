// The Google Cloud Functions entrypoint through functions-framework's own testing helpers.

import * as ff from '@google-cloud/functions-framework';
import { getFunction } from '@google-cloud/functions-framework/testing';
import { CloudEvent } from 'cloudevents';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gcpPubSubHandler, type PubSubPort, type PubSubPushData } from '../../shared/entrypoints/cloud-functions.ts';

/** The registered function, typed as the CloudEvent handler it is. */
const recorder = () => getFunction('recorder') as unknown as (ce: CloudEvent<PubSubPushData>) => Promise<void>;

import { machineEvent, offlineEnv, reconciled, recordingHandler } from './handlers.ts';

const published: string[] = [];
const port: PubSubPort = {
  async publish(topic, body, attributes) {
    published.push(`${topic} ${attributes.reason ?? JSON.parse(body).data?.ref?.name ?? ''}`);
  },
};

function pushEvent(payload: unknown, deliveryAttempt = 1) {
  return new CloudEvent<PubSubPushData>({
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: '//pubsub.googleapis.com/projects/p/topics/capifn-events',
    data: {
      message: {
        data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
        messageId: 'm1',
      },
      deliveryAttempt,
    },
  });
}

describe('Google Cloud Functions entrypoint', () => {
  beforeAll(() => {
    ff.cloudEvent<PubSubPushData>(
      'recorder',
      gcpPubSubHandler(recordingHandler, { env: () => offlineEnv, pubsub: async () => port, maxAttempts: 4 }),
    );
  });
  beforeEach(() => {
    reconciled.length = 0;
    published.length = 0;
  });

  it('reconciles a Pub/Sub message delivered as a CloudEvent', async () => {
    await recorder()(pushEvent(machineEvent('ok')));
    expect(reconciled.map((r) => r.name)).toEqual(['ok']);
  });

  it('throws for a retry so the subscription redelivers, and dead-letters after the bound', async () => {
    const fn = recorder();
    await expect(fn(pushEvent(machineEvent('fail'), 1))).rejects.toThrow(/retry/);
    await fn(pushEvent(machineEvent('fail'), 4));
    expect(published[0]).toMatch(/^dead-letter gave up after 4 attempts/);
  });

  it('dead-letters malformed payloads with the reason', async () => {
    await recorder()(pushEvent('{"nope":true}'));
    expect(published[0]).toMatch(/^dead-letter malformed capi-fn event/);
    expect(reconciled).toEqual([]);
  });

  it('publishes requeues to the topic', async () => {
    await recorder()(pushEvent(machineEvent('requeue')));
    expect(published).toEqual(['requeue requeue']);
  });
});
