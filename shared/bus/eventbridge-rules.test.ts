import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PATTERN_QUOTA_CHARS,
  EVENT_PATTERN_MAX_CHARS,
  eventBridgePatternsFor,
  eventBridgeRuleName,
  eventBridgeRulesFor,
  sqsQueueNames,
} from './eventbridge-rules.ts';
import { matchesSubscription } from './routing.ts';
import type { Subscription } from './types.ts';

/** The one rule of a subscription whose pattern fits the quota. */
function eventBridgeRuleFor(sub: Subscription, bus: string) {
  const rules = eventBridgeRulesFor(sub, bus);
  expect(rules).toHaveLength(1);
  return rules[0]!;
}

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

  it('over the default quota, shares the alternatives out between rules that each fit, a group kept whole', () => {
    const sub = (n: number): Subscription => ({
      handler: 'h',
      kinds: [
        { group: 'cluster.x-k8s.io', kind: 'Machine', statusChanges: false, metadataChanges: false },
        ...Array.from({ length: n }, (_, i) => ({
          group: `g${i}.example.com`,
          kind: `Kind${i}`,
          statusChanges: false,
          metadataChanges: false,
        })),
      ],
      statusChanges: true,
    });
    expect(eventBridgePatternsFor(sub(1))).toHaveLength(1);
    const rules = eventBridgeRulesFor(sub(14), 'b');
    expect(rules.length).toBeGreaterThan(1);
    expect(rules.map((r) => r.Name)).toEqual(rules.map((_, i) => (i === 0 ? 'capifn-h' : `capifn-h-${i + 1}`)));
    const branches = rules.flatMap((r) => {
      expect(JSON.stringify(r.EventPattern).length).toBeLessThanOrEqual(DEFAULT_PATTERN_QUOTA_CHARS);
      const d = r.EventPattern.detail as { $or?: Record<string, unknown>[] };
      return d.$or ?? [d];
    });
    // Nothing widened: every group keeps its status-only and metadata-only skips, 1 + 15 groups × 5 alternatives.
    expect(branches).toHaveLength(1 + 15 * 5);
    // Each group's alternatives sit in one rule.
    for (let i = 0; i < 14; i++) {
      const holding = rules.filter((r) => JSON.stringify(r.EventPattern).includes(`"g${i}.example.com/"`));
      expect(holding, `group g${i}`).toHaveLength(1);
    }
  });

  it('sends each event through at most one rule: exactly the ones the routing rule accepts', () => {
    const sub: Subscription = {
      handler: 'h',
      kinds: [
        { group: 'cluster.x-k8s.io', kind: 'Machine', statusChanges: false },
        ...Array.from({ length: 14 }, (_, i) => ({
          group: `g${i}.example.com`,
          kind: `Kind${i}`,
          metadataChanges: false,
        })),
      ],
      statusChanges: true,
    };
    const rules = eventBridgeRulesFor(sub, 'b');
    expect(rules.length).toBeGreaterThan(1);
    const types = ['added', 'modified', 'deleted', 'resync'].map((t) => `io.capifn.resource.${t}`);
    const flagValues = [undefined, 'true', 'false'];
    const kinds = [
      ['cluster.x-k8s.io/v1beta1', 'Machine'],
      ...Array.from({ length: 14 }, (_, i) => [`g${i}.example.com/v1`, `Kind${i}`]),
      ['g13.example.com/v1', 'Other'],
    ];
    let checked = 0;
    for (const [apiVersion, kind] of kinds)
      for (const type of types)
        for (const statusOnly of flagValues)
          for (const metaOnly of flagValues)
            for (const target of [undefined, 'h', 'other']) {
              const detail: Record<string, unknown> = {
                type,
                data: { ref: { apiVersion, kind, namespace: 'ns', name: 'a' } },
                ...(statusOnly ? { capifnstatusonly: statusOnly } : {}),
                ...(metaOnly ? { capifnmetaonly: metaOnly } : {}),
                ...(target ? { capifnhandler: target } : {}),
              };
              const matching = rules.filter((r) => eventBridgeMatches(r.EventPattern, { detail }));
              const event = {
                type,
                data: { ref: { apiVersion: apiVersion!, kind: kind!, namespace: 'ns', name: 'a' } },
                ...(statusOnly ? { capifnstatusonly: statusOnly } : {}),
                ...(metaOnly ? { capifnmetaonly: metaOnly } : {}),
                ...(target ? { capifnhandler: target } : {}),
              };
              const wanted = matchesSubscription(event as never, sub);
              expect(matching.length, JSON.stringify(detail)).toBe(wanted ? 1 : 0);
              checked++;
            }
    expect(checked).toBe(16 * 4 * 3 * 3 * 3);
  });

  it('refuses a pattern over the PutRule limit instead of failing at deploy time', () => {
    const kinds = Array.from({ length: 200 }, (_, i) => ({ group: 'group.example.com', kind: `Kind${i}` }));
    expect(() => eventBridgeRulesFor({ handler: 'h', kinds, statusChanges: false }, 'b')).toThrow(
      new RegExp(`over the ${EVENT_PATTERN_MAX_CHARS} limit`),
    );
  });
});

/**
 * EventBridge's matching for the operators these patterns use (exact strings, prefix, exists, anything-but, $or), as
 * its documentation describes them: every pattern field must match; an array matches when any element does.
 */
function eventBridgeMatches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [key, want] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(want as Record<string, unknown>[]).some((alt) => eventBridgeMatches(alt, event))) return false;
      continue;
    }
    const have = event[key];
    if (Array.isArray(want)) {
      if (!want.some((w) => leafMatches(w, have))) return false;
    } else if (
      !(have && typeof have === 'object' && eventBridgeMatches(want as Record<string, unknown>, have as never))
    ) {
      return false;
    }
  }
  return true;
}

function leafMatches(want: unknown, have: unknown): boolean {
  if (typeof want === 'string') return have === want;
  const op = want as { exists?: boolean; prefix?: string; 'anything-but'?: string };
  if (op.exists !== undefined) return op.exists === (have !== undefined);
  if (op.prefix !== undefined) return typeof have === 'string' && have.startsWith(op.prefix);
  if (op['anything-but'] !== undefined) return typeof have === 'string' && have !== op['anything-but'];
  throw new Error(`operator not modelled: ${JSON.stringify(want)}`);
}

describe('names', () => {
  it('derives valid, bounded rule and queue names', () => {
    expect(sqsQueueNames('machine')).toEqual({ queue: 'capifn-machine', deadLetterQueue: 'capifn-machine-dlq' });
    const long = sqsQueueNames(`providers/${'aws'.repeat(40)}`);
    expect(long.queue).toMatch(/^[A-Za-z0-9_-]{1,76}$/);
    expect(long.deadLetterQueue.length).toBeLessThanOrEqual(80);
    expect(eventBridgeRuleName(`x${'y'.repeat(100)}`)).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });
});
