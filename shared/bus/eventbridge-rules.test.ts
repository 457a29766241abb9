import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PATTERN_QUOTA_CHARS,
  EVENT_PATTERN_MAX_CHARS,
  eventBridgePatternFor,
  eventBridgeRuleFor,
  eventBridgeRuleName,
  sqsQueueNames,
} from './eventbridge-rules.ts';

describe('eventBridgeRuleFor', () => {
  it('targets, kinds per group and the status-only skip, under detail (the CloudEvent)', () => {
    const rule = eventBridgeRuleFor(
      {
        handler: 'machine',
        kinds: [
          { group: 'cluster.x-k8s.io', kind: 'Machine' },
          { group: '', kind: 'Node' },
        ],
        statusChanges: false,
      },
      'capifn',
    );
    expect(rule.Name).toBe('capifn-machine');
    expect(rule.EventBusName).toBe('capifn');
    const capi = {
      capifnhandler: [{ exists: false }],
      data: { ref: { kind: ['Machine'], apiVersion: [{ prefix: 'cluster.x-k8s.io/' }] } },
    };
    const core = { capifnhandler: [{ exists: false }], data: { ref: { kind: ['Node'], apiVersion: ['v1'] } } };
    const skip = (b: object) => [
      { ...b, type: [{ 'anything-but': 'io.capifn.resource.modified' }] },
      { ...b, capifnstatusonly: ['false'] },
      { ...b, capifnstatusonly: [{ exists: false }] },
    ];
    expect(rule.EventPattern).toEqual({
      detail: { $or: [{ capifnhandler: ['machine'] }, ...skip(capi), ...skip(core)] },
    });
  });

  it('needs no skip branches when status changes are wanted, and no $or for a targets-only handler', () => {
    const withStatus = eventBridgeRuleFor(
      { handler: 'ms', kinds: [{ group: 'cluster.x-k8s.io', kind: 'MachineSet' }], statusChanges: true },
      'b',
    );
    expect((withStatus.EventPattern.detail as { $or: unknown[] }).$or).toHaveLength(2);
    const targetsOnly = eventBridgeRuleFor({ handler: 'drift', kinds: [], statusChanges: true }, 'b');
    expect(targetsOnly.EventPattern).toEqual({ detail: { capifnhandler: ['drift'] } });
  });

  it('skips status-only changes per kind; over the default quota, lets them all through instead', () => {
    const pattern = (n: number) =>
      eventBridgePatternFor({
        handler: 'h',
        kinds: [
          { group: 'cluster.x-k8s.io', kind: 'Machine', statusChanges: false },
          ...Array.from({ length: n }, (_, i) => ({ group: `g${i}.example.com`, kind: `Kind${i}` })),
        ],
        statusChanges: true,
      });
    const small = JSON.stringify(pattern(1));
    expect(small).toContain('"capifnstatusonly":["false"]');
    const big = pattern(14);
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(DEFAULT_PATTERN_QUOTA_CHARS);
    expect(JSON.stringify(big)).not.toContain('capifnstatusonly');
    expect((big.detail as { $or: unknown[] }).$or).toHaveLength(16);
  });

  it('refuses a pattern over the PutRule limit instead of failing at deploy time', () => {
    const kinds = Array.from({ length: 60 }, (_, i) => ({ group: `group${i}.example.com`, kind: `Kind${i}` }));
    expect(() => eventBridgeRuleFor({ handler: 'h', kinds, statusChanges: false }, 'b')).toThrow(
      new RegExp(`over the ${EVENT_PATTERN_MAX_CHARS} limit`),
    );
  });
});

describe('names', () => {
  it('derives valid, bounded rule and queue names', () => {
    expect(sqsQueueNames('machine')).toEqual({ queue: 'capifn-machine', deadLetterQueue: 'capifn-machine-dlq' });
    const long = sqsQueueNames(`providers/${'aws'.repeat(40)}`);
    expect(long.queue).toMatch(/^[A-Za-z0-9_-]{1,76}$/);
    expect(long.deadLetterQueue.length).toBeLessThanOrEqual(80);
    expect(eventBridgeRuleName(`x${'y'.repeat(100)}`)).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });
});
