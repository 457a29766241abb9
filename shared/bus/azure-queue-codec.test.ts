import { describe, expect, it } from 'vitest';
import {
  AZURE_QUEUE_MAX_EVENT_BYTES,
  AZURE_QUEUE_MESSAGE_MAX,
  azureQueueName,
  decodePoisonMessage,
  decodeQueueMessage,
  encodePoisonMessage,
  encodeQueueMessage,
  poisonQueueName,
  queueMetadataFor,
  subscriptionFromMetadata,
} from './azure-queue-codec.ts';
import type { Subscription } from './types.ts';

const valid = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

describe('azure queue names', () => {
  it('are valid, deterministic, distinct, and leave room for -poison', () => {
    const names = [
      'machine',
      'MachineSet',
      'providers/aws',
      'providers_aws',
      'a',
      `x${'y'.repeat(200)}`,
      '--weird--',
    ].map((h) => azureQueueName(h));
    for (const n of names) {
      expect(n).toMatch(valid);
      expect(poisonQueueName(n)).toMatch(valid);
    }
    expect(names[0]).toBe('capifn-machine');
    expect(names[2]).not.toBe(names[3]);
    expect(azureQueueName('a', '')).toMatch(valid);
    expect(azureQueueName('providers/aws')).toBe(names[2]);
  });
});

describe('queue metadata', () => {
  it('round-trips a subscription, core group included', () => {
    const sub: Subscription = {
      handler: 'machine',
      kinds: [
        { group: 'cluster.x-k8s.io', kind: 'Machine' },
        { group: '', kind: 'Node' },
        {
          group: 'cluster.x-k8s.io',
          kind: 'MachineSet',
          types: ['io.capifn.resource.deleted', 'io.capifn.resource.added'],
        },
        { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine', statusChanges: true, metadataChanges: false },
        {
          group: '',
          kind: 'Pod',
          types: ['io.capifn.resource.modified'],
          metadataChanges: false,
          whenExists: { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck', deleting: true },
        },
        {
          group: 'cluster.x-k8s.io',
          kind: 'MachineDeployment',
          statusChanges: false,
          unchanged: 'capifnnone0123456789',
        },
      ],
      statusChanges: false,
    };
    expect(subscriptionFromMetadata(queueMetadataFor(sub))).toEqual(sub);
    // A publisher that predates `metadataChanges` and `whenExists` reads `capifnkinds` alone: every kind is still
    // routed, only wider (the runtime drops the rest).
    const { capifnmetaskip: _m, capifnwhenexists: _w, capifnunchanged: _u, ...older } = queueMetadataFor(sub);
    expect(_u).toBeDefined();
    expect(_m).toBeDefined();
    expect(_w).toBeDefined();
    expect(subscriptionFromMetadata(older)?.kinds.map((k) => `${k.group}/${k.kind}`)).toEqual(
      sub.kinds.map((k) => `${k.group}/${k.kind}`),
    );
    expect(subscriptionFromMetadata(queueMetadataFor({ handler: 'drift', kinds: [], statusChanges: true }))).toEqual({
      handler: 'drift',
      kinds: [],
      statusChanges: true,
    });
    expect(subscriptionFromMetadata({})).toBeUndefined();
  });
});

describe('message text', () => {
  it('is base64 JSON, and plain JSON or junk from other writers still decodes', () => {
    const ev = { id: 'a', data: { ref: { kind: 'Machine' } } };
    const text = encodeQueueMessage(ev);
    expect(Buffer.from(text, 'base64').toString()).toBe(JSON.stringify(ev));
    expect(decodeQueueMessage(text)).toEqual(ev);
    expect(decodeQueueMessage(JSON.stringify(ev))).toEqual(ev);
    expect(decodeQueueMessage('hello world')).toBe('hello world');
    expect(decodeQueueMessage('abcd')).toBe('abcd');
  });
  it('fits the largest allowed event, with its poison wrapper, in one 64 KiB message', () => {
    const big = { pad: 'x'.repeat(AZURE_QUEUE_MAX_EVENT_BYTES - 10) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBe(AZURE_QUEUE_MAX_EVENT_BYTES);
    expect(encodeQueueMessage(big).length).toBeLessThanOrEqual(AZURE_QUEUE_MESSAGE_MAX);
    const poison = encodePoisonMessage(big, { handler: 'h', reason: 'r'.repeat(5_000), attempts: 3, at: 'now' });
    expect(poison).toBeDefined();
    expect(poison!.length).toBeLessThanOrEqual(AZURE_QUEUE_MESSAGE_MAX);
    const back = decodePoisonMessage(poison!);
    expect(back.payload).toEqual(big);
    expect(back.info?.reason.startsWith('rrrr')).toBe(true);
  });
  it('gives up on wrapping a payload too big to carry a reason', () => {
    const huge = { pad: 'x'.repeat(49_100) };
    expect(encodePoisonMessage(huge, { handler: 'h', reason: 'r', attempts: 1, at: 'now' })).toBeUndefined();
    expect(decodePoisonMessage(encodeQueueMessage(huge))).toEqual({ payload: huge });
  });
});
